from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from accounts.services import workspace_create


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return settings.ACCOUNT_SIGNUP_OPEN

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            # Everyone starts with a workspace of their own, so no page is ever empty of one.
            workspace_create(name=f"{user.email.split('@')[0]}'s workspace", owner=user)
        return user
