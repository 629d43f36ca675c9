"""The HighLevel record adapters against the sandbox, over real HTTP (every request is also
checked against the OpenAPI specs by the `make_client` recorder)."""

import json
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import requests

from integrations.errors import NotFoundError, ValidationFailedError
from integrations.providers.base import ChangeAction, Identity, ObjectType
from integrations.providers.cursors import CursorError
from integrations.providers.highlevel import webhooks
from integrations.providers.highlevel.adapters import ContactAdapter, SearchCursor
from integrations.providers.highlevel.related_adapters import NoteAdapter, TaskAdapter
from integrations.providers.registry import adapter_for
from tests.integrations.providers.highlevel.conftest import unique_email, unique_phone
from tests.integrations.providers.highlevel.contract import WebhookReceiver


@pytest.fixture
def connection(pit_connection, hl):
    return pit_connection(
        webhook_public_key=hl["webhook_public_key"],
        webhook_rsa_public_key=hl["webhook_rsa_public_key"],
    )


@pytest.fixture
def adapters(connection, make_client):
    client = make_client(connection)
    return SimpleNamespace(
        contact=ContactAdapter(connection, client=client, page_size=7),
        task=TaskAdapter(connection, client=client, page_size=7),
        note=NoteAdapter(connection, client=client, page_size=7),
    )


def _read(adapter, cursor):
    reading = adapter.list_changed(cursor)
    records = [record for record, _ in reading]
    return records, reading.cursor


def _location_ids(hl_app, location_id):
    return {c["id"] for c in hl_app.data.contacts.values() if c["locationId"] == location_id}


def _new(adapter, **fields):
    return adapter.create({"firstName": "Ada", "email": unique_email("adapter"), **fields})


def test_the_registry_gives_each_object_type_its_adapter(connection):
    assert isinstance(adapter_for(connection, ObjectType.CONTACT, page_size=5), ContactAdapter)
    assert isinstance(adapter_for(connection, ObjectType.TASK), TaskAdapter)
    assert isinstance(adapter_for(connection, ObjectType.NOTE), NoteAdapter)


def test_a_full_read_then_only_what_changed(adapters, hl_app, control, connection):
    contacts = adapters.contact
    records, cursor = _read(contacts, contacts.new_cursor())
    ids = [contacts.id_of(r) for r in records]
    assert len(ids) == len(set(ids))
    assert set(ids) == _location_ids(hl_app, connection.settings["location_id"])
    stamps = [contacts.updated_of(r) for r in records]
    assert stamps == sorted(stamps) and cursor.since == stamps[-1]

    assert _read(contacts, cursor)[0] == []  # nothing changed: nothing read twice

    changed = ids[0]
    outside = requests.put(
        f"{control.url}/contacts/{changed}", json={"city": "Elsewhere"}, timeout=10
    )
    assert outside.status_code == 200, outside.text
    again, cursor = _read(contacts, cursor)
    assert [r["id"] for r in again] == [changed] and again[0]["city"] == "Elsewhere"
    assert _read(contacts, cursor)[0] == []

    contacts.update(changed, {"city": "Back again"})  # changed again later: read again
    assert [r["city"] for r in _read(contacts, cursor)[0]] == ["Back again"]


def test_a_change_during_the_read_is_read_in_it_or_the_next(adapters):
    contacts = adapters.contact
    reading = contacts.list_changed(contacts.new_cursor())
    first, _ = next(reading)
    contacts.update(first["id"], {"city": "Changed mid-read"})
    rest = [record for record, _ in reading]
    later, _ = _read(contacts, reading.cursor)
    versions = [r["city"] for r in rest + later if r["id"] == first["id"]]
    assert versions == ["Changed mid-read"]


def test_the_cursor_survives_json_and_knows_its_kind(adapters):
    contacts = adapters.contact
    _, cursor = _read(contacts, contacts.new_cursor())
    text = json.dumps(cursor.to_json())
    restored = contacts.cursor_from_json(text)
    assert restored == cursor and restored.kind == "highlevel.search"
    assert contacts.cursor_from_json(json.loads(text)) == cursor
    with pytest.raises(CursorError):
        contacts.cursor_from_json({"kind": "time", "since": None, "recent": {}})
    with pytest.raises(CursorError):
        contacts.list_changed(adapters.task.new_cursor())


def test_overlap_and_millisecond_precision():
    assert SearchCursor.overlap == timedelta(seconds=60)
    assert SearchCursor.precision == timedelta(milliseconds=1)
    since = datetime(2026, 1, 2, 3, 4, 5, 678_901, tzinfo=UTC)
    assert SearchCursor(since=since).query_from() == datetime(
        2026, 1, 2, 3, 3, 5, 678_000, tzinfo=UTC
    )


