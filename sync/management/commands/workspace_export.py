"""`manage.py workspace_export WORKSPACE_ID --output PATH`: a workspace's connections,
mappings and flows (with their links and cursors) as one JSON file, credentials sealed with a
passphrase. `workspace_import` reads it; docs/sync.md, "Backups and moving a workspace"."""

import json
import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Workspace
from sync.backup.exporting import workspace_export
from sync.backup.format import BackupError
from sync.backup.sealing import passphrase_problem, passphrase_read


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` readable by its owner only, all at once: a reader never sees
    half a file, and a failed write leaves an older file as it was."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = (
        "Export a workspace's connections, mappings and flows (with their record links and "
        "cursors) to a JSON file another server can import with workspace_import. The "
        "credentials in it are encrypted with a passphrase, typed at a prompt or read from "
        "the environment variable named by --passphrase-env. Runs, history and members are "
        "not exported. The file also holds mapping samples and tests (customer records): "
        "keep it private."
    )

    def add_arguments(self, parser):
        parser.add_argument("workspace_id", type=int, help="the workspace's id (/w/<id>/…)")
        parser.add_argument("--output", "-o", required=True, help="the file to write")
        parser.add_argument(
            "--passphrase-env",
            metavar="NAME",
            help="read the passphrase from environment variable NAME instead of a prompt",
        )
        parser.add_argument("--force", action="store_true", help="replace an existing file")

    def handle(self, *args, workspace_id, output, passphrase_env, force, **options):
        workspace = Workspace.objects.filter(pk=workspace_id).first()
        if workspace is None:
            raise CommandError(
                f"There is no workspace {workspace_id}: give the number after /w/ in the "
                "address of its pages."
            )
        path = Path(output)
        if path.exists() and not force:
            raise CommandError(f"{path} exists: give another path, or --force to replace it.")
        if not path.parent.is_dir():
            raise CommandError(f"There is no directory {path.parent} to write {path.name} in.")
        try:
            passphrase = passphrase_read(
                env=passphrase_env, confirm=True, interactive=sys.stdin.isatty()
            )
            problem = passphrase_problem(passphrase)
            if problem:
                raise BackupError(problem)
            backup, counts = workspace_export(workspace=workspace, passphrase=passphrase)
        except BackupError as error:
            raise CommandError(str(error)) from None
        write_private(path, json.dumps(backup, indent=1, ensure_ascii=False) + "\n")
        self.stdout.write(
            f"Exported workspace {workspace.pk} “{workspace.name}” to {path}: {counts}.\n"
            "The credentials are encrypted with the passphrase; without it the file cannot be "
            "imported. Keep the file private: it holds sample and test records."
        )
