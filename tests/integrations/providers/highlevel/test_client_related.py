"""HighLevelClient's tasks, notes, appointments, tags and custom fields against the sandbox,
under both API versions."""

import pytest

from integrations.errors import MissingScopeError, NotFoundError
from integrations.providers.highlevel.client import HighLevelClient
from integrations.providers.highlevel.schemas import ContactInput, NoteInput, TaskInput
from sandboxes.highlevel.seed import CUSTOM_FIELDS
from tests.integrations.providers.highlevel.conftest import unique_email

VERSIONS = ["2021-07-28", "v3"]


@pytest.fixture(params=VERSIONS)
def client(request, pit_connection, make_client) -> HighLevelClient:
    return make_client(pit_connection(api_version=request.param))


@pytest.fixture
def contact(client):
    return client.create_contact(ContactInput(firstName="Related", email=unique_email()))


def test_task_lifecycle(client, contact, control):
    user = control.state()["user_ids"][1]
    task = client.create_task(
        contact.id,
        TaskInput(title="Call back", body="About the order", dueDate="2026-07-20T10:00:00Z"),
    )
    assert task.title == "Call back" and task.completed is False
    assert task.dueDate == "2026-07-20T10:00:00.000Z" and task.contactId == contact.id

    assert [t.id for t in client.list_tasks(contact.id)] == [task.id]
    assert client.get_task(contact.id, task.id).body == "About the order"

    updated = client.update_task(
        contact.id, task.id, TaskInput(title="Call again", assignedTo=user)
    )
    assert updated.title == "Call again" and updated.body == "About the order"
    assert updated.assignedTo == user

    done = client.complete_task(contact.id, task.id)
    assert done.completed is True
    assert client.complete_task(contact.id, task.id, completed=False).completed is False

    client.delete_task(contact.id, task.id)
    assert client.list_tasks(contact.id) == []
    with pytest.raises(NotFoundError):
        client.get_task(contact.id, task.id)


def test_note_lifecycle(client, contact):
    note = client.create_note(contact.id, NoteInput(body="Prefers e-mail.", pinned=True))
    assert note.body == "Prefers e-mail." and note.contactId == contact.id
    second = client.create_note(contact.id, NoteInput(body="Second"))

    assert {n.id for n in client.list_notes(contact.id)} == {note.id, second.id}
    assert client.get_note(contact.id, note.id).pinned is True

    edited = client.update_note(contact.id, note.id, NoteInput(body="Prefers phone."))
    assert edited.body == "Prefers phone."
    assert client.get_note(contact.id, note.id).body == "Prefers phone."

    client.delete_note(contact.id, note.id)
    assert [n.id for n in client.list_notes(contact.id)] == [second.id]
    with pytest.raises(NotFoundError):
        client.get_note(contact.id, note.id)


def test_list_appointments(client, hl_app):
    by_contact: dict[str, set[str]] = {}
    for appointment in hl_app.data.appointments.values():
        by_contact.setdefault(appointment["contactId"], set()).add(appointment["id"])
    location = client.location_id
    contact_id, expected = next(
        (cid, ids)
        for cid, ids in by_contact.items()
        if hl_app.data.contacts[cid]["locationId"] == location
    )
    appointments = client.list_appointments(contact_id)
    assert {a.id for a in appointments} == expected
    assert all(a.contactId == contact_id and a.startTime for a in appointments)


def test_a_contact_without_appointments_has_none(client, contact):
    assert client.list_appointments(contact.id) == []


def test_add_and_remove_tags(client, contact):
    added = client.add_tags(contact.id, ["VIP", "wholesale"])
    assert set(added.tags) == {"vip", "wholesale"}
    assert set(added.tagsAdded) == {"vip", "wholesale"}
    again = client.add_tags(contact.id, ["vip"])
    assert again.tagsAdded == [] and set(again.tags) == {"vip", "wholesale"}

    removed = client.remove_tags(contact.id, ["vip"])
    assert removed.tags == ["wholesale"] and removed.tagsRemoved == ["vip"]
    assert client.get_contact(contact.id).tags == ["wholesale"]


def test_list_custom_fields(client):
    fields = client.list_custom_fields()
    assert [f.fieldKey for f in fields] == [f"contact.{key}" for key, *_ in CUSTOM_FIELDS]
    colour = next(f for f in fields if f.fieldKey == "contact.favourite_colour")
    assert colour.dataType == "SINGLE_OPTIONS"
    assert colour.picklistOptions == ["Red", "Green", "Blue", "Yellow"]
    assert all(f.id and f.name and f.model == "contact" for f in fields)


def test_list_custom_fields_needs_its_own_scope(oauth_connection, make_client):
    client = make_client(oauth_connection(scopes=["contacts.readonly", "contacts.write"]))
    with pytest.raises(MissingScopeError, match="scope"):
        client.list_custom_fields()


def test_operations_on_a_missing_contact_are_not_found(client):
    missing = "x" * 20
    with pytest.raises(NotFoundError):
        client.list_tasks(missing)
    with pytest.raises(NotFoundError):
        client.create_note(missing, NoteInput(body="lost"))
    with pytest.raises(NotFoundError):
        client.add_tags(missing, ["lost"])
