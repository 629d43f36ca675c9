"""The Shift4Shop customer adapter over real HTTP: cursors, incremental reads, matching,
writes, webhooks and typed errors."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from integrations.errors import NotFoundError, ValidationFailedError
from integrations.providers.base import ChangeAction, Identity, ObjectType, WebhookRejected
from integrations.providers.cursors import CursorError
from integrations.providers.registry import adapter_for
from integrations.providers.shift4shop import webhooks
from integrations.providers.shift4shop.adapters import Shift4ShopCursor, Shift4ShopCustomers
from sandboxes.kit.server import SandboxOptions
from sandboxes.shift4shop import connection_values
from tests.factories import ConnectionFactory
from tests.integrations.providers.shift4shop.conftest import Control, start


@pytest.fixture
def adapter(store_connection) -> Shift4ShopCustomers:
    return adapter_for(store_connection, ObjectType.CONTACT, page_size=7)


def _read(adapter, cursor):
    reading = adapter.list_changed(cursor)
    records = [record for record, _ in reading]
    return records, reading.cursor


def _ids(records) -> list[str]:
    return [str(record["CustomerID"]) for record in records]


def _email() -> str:
    return f"adapter.{uuid.uuid4().hex[:10]}@example.org"


def test_the_cursor_survives_json_and_refuses_other_kinds(adapter):
    since = datetime(2026, 3, 1, 12, 0, 0, 500_000, tzinfo=UTC)
    cursor = Shift4ShopCursor(since=since)
    cursor = cursor.after("7", f"~{since.isoformat()}|abc", None, move=False)
    data = json.loads(json.dumps(cursor.to_json()))
    assert data["kind"] == "shift4shop.time"
    assert adapter.cursor_from_json(data) == cursor
    assert adapter.cursor_from_json(json.dumps(data)) == cursor
    with pytest.raises(CursorError):
        adapter.cursor_from_json({**data, "kind": "cscart.snapshot"})


def test_after_a_full_read_only_what_changed_is_read_and_only_once(adapter, control):
    everything, cursor = _read(adapter, adapter.new_cursor())
    assert len(everything) >= 40 and len(set(_ids(everything))) == len(everything)
    changed = everything[3]["CustomerID"]
    control.admin("PUT", f"/{changed}", {"Comments": "changed in the admin"})
    records, cursor = _read(adapter, cursor)
    assert _ids(records) == [str(changed)]
    assert records[0]["Comments"] == "changed in the admin"
    again, cursor = _read(adapter, cursor)
    assert again == []
    # Changed again later: read again.
    control.admin("PUT", f"/{changed}", {"Comments": "and again"})
    records, cursor = _read(adapter, cursor)
    assert _ids(records) == [str(changed)]


@pytest.fixture
def own_store(db):
    """A sandbox of its own: these tests date changes into the future or delete customers."""
    app, stop_server = start(SandboxOptions(seed=20, random_seed=8), rate_limit=100_000)
    credentials, settings = connection_values(app.describe())
    connection = ConnectionFactory(
        provider="shift4shop",
        settings={**settings, "requests_per_second": 1000},
        credentials=credentials,
    )
    yield connection, Control(app.base_url)
    stop_server()


def _changed_at(control, moment: datetime) -> int:
    customer_id = control.add_customer()["CustomerID"]
    control.admin("PUT", f"/{customer_id}", {"Comments": "x"}, at=moment.isoformat())
    return customer_id


def test_reads_ask_from_the_overlap_before_the_cursor_floored_in_the_stores_zone(own_store):
    connection, control = own_store
    adapter = adapter_for(connection, ObjectType.CONTACT, page_size=5)
    since = datetime(2047, 1, 15, 15, 2, 0, 700_000, tzinfo=UTC)  # 10:02:00.7 in New York
    asked_from = datetime(2047, 1, 15, 15, 0, 0, tzinfo=UTC)  # less 2 minutes, floored
    on_the_edge = _changed_at(control, asked_from)
    too_early = _changed_at(control, asked_from - timedelta(seconds=1))
    records, after = _read(adapter, Shift4ShopCursor(since=since))
    assert _ids(records) == [str(on_the_edge)]
    assert str(too_early) not in _ids(records)
    assert after.since == since  # a read never moves the cursor back
    # A store whose clock is UTC: the setting and the store agree, the same edge holds.
    control.set(store_timezone="UTC")
    connection.settings = {**connection.settings, "store_timezone": "UTC"}
    utc = adapter_for(connection, ObjectType.CONTACT, page_size=5)
    records, _ = _read(utc, Shift4ShopCursor(since=since))
    assert _ids(records) == [str(on_the_edge)]
    # ...and a setting that disagrees with the store asks from another moment (10:00 New
    # York time read as UTC is five hours early).
    connection.settings = {**connection.settings, "store_timezone": "America/New_York"}
    wrong = adapter_for(connection, ObjectType.CONTACT, page_size=5)
    assert str(too_early) in _ids(_read(wrong, Shift4ShopCursor(since=since))[0])


def test_a_deletion_during_the_read_skips_no_neighbour(own_store):
    connection, control = own_store
    adapter = adapter_for(connection, ObjectType.CONTACT, page_size=5)
    reading = adapter.list_changed(adapter.new_cursor())
    first_page = [next(reading)[0]["CustomerID"] for _ in range(5)]
    control.admin("DELETE", f"/{first_page[1]}")  # behind us: every later customer moves up
    rest = [record["CustomerID"] for record, _ in reading]
    assert len(first_page + rest) == len(set(first_page + rest)) == 20


def test_find_by_email_first_then_by_phone(adapter):
    email = _email()
    created = adapter.create(
        {"Email": email.upper(), "BillingFirstName": "Finn", "BillingPhoneNumber": "(415) 555-0142"}
    )
    identity = adapter.identity_of(created)
    assert identity == Identity(email=email, phone="+14155550142")
    assert _ids(adapter.find(Identity(email=email))) == [str(created["CustomerID"])]
    # No such e-mail: the phone decides, whatever its format in the store.
    by_phone = adapter.find(Identity(email=_email(), phone="+1 415-555-0142"))
    assert str(created["CustomerID"]) in _ids(by_phone)
    # Same last four digits, another number: not a match.
    assert adapter.find(Identity(phone="+12125550142")) == []
    assert adapter.find(Identity(email=_email())) == []


def test_create_get_update_round_trip_without_a_password(adapter):
    created = adapter.create({"Email": _email(), "BillingFirstName": "Ada", "MailList": True})
    assert "Password" not in created and created["MailList"] is True
    external_id = adapter.id_of(created)
    assert isinstance(external_id, str) and adapter.get(external_id) == created
    updated = adapter.update(external_id, {"BillingLastName": "Lovelace"})
    assert updated["BillingLastName"] == "Lovelace" and updated["BillingFirstName"] == "Ada"
    assert adapter.get(external_id) == updated
    assert adapter.updated_of(updated) is None


def test_a_create_that_may_have_happened_is_found_by_email(adapter):
    email = _email()
    created = adapter.create({"Email": email})
    with pytest.raises(ValidationFailedError, match="exists"):
        adapter.create({"Email": email})
    assert adapter.client.find_customer_by_email(email).CustomerID == created["CustomerID"]


def test_a_deleted_customer_is_gone(adapter):
    external_id = adapter.id_of(adapter.create({"Email": _email()}))
    adapter.delete(external_id)
    with pytest.raises(NotFoundError):
        adapter.get(external_id)
    with pytest.raises(NotFoundError):
        adapter.delete(external_id)


def test_typed_errors_for_a_missing_customer_and_a_bad_payload(adapter):
    with pytest.raises(NotFoundError):
        adapter.get("987654321")
    with pytest.raises(NotFoundError):
        adapter.get("not-a-number")
    with pytest.raises(NotFoundError):
        adapter.update("987654321", {"Comments": "x"})
    with pytest.raises(ValidationFailedError, match="CustomerGroupID") as bad:
        adapter.create({"Email": _email(), "CustomerGroupID": "gold"})
    assert any("CustomerGroupID" in message for message in bad.value.messages)
    with pytest.raises(ValidationFailedError, match="Nickname"):
        adapter.update("1", {"Nickname": "x"})
    with pytest.raises(ValidationFailedError, match="Email"):
        adapter.create({"BillingFirstName": "No e-mail"})


def _stored(verified) -> SimpleNamespace:
    return SimpleNamespace(
        event_id=verified.event_id, event_type=verified.event_type, payload=verified.payload
    )


def test_customer_new_becomes_a_created_change_with_the_stores_record(adapter, control):
    customer = control.add_customer(BillingFirstName="Hook")
    verified = webhooks.verify(json.dumps([customer]).encode(), {})
    [change] = adapter.parse_event(_stored(verified))
    assert change.connection_id == adapter.connection.pk
    assert change.object_type == ObjectType.CONTACT and change.action == ChangeAction.CREATED
    assert change.external_id == str(customer["CustomerID"])
    assert change.event_id == verified.event_id
    assert change.record == adapter.get(change.external_id)
    other = SimpleNamespace(event_id="x", event_type="Order New", payload={"customers": []})
    assert adapter.parse_event(other) == []


def test_a_delivery_confirmed_later_carries_no_record_until_confirmed(adapter, control):
    customer = control.add_customer()
    verified = webhooks.verify(json.dumps(customer).encode(), {}, confirm=False)
    assert verified.needs_confirmation and adapter.connection in verified.connections
    [hint] = adapter.parse_event(_stored(verified))
    assert hint.external_id == str(customer["CustomerID"]) and hint.record is None
    confirmed = webhooks.confirm(adapter.connection, verified.payload)
    assert confirmed["confirmed"] and confirmed["customers"] == [customer]
    forged = {**verified.payload, "customers": [{**customer, "Email": "else@example.org"}]}
    with pytest.raises(WebhookRejected) as refused:
        webhooks.confirm(adapter.connection, forged)
    assert refused.value.reason == "unconfirmed"
