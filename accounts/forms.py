from django import forms

from accounts.models import Role, Workspace


class WorkspaceForm(forms.ModelForm):
    class Meta:
        model = Workspace
        fields = ["name"]


class MemberAddForm(forms.Form):
    email = forms.EmailField(label="E-mail of someone who has an account")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
