"""The Ecwid customer adapter over real HTTP against the sandbox: cursors, incremental and
deleted reads, matching, writes, webhook events and typed errors."""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from integrations.errors import MissingScopeError, NotFoundError, ValidationFailedError
from integrations.providers.base import ChangeAction, Identity, ObjectType
from integrations.providers.cursors import CursorError
from integrations.providers.ecwid import webhooks
from integrations.providers.ecwid.adapters import EcwidCursor, EcwidCustomerAdapter
from tests.sandboxes.ecwid.conftest import Api
from tests.sandboxes.support import WebhookReceiver


@pytest.fixture
def adapter(connection) -> EcwidCustomerAdapter:
    return EcwidCustomerAdapter(connection, page_size=7)


@pytest.fixture
def api(described) -> Api:
    return Api(described["api_url"], described["secret_token"])


def _payload(**fields) -> dict:
    return {"email": f"ada.{uuid.uuid4().hex[:10]}@example.com", **fields}


def _read(adapter, cursor):
    reading = adapter.list_changed(cursor)
    records = [record for record, _ in reading]
    return records, reading.cursor


def _ids(adapter, records) -> list[str]:
    return [adapter.id_of(r) for r in records]


def test_the_cursor_survives_json_with_both_marks(adapter):
    _, cursor = _read(adapter, adapter.new_cursor())
    data = json.loads(json.dumps(cursor.to_json()))
    assert data["kind"] == "ecwid.time" and data["deleted"]["kind"] == "ecwid.deleted"
    assert adapter.cursor_from_json(data) == cursor
    assert adapter.cursor_from_json(json.dumps(data)) == cursor
    with pytest.raises(CursorError):
        adapter.cursor_from_json({**data, "deleted": {"kind": "time"}})
    with pytest.raises(CursorError):
        adapter.cursor_from_json({"kind": "orderspace.snapshot"})


def test_an_incremental_read_yields_what_changed_once(adapter, control):
    _, cursor = _read(adapter, adapter.new_cursor())
    created = adapter.create(_payload())
    records, cursor = _read(adapter, cursor)
    assert _ids(adapter, records) == [adapter.id_of(created)]
    time.sleep(1.1)
    control.admin("PUT", f"/{created['id']}", json={"lang": "de"})
    records, cursor = _read(adapter, cursor)
    assert records == [adapter.get(adapter.id_of(created))]
    assert _read(adapter, cursor)[0] == []


def test_the_overlap_rereads_quietly_and_the_precision_is_a_second(adapter, control):
    _, cursor = _read(adapter, adapter.new_cursor())
    created = adapter.create(_payload())
    _, cursor = _read(adapter, cursor)
    assert cursor.since == adapter.updated_of(created)
    assert cursor.query_from() == cursor.since - EcwidCursor.overlap
    assert cursor.query_from().microsecond == 0
    # A change within the same second as the one read has the same `updated`: Ecwid cannot
    # tell them apart, and the overlap window does not yield the record twice.
    assert _read(adapter, cursor)[0] == []
    time.sleep(1.1)
    control.admin("PUT", f"/{created['id']}", json={"lang": "es"})
    assert _ids(adapter, _read(adapter, cursor)[0]) == [adapter.id_of(created)]


def test_a_group_change_of_any_kind_is_seen_by_polling(adapter, api):
    """Ecwid moves `updated` when a customer's group is renamed (or deleted, or changed)."""
    group = api.post("/customer_groups", json={"name": f"Club {uuid.uuid4().hex[:4]}"}).json()
    member = adapter.create(_payload(customerGroupId=group["id"]))
    _, cursor = _read(adapter, adapter.new_cursor())
    time.sleep(1.1)
    api.put(f"/customer_groups/{group['id']}", json={"name": "Renamed club"})
    records, cursor = _read(adapter, cursor)
    assert _ids(adapter, records) == [adapter.id_of(member)]
    assert records[0]["customerGroupName"] == "Renamed club"
    time.sleep(1.1)
    api.delete(f"/customer_groups/{group['id']}")
    records, _ = _read(adapter, cursor)
    assert _ids(adapter, records) == [adapter.id_of(member)]
    assert records[0]["customerGroupId"] == 0


def test_a_deletion_is_listed_once(adapter, control):
    victim = adapter.create(_payload())
    _, cursor = _read(adapter, adapter.new_cursor())
    control.admin("DELETE", f"/{victim['id']}")
    deleted = list(adapter.list_deleted(cursor))
    # The sandbox is shared: deletions other tests made just before may be listed too (they
    # are inside the look-back window), so only this test's customer is counted.
    listed = [record.external_id for record, _ in deleted]
    assert listed.count(adapter.id_of(victim)) == 1
    record, after = deleted[-1]
    assert record.deleted_at is not None and record.deleted_at.tzinfo is not None
    after = adapter.cursor_from_json(after.to_json())
    assert not {r.external_id for r, _ in adapter.list_deleted(after)} & set(listed)


