"""HighLevel tasks and notes as the sync engine sees them: records that belong to a contact.

HighLevel lists a contact's tasks (GET /contacts/{id}/tasks) and notes (GET
/contacts/{id}/notes) whole, unpaged and without an update time, so these adapters read
with a `ChildCursor`: a snapshot cursor (the shared `scan_snapshot`: a digest per record,
what is new or differs is yielded, what a complete read no longer finds is reported by
`list_deleted`) that also says whose records it covers:

- `adapter.cursor_for(contact_id)` reads one contact's tasks or notes (one request), the
  usual case: a flow keeps one cursor per linked contact;
- `adapter.new_cursor()` reads those of every contact of the location (a contact search,
  then one request per contact), for a first full read.

A task or note is only addressable through its contact, so its external id is
"<contactId>/<id>" (`id_of`), and create payloads carry `contactId` next to HighLevel's own
task/note fields. Tasks and notes have no identity (e-mail or phone): `find` returns [].
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from pydantic import BaseModel

from integrations.errors import NotFoundError, ValidationFailedError
from integrations.providers import cursors
from integrations.providers.base import (
    ChangeAction,
    ChangeEvent,
    DeletedRecord,
    Identity,
    ObjectType,
)
from integrations.providers.highlevel.adapters import (
    HighLevelAdapter,
    dumped,
    stored_event_parts,
    validated,
)
from integrations.providers.highlevel.schemas import Note, NoteInput, Task, TaskInput

TASK_FIELDS = ("id", "title", "body", "assignedTo", "dueDate", "completed", "contactId")


@dataclass(frozen=True)
class ChildCursor(cursors.SnapshotCursor):
    contact_id: str = ""  # "" = every contact of the location
    kind: ClassVar[str] = "highlevel.children"

    def to_json(self) -> dict:
        return {**super().to_json(), "contact_id": self.contact_id}

    @classmethod
    def from_json(cls, data: Mapping) -> ChildCursor:
        cursor = super().from_json(data)
        contact_id = data.get("contact_id") or ""
        if not isinstance(contact_id, str):
            raise cursors.CursorError("The cursor's contact_id must be a string.")
        return replace(cursor, contact_id=contact_id)


@dataclass(frozen=True)
class TaskCursor(ChildCursor):
    kind: ClassVar[str] = "highlevel.tasks"


@dataclass(frozen=True)
class NoteCursor(ChildCursor):
    kind: ClassVar[str] = "highlevel.notes"


def split_id(external_id: str, what: str) -> tuple[str, str]:
    contact_id, _, child_id = str(external_id).partition("/")
    if not contact_id or not child_id or "/" in child_id:
        raise NotFoundError(f"{external_id!r} is not a HighLevel {what} id (<contactId>/<id>).")
    return contact_id, child_id


class ContactChildAdapter(HighLevelAdapter):
    """What tasks and notes share; subclasses name the client calls and models."""

    identity_fields: tuple[str, ...] = ()
    cursor_class: ClassVar[type[ChildCursor]]
    model: ClassVar[type[BaseModel]]
    input_model: ClassVar[type[BaseModel]]
    events: ClassVar[dict[str, ChangeAction]]

    def estimate_total(self) -> int | None:
        return None  # HighLevel counts contacts, not their tasks or notes

    # client calls, by contact id
    def _list(self, contact_id: str) -> list: ...
    def _get(self, contact_id: str, child_id: str): ...
    def _create(self, contact_id: str, data): ...
    def _update(self, contact_id: str, child_id: str, data): ...
    def _delete(self, contact_id: str, child_id: str) -> None: ...

    # reads
    def new_cursor(self) -> ChildCursor:
        return self.cursor_class()

    def cursor_for(self, contact_id: str) -> ChildCursor:
        return self.cursor_class(contact_id=contact_id)

    def cursor_from_json(self, data) -> ChildCursor:
        return cursors.cursor_from_json(self.cursor_class, data)

    def _check(self, cursor) -> ChildCursor:
        if not isinstance(cursor, self.cursor_class):
            raise cursors.CursorError(f"A HighLevel {self.label} read needs a {self.label} cursor.")
        return cursor

    def _contact_ids(self, cursor: ChildCursor) -> Iterator[str]:
        if cursor.contact_id:
            yield cursor.contact_id
        else:
            yield from (c.id for c in self.client.iter_contacts(page_size=self.page_size))

    def _records(self, cursor: ChildCursor) -> Iterator[dict]:
        for contact_id in self._contact_ids(cursor):
            try:
                children = self._list(contact_id)
            except NotFoundError:
                continue  # the contact went, and its records with it: reported deleted
            for child in children:
                yield self._record(child, contact_id)

    def list_changed(self, cursor: ChildCursor) -> cursors.Reading:
        steps = cursors.scan_snapshot(
            self._check(cursor),
            self._records(cursor),
            describe=lambda record: (self.id_of(record), record),
        )
        return cursors.Reading(steps, cursor, lambda record: record)

    def list_deleted(self, cursor: ChildCursor) -> Iterator[tuple[DeletedRecord, ChildCursor]]:
        for external_id, after in cursors.snapshot_deleted(self._check(cursor)):
            yield DeletedRecord(external_id), after

    def get(self, external_id: str) -> dict:
        contact_id, child_id = split_id(external_id, self.label)
        return self._record(self._get(contact_id, child_id), contact_id)

    def find(self, identity: Identity) -> list[dict]:
        return []

    # writes
    def _input(self, payload: Any, contact_id: str | None = None):
        if not isinstance(payload, Mapping):
            raise ValidationFailedError(f"A HighLevel {self.label} payload must be an object.")
        given = payload.get("contactId")
        if contact_id is None and not given:
            raise ValidationFailedError(
                f"A HighLevel {self.label} payload needs the contactId it belongs to.",
                messages=["contactId: Field required"],
            )
        if contact_id is not None and given not in (None, contact_id):
            raise ValidationFailedError(f"A {self.label} cannot move to another contact.")
        data = {k: v for k, v in payload.items() if k not in ("contactId", "id")}
        return contact_id or str(given), validated(self.input_model, data, self.label)

    def create(self, payload: dict) -> dict:
        contact_id, data = self._input(payload)
        return self._record(self._create(contact_id, data), contact_id)

    def update(self, external_id: str, payload: dict) -> dict:
        contact_id, child_id = split_id(external_id, self.label)
        _, data = self._input(payload, contact_id)
        return self._record(self._update(contact_id, child_id, data), contact_id)

    def delete(self, external_id: str) -> None:
        self._delete(*split_id(external_id, self.label))

    # shapes
    def _record(self, obj, contact_id: str) -> dict:
        record = self.to_record(obj)
        record.setdefault("contactId", contact_id)
        return record

    def to_record(self, obj) -> dict:
        model = obj if isinstance(obj, self.model) else self.model.model_validate(obj)
        return {key: value for key, value in dumped(model).items() if value is not None}

    def id_of(self, record: Mapping) -> str:
        return f"{record['contactId']}/{record['id']}"

    def identity_of(self, record: Mapping) -> Identity:
        return Identity()

    def event_record(self, event_type: str, payload: dict) -> dict | None:
        return None

    def parse_event(self, event) -> list[ChangeEvent]:
        event_type, payload, event_id, sent_at = stored_event_parts(event)
        action = self.events.get(event_type)
        if action is None or not payload.get("id") or not payload.get("contactId"):
            return []
        return [
            ChangeEvent(
                connection_id=self.connection.pk,
                object_type=self.object_type,
                external_id=f"{payload['contactId']}/{payload['id']}",
                action=action,
                occurred_at=sent_at,
                event_id=event_id,
                record=self.event_record(event_type, payload),
            )
        ]


class TaskAdapter(ContactChildAdapter):
    object_type = ObjectType.TASK
    label = "task"
    cursor_class = TaskCursor
    model = Task
    input_model = TaskInput
    events: ClassVar[dict[str, ChangeAction]] = {
        "TaskCreate": ChangeAction.CREATED,
        "TaskComplete": ChangeAction.UPDATED,
        "TaskDelete": ChangeAction.DELETED,
    }

    def _list(self, contact_id):
        return self.client.list_tasks(contact_id)

    def _get(self, contact_id, child_id):
        return self.client.get_task(contact_id, child_id)

    def _create(self, contact_id, data):
        return self.client.create_task(contact_id, data)

    def _update(self, contact_id, child_id, data):
        return self.client.update_task(contact_id, child_id, data)

    def _delete(self, contact_id, child_id):
        self.client.delete_task(contact_id, child_id)

    def event_record(self, event_type: str, payload: dict) -> dict | None:
        """TaskCreate and TaskComplete carry the whole task when they say whether it is
        completed (HighLevel's event docs leave `completed` out; the record is then None)."""
        if event_type == "TaskDelete" or "completed" not in payload:
            return None
        return self.to_record({k: payload[k] for k in TASK_FIELDS if k in payload})


class NoteAdapter(ContactChildAdapter):
    """Note webhooks carry id, body, contactId and dateAdded only: never the whole note."""

    object_type = ObjectType.NOTE
    label = "note"
    cursor_class = NoteCursor
    model = Note
    input_model = NoteInput
    events: ClassVar[dict[str, ChangeAction]] = {
        "NoteCreate": ChangeAction.CREATED,
        "NoteUpdate": ChangeAction.UPDATED,
        "NoteDelete": ChangeAction.DELETED,
    }

    def _list(self, contact_id):
        return self.client.list_notes(contact_id)

    def _get(self, contact_id, child_id):
        return self.client.get_note(contact_id, child_id)

    def _create(self, contact_id, data):
        return self.client.create_note(contact_id, data)

    def _update(self, contact_id, child_id, data):
        return self.client.update_note(contact_id, child_id, data)

    def _delete(self, contact_id, child_id):
        self.client.delete_note(contact_id, child_id)
