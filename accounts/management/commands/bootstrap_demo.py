import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from accounts.services import workspace_create

DEMO_EMAIL = "demo@contactbridge.local"


class Command(BaseCommand):
    help = "Create the demo login and workspace once; prints the password only when created."

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
            user = User.objects.create_user(email=email, password=password, name="Demo")
            workspace_create(name="Demo workspace", owner=user)
            self._announce(email, password, "Created the demo login")
        elif reset_password:
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
            f"{line}\n{what}. Sign in at http://127.0.0.1:8000/ with\n"
            f"  e-mail:   {email}\n  password: {password}\n"
            f"This password is shown once.\n{line}"
        )
