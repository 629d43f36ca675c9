import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from accounts.services import workspace_create

DEMO_EMAIL = "demo@contactbridge.local"


class Command(BaseCommand):
    help = (
        "Create the demo login (an administrator of this local install, so Django admin opens "
        "for it) and workspace once; prints the password only when created."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", default=DEMO_EMAIL)
        parser.add_argument(
            "--reset-password", action="store_true", help="give the demo login a new password"
        )

    @transaction.atomic
    def handle(self, *args, email, reset_password, **options):
        user = User.objects.filter(email=email).first()
        password = secrets.token_urlsafe(12)
        if user is None:
            user = User.objects.create_superuser(email=email, password=password, name="Demo")
            workspace_create(name="Demo workspace", owner=user)
            self._announce(email, password, "Created the demo login")
            return
        # A demo login made before it was an administrator becomes one: `make run` then opens
        # Django admin for it without a separate createsuperuser step.
        if not (user.is_staff and user.is_superuser):
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        if reset_password:
            user.set_password(password)
            user.save(update_fields=["password"])
            self._announce(email, password, "Reset the demo password")
        else:
            self.stdout.write(
                f"Demo login {email} already exists (new password: "
                "`python manage.py bootstrap_demo --reset-password`)."
            )

    def _announce(self, email: str, password: str, what: str) -> None:
        line = "=" * 64
        self.stdout.write(
            f"{line}\n{what}. Sign in at {settings.SITE_URL}/ with\n"
            f"  e-mail:   {email}\n  password: {password}\n"
            f"The same login opens Django admin at {settings.SITE_URL}/admin/.\n"
            f"This password is shown once.\n{line}"
        )
