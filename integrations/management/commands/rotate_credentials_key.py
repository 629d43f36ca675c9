from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from integrations.crypto import CredentialsUnreadable, rotate_token
from integrations.models import Connection


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored credential with the first key in CREDENTIALS_KEYS. Run it "
        "after putting a new key first; remove the old key only once this has succeeded."
    )

    def handle(self, *args, **options):
        rotated, unreadable = 0, []
        # One transaction: either every credential moves to the new key or none does.
        with transaction.atomic():
            for connection in Connection.objects.select_for_update().exclude(
                credentials_encrypted=""
            ):
                try:
                    connection.credentials_encrypted = rotate_token(
                        connection.credentials_encrypted
                    )
                except CredentialsUnreadable:
                    unreadable.append(connection.pk)
                    continue
                connection.save(update_fields=["credentials_encrypted"])
                rotated += 1
            if unreadable:
                transaction.set_rollback(True)
        if unreadable:
            raise CommandError(
                f"No configured key can read the credentials of connection(s) {unreadable}; "
                "nothing was changed. Add the key they were encrypted with to CREDENTIALS_KEYS."
            )
        self.stdout.write(f"Re-encrypted the credentials of {rotated} connection(s).")