def test_find_by_email_then_by_phone(adapter):
    phone = f"+1415555{uuid.uuid4().int % 10_000:04d}"
    created = adapter.create(_payload(billingPerson={"name": "Ada", "phone": phone}))
    identity = adapter.identity_of(created)
    assert identity.phone == phone
    assert adapter.find(Identity(email=identity.email.upper())) == [created]
    # No e-mail match: the phone is matched across every customer, in any spelling.
    spelled = f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"
    found = adapter.find(Identity(email="nobody@example.com", phone=spelled))
    assert adapter.id_of(created) in _ids(adapter, found)
    assert adapter.find(Identity(email="nobody@example.com")) == []


def test_create_get_update_round_trip(adapter):
    created = adapter.create(_payload(billingPerson={"firstName": "Ada", "lastName": "L"}))
    assert created == adapter.get(adapter.id_of(created))
    assert created["billingPerson"]["name"] == "Ada L"
    assert adapter.updated_of(created).tzinfo == UTC
    assert abs(adapter.updated_of(created) - datetime.now(UTC)) < timedelta(minutes=1)
    updated = adapter.update(adapter.id_of(created), {"billingPerson": {"companyName": "AL"}})
    assert updated["billingPerson"]["companyName"] == "AL"
    assert updated == adapter.get(adapter.id_of(created))
    adapter.delete(adapter.id_of(created))
    with pytest.raises(NotFoundError):
        adapter.get(adapter.id_of(created))


def test_missing_records_and_bad_payloads_are_typed_errors(adapter):
    with pytest.raises(NotFoundError):
        adapter.get("999999999")
    with pytest.raises(NotFoundError):
        adapter.update("999999999", {"lang": "fr"})
    with pytest.raises(ValidationFailedError, match="customerGroupId"):
        adapter.create(_payload(customerGroupId="not a group"))
    with pytest.raises(ValidationFailedError, match="nickname"):
        adapter.create(_payload(nickname="typo"))
    with pytest.raises(ValidationFailedError, match="e-mail"):
        adapter.create({"billingPerson": {"name": "No Mail"}})
    with pytest.raises(ValidationFailedError, match="Email"):
        adapter.create(_payload(email="not-an-email"))  # refused by Ecwid itself


def test_updating_needs_the_read_scope_too(make_connection, control, adapter):
    """Ecwid asks for read_customers and update_customers to PUT a customer."""
    created = adapter.create(_payload())
    token = control.issue_token("update_customers", "create_customers")
    writer = EcwidCustomerAdapter(make_connection(secret_token=token))
    with pytest.raises(MissingScopeError, match="read_customers"):
        writer.update(adapter.id_of(created), {"lang": "fr"})


@pytest.fixture
def receiver(control):
    receiver = WebhookReceiver()
    control.set(webhook_url=receiver.url, webhook_base_delay_ms=50)
    yield receiver
    receiver.close()


def test_every_webhook_the_sandbox_sends_is_parsed(adapter, api, control, receiver):
    created = adapter.create(_payload())
    adapter.update(adapter.id_of(created), {"lang": "fr"})
    adapter.delete(adapter.id_of(created))
    group = api.post("/customer_groups", json={"name": "Hooks"}).json()["id"]
    api.put(f"/customer_groups/{group}", json={"name": "Hooks+"})
    api.delete(f"/customer_groups/{group}")
    events = []
    for headers, body in receiver.wait_for(6):
        verified = webhooks.verify(
            body, {webhooks.SIGNATURE_HEADER: headers[webhooks.SIGNATURE_HEADER.lower()]}
        )
        stored = SimpleNamespace(
            event_id=verified.event_id, event_type=verified.event_type, payload=verified.payload
        )
        events.append((verified.event_type, adapter.parse_event(stored)))
    by_type = dict(events)
    assert set(by_type) == {
        "customer.created",
        "customer.updated",
        "customer.deleted",
        "customer_group.created",
        "customer_group.updated",
        "customer_group.deleted",
    }
    for event_type, action in (
        ("customer.created", ChangeAction.CREATED),
        ("customer.updated", ChangeAction.UPDATED),
        ("customer.deleted", ChangeAction.DELETED),
    ):
        (change,) = by_type[event_type]
        assert change.action is action and change.object_type is ObjectType.CONTACT
        assert change.external_id == adapter.id_of(created)
        assert change.connection_id == adapter.connection.pk
        assert change.record is None  # Ecwid's webhook is thin
        assert change.occurred_at is not None and change.event_id
    # Group events name no customer; the customers they touch are found by polling.
    assert by_type["customer_group.updated"] == by_type["customer_group.deleted"] == []
