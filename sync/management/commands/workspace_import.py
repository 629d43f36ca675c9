"""`manage.py workspace_import PATH [--into WORKSPACE_ID | --new-name NAME] [--owner EMAIL]`:
a file from `workspace_export`, imported in one transaction (all or nothing), credentials
stored under this server's CREDENTIALS_KEYS. Flows come in paused unless --keep-running."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User, Workspace
from sync.backup.format import BackupError, backup_parse
from sync.backup.importing import workspace_import
from sync.backup.sealing import passphrase_read


class Command(BaseCommand):
    help = (
        "Import a workspace backup written by workspace_export: into a new workspace owned "
        "by --owner (the default), or into an existing one with --into. All or nothing: a "
        "wrong passphrase or a damaged file imports nothing. Imported flows are paused "
        "(“resume it once the old server no longer runs this flow”), so two servers never "
        "sync the same flow; resume each on its page once the old server is stopped, or give "
        "--keep-running to import them as they were."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup file")
        where = parser.add_mutually_exclusive_group()
        where.add_argument(
            "--into", type=int, metavar="WORKSPACE_ID", help="import into this workspace"
        )
        where.add_argument(
            "--new-name", metavar="NAME", help="name of the new workspace (default: as exported)"
        )
        parser.add_argument(
            "--owner", metavar="EMAIL", help="an existing user, owner of the new workspace"
        )
        parser.add_argument(
            "--passphrase-env",
            metavar="NAME",
            help="read the passphrase from environment variable NAME instead of a prompt",
        )
        parser.add_argument(
            "--keep-running",
            action="store_true",
            help="import flows enabled as they were (only once the old server is stopped)",
        )

    def handle(self, *args, path, into, new_name, owner, passphrase_env, keep_running, **options):
        workspace, user = self._destination(into, owner)
        try:
            text = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        try:
            data = backup_parse(text)
            passphrase = passphrase_read(
                env=passphrase_env, confirm=False, interactive=sys.stdin.isatty()
            )
            result = workspace_import(
                data=data,
                passphrase=passphrase,
                into=workspace,
                name=new_name or "",
                owner=user,
                keep_running=keep_running,
            )
        except BackupError as error:
            raise CommandError(str(error)) from None
        imported = result.workspace
        where = "new workspace" if result.created_workspace else "workspace"
        self.stdout.write(f"Imported {result.counts} into {where} {imported.pk} “{imported.name}”.")
        if result.paused:
            self.stdout.write(
                f"Paused {len(result.paused)} flow(s) ({', '.join(result.paused)}): resume "
                "each on its page once the old server no longer runs it."
            )
        twins = Workspace.objects.filter(name=imported.name).exclude(pk=imported.pk)
        if result.created_workspace and twins.exists():
            self.stdout.write(
                f"Note: workspace {twins.first().pk} is also called “{imported.name}”. If it "
                "came from this same file, this import is a second copy: delete one of them."
            )

    def _destination(self, into: int | None, owner: str | None):
        if into is not None:
            if owner:
                raise CommandError(
                    "--owner is for a new workspace; an existing one keeps its members."
                )
            workspace = Workspace.objects.filter(pk=into).first()
            if workspace is None:
                raise CommandError(f"There is no workspace {into} to import into.")
            return workspace, None
        if not owner:
            raise CommandError(
                "A new workspace needs an owner: give --owner EMAIL (a user of this server), "
                "or import into an existing workspace with --into WORKSPACE_ID."
            )
        user = User.objects.filter(email__iexact=owner.strip()).first()
        if user is None:
            raise CommandError(
                f"No user here has the e-mail address {owner}: create the account first "
                "(sign up, or `manage.py createsuperuser`)."
            )
        return None, user
