"""The Orderspace customer adapter over real HTTP against the sandbox: snapshot cursors,
deletions found by comparison, matching, writes, webhook events and typed errors."""

import json
import uuid
from types import SimpleNamespace

import pytest

from integrations.errors import NotFoundError, ValidationFailedError
from integrations.providers.base import ChangeAction, Identity, ObjectType
from integrations.providers.cursors import CursorError
from integrations.providers.orderspace import webhooks
from integrations.providers.orderspace.adapters import OrderspaceCursor, OrderspaceCustomerAdapter
from tests.integrations.providers.orderspace.conftest import new_fields
from tests.sandboxes.support import WebhookReceiver


@pytest.fixture
def adapter(connection, client) -> OrderspaceCustomerAdapter:
    return OrderspaceCustomerAdapter(connection, client=client, page_size=7)


def _read(adapter, cursor):
    reading = adapter.list_changed(cursor)
    records = [record for record, _ in reading]
    return records, reading.cursor


def _ids(adapter, records) -> list[str]:
    return [adapter.id_of(r) for r in records]


def test_the_snapshot_cursor_survives_json_and_keeps_its_kind(adapter):
    records, cursor = _read(adapter, adapter.new_cursor())
    assert isinstance(cursor, OrderspaceCursor) and cursor.reading is None
    assert set(cursor.digests) == set(_ids(adapter, records))
    data = json.loads(json.dumps(cursor.to_json()))
    assert data["kind"] == "orderspace.snapshot"
    assert adapter.cursor_from_json(data) == cursor
    with pytest.raises(CursorError):
        adapter.cursor_from_json({"kind": "ecwid.time"})


def test_an_incremental_read_yields_only_what_changed(adapter, control):
    _, cursor = _read(adapter, adapter.new_cursor())
    created = adapter.create(new_fields())
    records, cursor = _read(adapter, cursor)
    assert _ids(adapter, records) == [adapter.id_of(created)]
    control.act("admin_update_customer", {"id": created["id"], "internal_note": "changed"})
    records, cursor = _read(adapter, cursor)
    assert records == [adapter.get(adapter.id_of(created))]
    assert records[0]["internal_note"] == "changed"
    assert _read(adapter, cursor)[0] == []


def test_a_read_cut_short_resumes_without_yielding_again(adapter):
    _, cursor = _read(adapter, adapter.new_cursor())
    first, second = adapter.create(new_fields()), adapter.create(new_fields())
    reading = adapter.list_changed(cursor)
    record, partial = next(reading)
    assert partial.reading is not None  # mid-read: nothing is reported deleted yet
    rest, _ = _read(adapter, adapter.cursor_from_json(partial.to_json()))
    assert sorted(_ids(adapter, [record, *rest])) == sorted([first["id"], second["id"]])


def test_a_deletion_is_listed_once_after_a_complete_read(adapter, control):
    victim = adapter.create(new_fields())
    _, cursor = _read(adapter, adapter.new_cursor())
    control.act("admin_delete_customer", victim["id"])
    assert list(adapter.list_deleted(cursor)) == []  # not known until a read misses it
    _, cursor = _read(adapter, cursor)
    deleted = list(adapter.list_deleted(cursor))
    assert [record.external_id for record, _ in deleted] == [victim["id"]]
    assert list(adapter.list_deleted(deleted[-1][1])) == []


def test_find_by_buyer_email_then_by_phone(adapter):
    phone = f"+1415555{uuid.uuid4().int % 10_000:04d}"
    created = adapter.create(new_fields(phone=phone))
    identity = adapter.identity_of(created)
    assert identity == Identity(email=created["buyers"][0]["email_address"].lower(), phone=phone)
    assert adapter.find(Identity(email=identity.email.upper())) == [created]
    spelled = f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"
    found = adapter.find(Identity(email="nobody@example.com", phone=spelled))
    assert adapter.id_of(created) in _ids(adapter, found)
    assert adapter.find(Identity(email="nobody@example.com")) == []


def test_create_get_update_round_trip(adapter):
    created = adapter.create(new_fields(internal_note="first"))
    assert created == adapter.get(adapter.id_of(created))
    assert created["created"] and adapter.updated_of(created) is None  # no update time
    updated = adapter.update(adapter.id_of(created), {"internal_note": "second"})
    assert updated["internal_note"] == "second" and updated["phone"] == created["phone"]
    assert updated == adapter.get(adapter.id_of(created))
    adapter.delete(adapter.id_of(created))
    with pytest.raises(NotFoundError):
        adapter.get(adapter.id_of(created))


def test_missing_records_and_bad_payloads_are_typed_errors(adapter):
    with pytest.raises(NotFoundError, match="cu_missing0"):
        adapter.get("cu_missing0")
    with pytest.raises(NotFoundError):
        adapter.update("cu_missing0", {"internal_note": "x"})
    with pytest.raises(ValidationFailedError, match="buyers"):
        adapter.create(new_fields(buyers="someone"))
    with pytest.raises(ValidationFailedError, match="colour"):
        adapter.create(new_fields(colour="red"))
    with pytest.raises(ValidationFailedError, match="company_name"):
        adapter.create({"phone": "+441234"})
    with pytest.raises(ValidationFailedError, match="Customer Group is invalid"):
        adapter.create(new_fields(customer_group_id="cg_nothere"))  # refused by Orderspace


@pytest.fixture
def receiver(control):
    receiver = WebhookReceiver()
    control.set(webhook_url=receiver.url, webhook_batch_ms=300)
    yield receiver
    receiver.close()


def test_a_batched_delivery_becomes_one_change_event_per_customer_event(
    adapter, connection, receiver
):
    created = adapter.create(new_fields())
    adapter.update(adapter.id_of(created), {"internal_note": "hooked"})
    adapter.delete(adapter.id_of(created))
    events = []
    for headers, body in receiver.wait_for(1):
        verified = webhooks.verify(body, {webhooks.HEADER: headers[webhooks.HEADER.lower()]})
        assert connection in verified.connections
        stored = SimpleNamespace(
            event_id=verified.event_id, event_type=verified.event_type, payload=verified.payload
        )
        events += adapter.parse_event(stored)
    assert [e.action for e in events] == [
        ChangeAction.CREATED,
        ChangeAction.UPDATED,
        ChangeAction.DELETED,
    ]
    assert {e.external_id for e in events} == {created["id"]}
    assert all(e.object_type is ObjectType.CONTACT for e in events)
    assert all(e.connection_id == connection.pk for e in events)
    assert len({e.event_id for e in events}) == 3
    # Orderspace's webhook carries the whole customer: the record rides along.
    assert events[1].record["internal_note"] == "hooked"
    assert events[1].record == {**created, "internal_note": "hooked"}
    assert events[2].record is None


def test_events_about_other_things_are_ignored(adapter):
    stored = SimpleNamespace(
        event_id="sha256:x",
        event_type="mixed",
        payload={
            "events": [
                {"event": "order.created", "data": {"order": {"id": "or_1"}}},
                {"event": "customer.updated", "data": {"customer": {"id": "cu_1"}}},
            ]
        },
    )
    (event,) = adapter.parse_event(stored)
    assert event.external_id == "cu_1" and event.event_id == "sha256:x#1"
