from allauth.account import app_settings as allauth_settings
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.internal import flows
from allauth.account.models import Login
from django import forms

from accounts.models import Role, Workspace

_MANDATORY = allauth_settings.EmailVerificationMethod.MANDATORY


class SignupForm(AllauthSignupForm):
    """allauth's sign-up, answering the same whether or not the address has an account.

    With e-mail verification "optional", allauth says "already registered" to a taken address
    and signs a new one straight in: two different answers. Here both get the "confirm your
    e-mail" page, and the address gets a mail: a confirmation link when it is new, allauth's
    "you already have an account" when it is not. Sign-in is unchanged.
    (allauth 65.x; `flows` and `Login` are what its own SignupForm uses.)
    """

    def validate_unique_email(self, value):
        try:
            return super().validate_unique_email(value)
        except forms.ValidationError:
            self.account_already_exists = True
            return value

    def try_save(self, request):
        email = self.cleaned_data.get("email")
        if self.account_already_exists:
            login = Login(user=None, email=email, signup=True, email_verification=_MANDATORY)
            return None, flows.login.perform_login(request, login)
        user = self.save(request)
        response = flows.signup.complete_signup(request, user=user, email_verification=_MANDATORY)
        return user, response


class WorkspaceForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name"]


class MemberAddForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
