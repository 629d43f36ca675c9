"""The Cin7 Core customer adapter over real HTTP against the sandbox: cursors, incremental
reads, identity matching, writes with the seven required fields, deactivation, webhooks and
typed errors."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from integrations.errors import ConfigError, NotFoundError, ValidationFailedError
from integrations.models import WebhookEvent
from integrations.providers.base import ChangeAction, Identity, ObjectType
from integrations.providers.cin7 import webhooks
from integrations.providers.cin7.adapters import Cin7Cursor, CustomerAdapter
from integrations.providers.cursors import CursorError


@pytest.fixture
def adapter(cin7_connection, make_client):
    return CustomerAdapter(cin7_connection, client=make_client(cin7_connection), page_size=7)


def _person(**contact) -> dict:
    tag = uuid.uuid4().hex[:8]
    return {
        "Name": f"Adapter {tag}",
        "Contacts": [
            {"Name": f"Ada {tag}", "Email": f"ada.{tag}@example.org", "Default": True, **contact}
        ],
    }


def _read(adapter, cursor):
    reading = adapter.list_changed(cursor)
    records = [record for record, _ in reading]
    return records, reading.cursor


def test_cursors_round_trip_through_json(adapter):
    fresh = adapter.new_cursor()
    assert fresh.to_json() == {"kind": "cin7.time", "since": None, "recent": {}}
    _, after = _read(adapter, fresh)
    saved = json.dumps(after.to_json())
    assert adapter.cursor_from_json(saved) == after == adapter.cursor_from_json(json.loads(saved))
    with pytest.raises(CursorError):
        adapter.cursor_from_json({"kind": "time", "since": None, "recent": {}})


def test_a_full_read_then_only_what_changed_and_nothing_twice(adapter, api, control):
    total = api.customers(Limit=1, IncludeDeprecated="true")["Total"]
    everyone, cursor = _read(adapter, adapter.new_cursor())
    assert len(everyone) == total == len({adapter.id_of(r) for r in everyone})
    assert any(r["Status"] == "Deprecated" for r in everyone)  # deactivated ones are read too

    made = adapter.create(_person())
    edited = everyone[3]
    control.ui("PUT", edited["ID"], json={"Comments": "edited in Cin7"})
    changed, cursor = _read(adapter, cursor)
    assert {made["ID"], edited["ID"]} <= {r["ID"] for r in changed}
    assert next(r for r in changed if r["ID"] == edited["ID"])["Comments"] == "edited in Cin7"
    again, _ = _read(adapter, cursor)
    assert again == []  # the overlap re-reads them; the cursor knows them


def test_the_cursor_works_in_milliseconds_with_an_overlap():
    since = datetime(2026, 3, 1, 12, 0, 0, 917_654, tzinfo=UTC)
    cursor = Cin7Cursor(since=since)
    assert cursor.query_from() == since.replace(microsecond=917_000) - Cin7Cursor.overlap
    assert Cin7Cursor.precision == timedelta(milliseconds=1)


def test_a_change_within_the_same_second_is_still_seen(adapter):
    made = adapter.create(_person())
    _, cursor = _read(adapter, adapter.new_cursor())
    changed = adapter.update(made["ID"], {"Comments": "a moment later"})
    assert adapter.updated_of(changed) > adapter.updated_of(made)
    records, _ = _read(adapter, cursor)
    assert [r["Comments"] for r in records if r["ID"] == made["ID"]] == ["a moment later"]


def test_find_by_email_first_then_by_phone(adapter):
    first = adapter.create(_person(Phone="(415) 555-0199"))
    email = first["Contacts"][0]["Email"]
    assert [r["ID"] for r in adapter.find(Identity(email=email.upper()))] == [first["ID"]]
    # An e-mail nobody has falls back to the phone, compared normalised.
    by_phone = adapter.find(Identity(email="nobody@example.org", phone="+1 415 555 0199"))
    assert first["ID"] in [r["ID"] for r in by_phone]
    assert adapter.find(Identity(email="nobody@example.org")) == []
    assert adapter.identity_of(first) == Identity(email=email, phone="+14155550199")


def test_create_get_update_round_trip_fills_the_seven(adapter):
    created = adapter.create(_person(Phone="+14155550123", JobTitle="Buyer"))
    assert (created["Status"], created["Currency"], created["PaymentTerm"]) == (
        "Active",
        "USD",
        "30 days",
    )
    assert (created["AccountReceivable"], created["RevenueAccount"]) == ("610", "200")
    assert created["TaxRule"] == "Tax Exempt"
    assert adapter.get(created["ID"]) == created
    assert isinstance(adapter.updated_of(created), datetime)
    assert adapter.updated_of(created).tzinfo is UTC

    contact_id = created["Contacts"][0]["ID"]
    new_email = f"new.{uuid.uuid4().hex[:6]}@example.org"
    updated = adapter.update(created["ID"], {"Tags": ["vip"], "Contacts": [{"Email": new_email}]})
    contact = updated["Contacts"][0]
    # The payload's contact 0 is merged onto the default contact: same ID, other fields kept.
    assert (contact["ID"], contact["Email"]) == (contact_id, new_email)
    assert contact["JobTitle"] == "Buyer"
    assert updated["Tags"] == "vip" and updated["Name"] == created["Name"]
    assert adapter.get(created["ID"]) == updated


def test_deactivation_is_seen_as_a_change_with_its_status(adapter, control):
    made = adapter.create(_person())
    outside = adapter.create(_person())
    _, cursor = _read(adapter, adapter.new_cursor())
    assert adapter.deactivate(made["ID"])["Status"] == "Deprecated"
    control.ui("PUT", outside["ID"], json={"Status": "Deprecated"})
    records, cursor = _read(adapter, cursor)
    statuses = {r["ID"]: r["Status"] for r in records}
    assert statuses[made["ID"]] == statuses[outside["ID"]] == "Deprecated"
    assert list(adapter.list_deleted(cursor)) == []
    assert adapter.get(made["ID"])["Status"] == "Deprecated"  # still readable by ID


def test_parse_event_for_the_sandboxs_webhooks(adapter, cin7_connection, make_client, receiver):
    from integrations.providers.cin7.schemas import WebhookInput

    cin7_connection.set_credentials(
        {**cin7_connection.get_credentials(), "webhook_secret": "adapter-hook-secret"}
    )
    cin7_connection.save()
    client = make_client(cin7_connection)
    hook = client.create_webhook(
        WebhookInput(
            ExternalURL=receiver.url,
            ExternalAuthorizationType="bearerauth",
            ExternalBearerToken="adapter-hook-secret",
        )
    )
    try:
        made = adapter.create(_person())
        receiver.wait_for(1)
        adapter.deactivate(made["ID"])
        receiver.wait_for(2)
    finally:
        client.delete_webhook(hook.ID)
    events = []
    for delivery in receiver.requests[:2]:
        verified = webhooks.verify(delivery["body"], delivery["headers"])
        stored = WebhookEvent(
            provider="cin7",
            event_id=verified.event_id,
            event_type=verified.event_type,
            payload=verified.payload,
        )
        events.extend(adapter.parse_event(stored))
    assert [(e.external_id, e.action) for e in events] == [
        (made["ID"], ChangeAction.UPDATED),
        (made["ID"], ChangeAction.DELETED),
    ]
    first, second = events
    assert first.connection_id == cin7_connection.pk and first.object_type is ObjectType.CONTACT
    assert first.record["Name"] == made["Name"] and second.record["Status"] == "Deprecated"
    assert first.occurred_at == adapter.updated_of(made) and first.event_id != second.event_id
    other = WebhookEvent(provider="cin7", event_type="Sale/OrderAuthorised", payload={})
    assert adapter.parse_event(other) == []


def test_typed_errors_for_a_missing_record_and_a_bad_payload(adapter, cin7_connection, control):
    missing = str(uuid.uuid4())
    with pytest.raises(NotFoundError):
        adapter.get(missing)
    with pytest.raises(NotFoundError):
        adapter.update(missing, {"Comments": "x"})
    calls = control.stats()["requests_total"]
    with pytest.raises(ValidationFailedError, match="Nickname") as caught:
        adapter.create({"Name": "Bad", "Nickname": "typo"})
    assert caught.value.messages and "Nickname" in caught.value.messages[0]
    with pytest.raises(ValidationFailedError, match="Discount"):
        adapter.update(missing, {"Discount": "lots"})
    cin7_connection.settings.pop("tax_rule")
    with pytest.raises(ConfigError, match="tax_rule"):
        adapter.create(_person())
    assert control.stats()["requests_total"] == calls  # refused before any call
    cin7_connection.settings["tax_rule"] = "Tax Exempt"
    one, two = adapter.create(_person()), adapter.create(_person())
    with pytest.raises(ValidationFailedError, match="already exists"):
        adapter.update(one["ID"], {"Name": two["Name"]})  # Cin7's own refusal, typed
