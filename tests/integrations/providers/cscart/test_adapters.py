"""The CS-Cart customer adapter over real HTTP: snapshot cursors, deletions seen by a full
read, matching, writes and typed errors."""

import json

import pytest

from integrations.errors import NotFoundError, ValidationFailedError
from integrations.providers.base import Identity, ObjectType
from integrations.providers.cscart.adapters import CsCartCursor, CsCartCustomers
from integrations.providers.cscart.client import CustomerExistsError
from integrations.providers.cursors import CursorError
from integrations.providers.registry import adapter_for
from sandboxes.cscart import connection_values
from sandboxes.kit.server import SandboxOptions
from tests.factories import ConnectionFactory
from tests.integrations.providers.cscart.conftest import FAST, Control, start, unique_email


@pytest.fixture
def adapter(connection) -> CsCartCustomers:
    return adapter_for(connection, ObjectType.CONTACT, page_size=9)


@pytest.fixture
def own_store(db):
    """A store of its own: these tests count everything and delete customers."""
    app, stop_server = start(options=SandboxOptions(seed=20, random_seed=9))
    described = app.describe()
    credentials, settings = connection_values(described)
    connection = ConnectionFactory(
        provider="cscart", settings={**settings, **FAST}, credentials=credentials
    )
    yield (
        adapter_for(connection, ObjectType.CONTACT, page_size=6),
        Control(described["control_url"]),
    )
    stop_server()


def _read(adapter, cursor):
    reading = adapter.list_changed(cursor)
    return [record for record, _ in reading], reading.cursor


def _ids(adapter, records) -> list[str]:
    return [adapter.id_of(record) for record in records]


def test_the_cursor_survives_json_and_refuses_other_kinds(adapter):
    _, cursor = _read(adapter, adapter.new_cursor())
    data = json.loads(json.dumps(cursor.to_json()))
    assert data["kind"] == "cscart.snapshot"
    assert adapter.cursor_from_json(data) == cursor
    assert isinstance(adapter.cursor_from_json(json.dumps(data)), CsCartCursor)
    with pytest.raises(CursorError):
        adapter.cursor_from_json({**data, "kind": "shift4shop.time"})


def test_a_full_read_then_only_what_changed_in_the_admin_panel(own_store):
    adapter, control = own_store
    everything, cursor = _read(adapter, adapter.new_cursor())
    assert len(everything) == 20 and len(set(_ids(adapter, everything))) == 20
    assert all(record["user_type"] == "C" for record in everything)
    target = _ids(adapter, everything)[4]
    control.act("store_update_user", {"user_id": target, "company": "Changed Ltd"})
    records, cursor = _read(adapter, cursor)
    assert _ids(adapter, records) == [target] and records[0]["company"] == "Changed Ltd"
    assert _read(adapter, cursor)[0] == []
    control.act("store_update_user", {"user_id": target, "company": "Changed again"})
    assert _ids(adapter, _read(adapter, cursor)[0]) == [target]


def test_a_deletion_is_listed_after_the_next_full_read_and_then_forgotten(own_store):
    adapter, control = own_store
    _, cursor = _read(adapter, adapter.new_cursor())
    victim = adapter.id_of(adapter.create({"email": unique_email("gone")}))
    created, cursor = _read(adapter, cursor)
    assert _ids(adapter, created) == [victim]
    assert list(adapter.list_deleted(cursor)) == []
    control.act("store_delete_user", victim)
    assert _read(adapter, cursor)[0] == []
    _, cursor = _read(adapter, cursor)
    steps = list(adapter.list_deleted(cursor))
    assert [record.external_id for record, _ in steps] == [victim]
    assert list(adapter.list_deleted(steps[-1][1])) == []


def test_find_by_email_exactly_then_by_phone(adapter):
    email = unique_email("finder")
    created = adapter.create({"email": email, "firstname": "Finn", "phone": "(415) 555-0177"})
    assert adapter.identity_of(created) == Identity(email=email, phone="+14155550177")
    # The e-mail filter is a LIKE: a longer address holding this one is not a match.
    adapter.create({"email": "x" + email, "firstname": "Other"})
    assert _ids(adapter, adapter.find(Identity(email=email.upper()))) == [created["user_id"]]
    by_phone = adapter.find(Identity(email=unique_email("nobody"), phone="+1 415 555 0177"))
    assert created["user_id"] in _ids(adapter, by_phone)
    assert adapter.find(Identity(phone="+12125550177")) == []
    assert adapter.find(Identity(email=unique_email("nobody"))) == []


def test_create_get_update_round_trip(adapter):
    # user_type C is what the client sends anyway (the preset maps it); others are refused.
    with pytest.raises(ValidationFailedError, match="user_type"):
        adapter.create({"email": unique_email("admin"), "user_type": "A"})
    created = adapter.create({"email": unique_email("trip"), "firstname": "Ada", "user_type": "C"})
    external_id = adapter.id_of(created)
    assert adapter.get(external_id) == created
    assert created["user_type"] == "C" and created["company_id"] == "1"
    updated = adapter.update(external_id, {"lastname": "Lovelace", "status": "D"})
    assert (updated["firstname"], updated["lastname"], updated["status"]) == (
        "Ada",
        "Lovelace",
        "D",
    )
    assert adapter.get(external_id) == updated and adapter.updated_of(updated) is None


def test_a_create_retried_after_a_timeout_names_the_existing_customer(adapter):
    payload = {"email": unique_email("retry")}
    created = adapter.create(payload)
    with pytest.raises(CustomerExistsError) as exists:
        adapter.create(payload)
    assert exists.value.existing.user_id == created["user_id"]


def test_a_deleted_customer_is_gone(adapter):
    external_id = adapter.id_of(adapter.create({"email": unique_email("del")}))
    adapter.delete(external_id)
    with pytest.raises(NotFoundError):
        adapter.get(external_id)


def test_typed_errors_for_a_missing_customer_and_a_bad_payload(adapter):
    with pytest.raises(NotFoundError):
        adapter.get("987654321")
    with pytest.raises(NotFoundError):
        adapter.update("987654321", {"firstname": "x"})
    with pytest.raises(ValidationFailedError, match="status") as bad:
        adapter.create({"email": unique_email("bad"), "status": "Z"})
    assert any("status" in message for message in bad.value.messages)
    with pytest.raises(ValidationFailedError, match="nickname"):
        adapter.create({"email": unique_email("bad"), "nickname": "x"})


def test_a_password_in_a_payload_is_refused_with_the_reason(adapter):
    with pytest.raises(ValidationFailedError, match="ignores passwords") as refused:
        adapter.create({"email": unique_email("pw"), "password": "s3cret-pass"})
    assert "s3cret-pass" not in str(refused.value)


def test_no_webhooks_no_events(adapter):
    assert adapter.parse_event(object()) == []
