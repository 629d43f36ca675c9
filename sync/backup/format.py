"""What a backup file holds, and how each stored value is written in it and read back.

The file is JSON:

    {"format": "contactbridge-workspace", "version": 1, "exported_at": ..., "workspace": {...},
     "connections": [{"ref": "connection-1", ...}], "mappings": [...], "flows": [...],
     "credentials": {sealed: see sealing.py}}

Rows refer to each other by "ref" (connection-1, mapping-2…), never by database id, so a
file imports into any database and any workspace. Every column of every model in it is
either written (the *_FIELDS below) or left out on purpose (LEFT_OUT, with the reason); a
test holds the two together, so a new column is a decision, not a silent loss.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import models

FORMAT = "contactbridge-workspace"
FORMAT_VERSION = 1
SECTIONS = ("workspace", "connections", "mappings", "flows", "credentials")

CONNECTION_FIELDS = (
    "provider",
    "name",
    "status",
    "settings",
    "scopes",
    "token_expires_at",
    "last_tested_at",
    "last_error",
    "token_refreshed_at",
    "refresh_failures",
    "created_at",
    "updated_at",
)
MAPPING_FIELDS = (
    "name",
    "source_provider",
    "target_provider",
    "object_type",
    "direction",
    "spec",
    "version",
    "problems",
    "checked_at",
    "created_at",
    "updated_at",
)
MAPPING_REFS = ("source_connection", "target_connection")  # optional: null when absent
VERSION_FIELDS = ("number", "spec", "summary", "created_at")  # + created_by, by e-mail
SAMPLE_FIELDS = ("name", "record", "created_at")
TEST_FIELDS = (
    "name",
    "source_record",
    "current_record",
    "expected_payload",
    "passed",
    "differences",
    "last_run_at",
    "created_at",
)
FLOW_FIELDS = (
    "name",
    "object_type",
    "direction",
    "conflict_policy",
    "field_policies",
    "reconcile_time",
    "reconcile_repairs",
    "last_reconciled_on",
    "trigger_webhook",
    "poll_minutes",
    "schedule_time",
    "schedule_timezone",
    "actions",
    "delete_policy",
    "match_by",
    "mode",
    "enabled",
    "paused_reason",
    "last_polled_at",
    "last_scheduled_on",
    "created_at",
    "updated_at",
)
FLOW_REFS = ("source_connection", "target_connection", "mapping", "reverse_mapping")
LINK_FIELDS = (
    "source_id",
    "target_id",
    "source_hash",
    "target_hash",
    "mapped_hash",
    "mapped_tags",
    "target_record_hash",
    "target_image_hash",
    "provenance",
    "synced_at",
    "deleted_at",
)
CURSOR_FIELDS = ("name", "value", "advanced_at")

# Columns not in the file, per model, and why.
LEFT_OUT = {
    "integrations.Connection": {
        "id": "database id: rows refer to each other by ref",
        "workspace": "the workspace imported into",
        "credentials_encrypted": "sealed with the passphrase instead (the credentials section)",
        "is_draft": "only finished connections are exported",
    },
    "mappings.Mapping": {"id": "database id", "workspace": "the workspace imported into"},
    "mappings.MappingVersion": {"id": "database id", "mapping": "nested under its mapping"},
    "mappings.MappingSample": {"id": "database id", "mapping": "nested under its mapping"},
    "mappings.MappingTest": {"id": "database id", "mapping": "nested under its mapping"},
    "sync.Flow": {
        "id": "database id",
        "workspace": "the workspace imported into",
        "changes_queued_at": "a task queued on the old server's broker",
    },
    "sync.RecordLink": {
        "id": "database id",
        "flow": "nested under its flow",
        "last_run": "runs are history and stay on the old server",
    },
    "sync.SyncCursor": {"id": "database id", "flow": "nested under its flow"},
}


class BackupError(Exception):
    """The file cannot be exported or imported as it is; the message says what to fix."""


@dataclass
class Counts:
    connections: int = 0
    mappings: int = 0
    versions: int = 0
    samples: int = 0
    tests: int = 0
    flows: int = 0
    links: int = 0
    cursors: int = 0

    def __str__(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"

        return (
            f"{n(self.connections, 'connection')}, {n(self.mappings, 'mapping')} "
            f"({n(self.versions, 'version')}, {n(self.samples, 'sample')}, "
            f"{n(self.tests, 'test')}), {n(self.flows, 'flow')} "
            f"({n(self.links, 'record link')}, {n(self.cursors, 'cursor')})"
        )


def plain(value):
    """A stored value as JSON writes it: dates and times in ISO 8601, to the microsecond
    (DjangoJSONEncoder would cut datetimes to milliseconds: the round trip must be exact)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def dump(obj: models.Model, names: tuple[str, ...]) -> dict:
    return {name: plain(getattr(obj, name)) for name in names}


def load(model: type[models.Model], data: dict, names: tuple[str, ...], where: str) -> dict:
    """The values of `names` from a row of the file, as the model's fields take them."""
    if not isinstance(data, dict):
        raise BackupError(f"{where} is not an object; the file is damaged.")
    values = {}
    for name in names:
        if name not in data:
            raise BackupError(f"{where} has no “{name}”; the file is damaged or incomplete.")
        field = model._meta.get_field(name)
        raw = data[name]
        if isinstance(field, models.JSONField):
            values[name] = raw
            continue
        try:
            values[name] = field.to_python(raw)
        except ValidationError as error:
            raise BackupError(f"{where}: “{name}” {raw!r}: {' '.join(error.messages)}") from None
    return values


def auto_times(model: type[models.Model], names: tuple[str, ...]) -> list[str]:
    """The fields of `names` Django sets itself on save (auto_now, auto_now_add): the file's
    values are put back after the rows are created."""
    return [
        name
        for name in names
        if getattr(model._meta.get_field(name), "auto_now", False)
        or getattr(model._meta.get_field(name), "auto_now_add", False)
    ]


def rows(data: dict, key: str, where: str = "the file") -> list:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise BackupError(f"“{key}” in {where} is not a list; the file is damaged.")
    return value


def backup_parse(text: str | bytes) -> dict:
    """The file's JSON, once it is known to be a backup of a format this server reads."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise BackupError(
            f"This is not a workspace backup: it is not JSON ({error}). Give the file "
            "`manage.py workspace_export` wrote, complete and unchanged."
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(
            "This JSON is not a workspace backup (no “format”: "
            f"“{FORMAT}”). Give the file `manage.py workspace_export` wrote."
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BackupError(f"The backup's format version {version!r} is not valid.")
    if version > FORMAT_VERSION:
        raise BackupError(
            f"This backup is format version {version}, written by a newer ContactBridge; "
            f"this server reads version {FORMAT_VERSION}. Upgrade this server, then import."
        )
    missing = [key for key in SECTIONS if key not in data]
    if missing:
        raise BackupError(
            f"This backup has no “{missing[0]}” section: it is incomplete or was edited. "
            "Export it again."
        )
    return data