def test_records_inside_the_overlap_are_not_read_twice(adapters):
    contacts = adapters.contact
    made = _new(contacts)
    _, cursor = _read(contacts, contacts.new_cursor())
    assert made["id"] in cursor.recent  # inside the overlap window, remembered
    # A cursor that forgot what it read re-reads the overlap window...
    forgetful = SearchCursor(since=cursor.since)
    assert made["id"] in [r["id"] for r in _read(contacts, forgetful)[0]]
    # ...the real one does not.
    assert _read(contacts, cursor)[0] == []


def test_one_shape_from_search_get_and_writes(adapters):
    contacts = adapters.contact
    made = _new(contacts, phone=unique_phone(), tags=["vip"], address1="1 Main St")
    got = contacts.get(made["id"])
    searched = contacts.find(Identity(email=made["email"]))
    assert got == made == searched[0]
    assert "searchAfter" not in got and None not in got.values()
    assert contacts.updated_of(got).tzinfo is not None
    # Seeded contacts fill every field: a full read (search) gives what GET gives.
    records, _ = _read(contacts, contacts.new_cursor())
    for record in records[:10]:
        assert record == contacts.get(record["id"])


def test_find_by_email_then_phone(adapters):
    contacts = adapters.contact
    email, phone = unique_email("find"), unique_phone()
    by_email = _new(contacts, email=email)
    by_phone = _new(contacts, phone=phone)
    identity = contacts.identity_of({"email": f"  {email.upper()} ", "phone": phone})
    assert [r["id"] for r in contacts.find(identity)] == [by_email["id"]]
    assert [r["id"] for r in contacts.find(Identity(email="nobody@example.net", phone=phone))] == [
        by_phone["id"]
    ]
    assert contacts.find(Identity(email="nobody@example.net")) == []
    assert contacts.find(Identity()) == []


def test_create_get_update_delete(adapters):
    contacts = adapters.contact
    made = _new(contacts, lastName="Lovelace")
    assert contacts.get(made["id"])["lastName"] == "Lovelace"
    updated = contacts.update(made["id"], {"lastName": "Byron", "tags": ["poet"]})
    assert (updated["lastName"], updated["tags"], updated["firstName"]) == (
        "Byron",
        ["poet"],
        "Ada",
    )
    assert contacts.get(made["id"]) == updated
    contacts.delete(made["id"])
    with pytest.raises(NotFoundError):
        contacts.get(made["id"])
    with pytest.raises(NotFoundError):
        contacts.delete(made["id"])
    assert list(contacts.list_deleted(contacts.new_cursor())) == []  # no deleted feed


def test_upsert_creates_then_updates(adapters):
    contacts = adapters.contact
    email = unique_email("upsert")
    first = contacts.upsert({"email": email, "firstName": "First"})
    assert first.created is True
    second = contacts.upsert({"email": email, "city": "Paris"})
    assert second.created is False and second.record["id"] == first.record["id"]
    assert second.record["city"] == "Paris" and second.record["firstName"] == "First"


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"emial": "typo@example.com"}, "emial"),
        ({"tags": "not-a-list"}, "tags"),
        ({"locationId": "someOtherLocation000"}, "locationId"),
        (["not", "an", "object"], "object"),
    ],
)
def test_a_bad_payload_is_a_typed_error_before_sending(adapters, control, payload, words):
    sent = control.stats()["requests_total"]
    with pytest.raises(ValidationFailedError, match=words):
        adapters.contact.create(payload)
    assert control.stats()["requests_total"] == sent


def test_a_missing_record_is_not_found(adapters):
    with pytest.raises(NotFoundError):
        adapters.contact.get("missingContact000001")
    with pytest.raises(NotFoundError):
        adapters.contact.update("missingContact000001", {"city": "Nowhere"})
    with pytest.raises(NotFoundError):
        adapters.task.get("no-separator")


@pytest.mark.parametrize(
    ("kind", "create", "change"),
    [
        ("task", {"title": "Call", "dueDate": "2030-01-15T10:00:00Z"}, {"title": "Call again"}),
        ("note", {"body": "Met at the fair."}, {"body": "Wants a quote."}),
    ],
)
def test_tasks_and_notes_are_read_per_contact(adapters, kind, create, change):
    adapter = getattr(adapters, kind)
    contact = _new(adapters.contact)
    cursor = adapter.cursor_for(contact["id"])
    assert _read(adapter, cursor)[0] == []

    made = adapter.create({"contactId": contact["id"], **create})
    external_id = adapter.id_of(made)
    assert external_id == f"{contact['id']}/{made['id']}"
    assert adapter.get(external_id) == made
    records, cursor = _read(adapter, adapter.cursor_from_json(json.dumps(cursor.to_json())))
    assert records == [made]
    assert _read(adapter, cursor)[0] == []

    changed = adapter.update(external_id, change)
    assert adapter.get(external_id) == changed
    records, cursor = _read(adapter, cursor)
    assert records == [changed]

    adapter.delete(external_id)
    records, cursor = _read(adapter, cursor)
    assert records == []
    deleted = list(adapter.list_deleted(cursor))
    assert [d.external_id for d, _ in deleted] == [external_id]
    assert list(adapter.list_deleted(deleted[-1][1])) == []
    with pytest.raises(NotFoundError):
        adapter.get(external_id)
    assert adapter.find(Identity(email="x@example.com")) == []


