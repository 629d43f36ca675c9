"""What a flow does beside writing the mapped fields: the target's extra objects (HighLevel
notes, CS-Cart user groups), the flow's own actions (a welcome task, tags, a note, the
HighLevel appointments or profile in a platform's note...), archiving on delete, and
tag-only changes in bulk. The runner calls these; each returns the API calls it made.

    plain, extras = split_payload(provider, payload)        # before the record's write
    after_write(flow, target, target_id, outcome, record, extras)   # after it
    archive(flow, target, target_id)                        # delete policy "archive"
    current_with_extras(...), source_with_extras(...)       # before mapping a record
    bulk_tag_changes(target, {contact_id: (add, remove)})   # tag-only changes, batched

The action types, their settings and validation: specs.py (`ACTION_TYPES`,
`actions_problems`).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from integrations.errors import ConfigError, NotFoundError
from integrations.providers.base import ObjectType
from integrations.providers.registry import adapter_for, get_provider
from sync.actions.calls import CallCount
from sync.actions.contact import HighLevelContact
from sync.actions.extras import (
    EXTRA_FIELDS,
    current_with_extras,
    source_with_extras,
    split_payload,
    write_extras,
)
from sync.actions.profile import HighLevelSource, PlatformNote, copy_appointments, enrich
from sync.actions.specs import (
    ACTION_TYPES,
    NOTE_FIELDS,
    AddNote,
    AddTags,
    CompleteTasks,
    CopyAppointments,
    CreateTask,
    Enrich,
    RemoveTags,
    actions_problems,
    archive_settings,
    valid_actions,
)
from sync.actions.tags import bulk_tag_changes
from sync.actions.text import fill, record_lookup

__all__ = [
    "ACTION_TYPES",
    "EXTRA_FIELDS",
    "actions_problems",
    "after_write",
    "archive",
    "bulk_tag_changes",
    "can_archive",
    "current_with_extras",
    "source_with_extras",
    "split_payload",
]


def can_archive(provider: str) -> bool:
    """Whether `archive` works on this target; elsewhere the runner deletes or deactivates."""
    return provider == "highlevel"


class _Record:
    """Where templates look names up: what was written, the source record, and only when
    neither has the name, the target record as it is now (read once)."""

    def __init__(self, target, target_id: str, record: dict | None, written: dict | None):
        self.target, self.target_id = target, target_id
        self.known = record_lookup(written, record)
        self._target: dict | None = None

    def __call__(self, name: str):
        value = self.known(name)
        if value is None:
            if self._target is None:
                self._target = self.target.get(self.target_id)
            value = record_lookup(self._target)(name)
        return value

    def fill(self, text: str) -> str:
        return fill(text, self) if "{{" in text else text.strip()


def after_write(
    flow,
    target_adapter,
    target_id: str,
    outcome,
    source_record: dict | None,
    extras: dict,
    *,
    written: dict | None = None,
    source_adapter=None,
) -> int:
    """Write the extras for a record just written, then run the flow's actions whose `on`
    matches the outcome ("created"/"updated"); the API calls made. `written` (the payload)
    and `source_adapter` are optional: templates fall back to the target record, and the
    source's HighLevel client is built from the flow when not given. Invalid actions raise
    ConfigError before anything is done (the record then waits for a person)."""
    outcome = str(outcome)
    due = [
        action
        for action in valid_actions(flow)
        if getattr(action, "on", None) in (outcome, "always")
    ]
    if not extras and not due:
        return 0
    provider = flow.target_connection.provider
    is_new = outcome == "created"
    with CallCount() as calls:
        calls.watch(target_adapter.client)
        contact = None
        if provider == "highlevel":
            contact = HighLevelContact(target_adapter.client, target_id, is_new=is_new)
        write_extras(provider, target_adapter, target_id, extras, contact, is_new=is_new)
        record = _Record(target_adapter, target_id, source_record, written)
        source = note = None
        for action in due:
            if isinstance(action, CopyAppointments | Enrich):
                if source is None:
                    source = _source(flow, source_record, source_adapter)
                    calls.watch(source.client)
                    note = PlatformNote(target_adapter, target_id)
                field = action.field or NOTE_FIELDS[provider]
                (copy_appointments if isinstance(action, CopyAppointments) else enrich)(
                    source, note, field
                )
            else:
                _on_contact(action, contact, record)
    return calls.count


def _on_contact(action, contact: HighLevelContact | None, record: _Record) -> None:
    if contact is None:  # valid_actions refuses these on a platform target
        raise ConfigError(f"{action.type} needs a HighLevel target.")
    if isinstance(action, CreateTask):
        contact.create_task(
            title=record.fill(action.title),
            body=record.fill(action.body),
            due=timezone.now() + timedelta(days=action.due_in_days),
            assigned_to=action.assigned_to,
        )
    elif isinstance(action, AddTags):
        contact.add_tags(record.fill(tag) for tag in action.tags)
    elif isinstance(action, RemoveTags):
        contact.remove_tags(record.fill(tag) for tag in action.tags)
    elif isinstance(action, AddNote):
        contact.add_notes([record.fill(action.body)])
    elif isinstance(action, CompleteTasks):
        contact.close_open_tasks()


def _source(flow, record: dict | None, source_adapter) -> HighLevelSource:
    """The flow's source contact, read with the source connection's HighLevel client."""
    if source_adapter is None:
        source_adapter = adapter_for(flow.source_connection, ObjectType.CONTACT)
    contact_id = source_adapter.id_of(record) if record else ""
    return HighLevelSource(source_adapter.client, contact_id)


def archive(flow, target_adapter, target_id: str) -> int:
    """A record deleted in the source, archived in HighLevel: tagged (“archived”, or the
    flow's archive action's tag), its open tasks completed (or deleted), and a note saying
    when and where it was deleted; the API calls made. A contact already gone is left so."""
    provider = flow.target_connection.provider
    if not can_archive(provider):
        raise ConfigError(
            f"{get_provider(provider).name} records cannot be archived: delete or deactivate."
        )
    settings = archive_settings(flow)
    values = {
        "source": get_provider(flow.source_connection.provider).name,
        "date": timezone.now().date().isoformat(),
    }
    note = fill(settings.note, values.get)
    with CallCount() as calls:
        calls.watch(target_adapter.client)
        contact = HighLevelContact(target_adapter.client, target_id)
        try:
            contact.add_tags([settings.tag])
            contact.close_open_tasks(delete=settings.tasks == "delete")
            contact.add_notes([note])
        except NotFoundError:
            pass  # deleted in HighLevel too: nothing left to archive
    return calls.count