def test_a_full_task_read_covers_every_contact(adapters, hl_app, connection):
    location = connection.settings["location_id"]
    expected = {
        f"{t['contactId']}/{t['id']}"
        for t in hl_app.data.tasks.values()
        if t["locationId"] == location
    }
    records, cursor = _read(adapters.task, adapters.task.new_cursor())
    assert {adapters.task.id_of(r) for r in records} == expected
    assert cursor.kind == "highlevel.tasks" and cursor.contact_id == ""


def test_child_payloads_are_validated(adapters):
    with pytest.raises(ValidationFailedError, match="contactId"):
        adapters.task.create({"title": "Orphan", "dueDate": "2030-01-15T10:00:00Z"})
    with pytest.raises(ValidationFailedError, match="colour"):
        adapters.note.create({"contactId": "someContact000000001", "colour": "#fff"})


def _deliveries(receiver, expected: int, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while len(receiver.received) < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    return receiver.take()


def test_parse_event_for_every_webhook_the_sandbox_sends(adapters, control):
    receiver = WebhookReceiver()
    try:
        control.set(webhook_url=receiver.url)
        contacts, tasks, notes = adapters.contact, adapters.task, adapters.note
        contact = _new(contacts)  # ContactCreate
        contacts.update(contact["id"], {"city": "Rome"})  # ContactUpdate
        contacts.update(contact["id"], {"tags": ["hooked"]})  # ContactTagUpdate
        contacts.update(contact["id"], {"dnd": True})  # ContactDndUpdate
        task = tasks.create(
            {"contactId": contact["id"], "title": "T", "dueDate": "2030-01-01T00:00:00Z"}
        )
        tasks.update(tasks.id_of(task), {"completed": True})  # TaskComplete
        tasks.delete(tasks.id_of(task))
        note = notes.create({"contactId": contact["id"], "body": "N"})
        notes.update(notes.id_of(note), {"body": "M"})
        notes.delete(notes.id_of(note))
        contacts.delete(contact["id"])  # ContactDelete
        received = _deliveries(receiver, 11)
    finally:
        receiver.close()

    parsed = {}
    for body, headers in received:
        verified = webhooks.verify(body, headers)
        stored = SimpleNamespace(
            event_id=verified.event_id, event_type=verified.event_type, payload=verified.payload
        )
        events = [e for adapter in (contacts, tasks, notes) for e in adapter.parse_event(stored)]
        assert len(events) == 1, verified.event_type  # one adapter claims each event
        parsed[verified.event_type] = events[0]
        assert events[0].event_id == verified.event_id
        assert events[0].connection_id == contacts.connection.pk
        assert events[0].occurred_at.tzinfo is not None

    expected = {
        "ContactCreate": (ObjectType.CONTACT, ChangeAction.CREATED, contact["id"]),
        "ContactUpdate": (ObjectType.CONTACT, ChangeAction.UPDATED, contact["id"]),
        "ContactTagUpdate": (ObjectType.CONTACT, ChangeAction.UPDATED, contact["id"]),
        "ContactDndUpdate": (ObjectType.CONTACT, ChangeAction.UPDATED, contact["id"]),
        "ContactDelete": (ObjectType.CONTACT, ChangeAction.DELETED, contact["id"]),
        "TaskCreate": (ObjectType.TASK, ChangeAction.CREATED, tasks.id_of(task)),
        "TaskComplete": (ObjectType.TASK, ChangeAction.UPDATED, tasks.id_of(task)),
        "TaskDelete": (ObjectType.TASK, ChangeAction.DELETED, tasks.id_of(task)),
        "NoteCreate": (ObjectType.NOTE, ChangeAction.CREATED, notes.id_of(note)),
        "NoteUpdate": (ObjectType.NOTE, ChangeAction.UPDATED, notes.id_of(note)),
        "NoteDelete": (ObjectType.NOTE, ChangeAction.DELETED, notes.id_of(note)),
    }
    assert {
        name: (e.object_type, e.action, e.external_id) for name, e in parsed.items()
    } == expected
    # A task event that says whether the task is done carries the whole task.
    assert parsed["TaskComplete"].record["completed"] is True
    assert tasks.id_of(parsed["TaskCreate"].record) == tasks.id_of(task)
    assert parsed["ContactCreate"].record is None and parsed["NoteCreate"].record is None
    other = SimpleNamespace(event_id="x", event_type="AppointmentCreate", payload={"id": "a"})
    assert contacts.parse_event(other) == tasks.parse_event(other) == []
