"""Cin7Client against the sandbox over real HTTP: auth, paging, incremental reads, writes."""

import math
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import responses

from integrations.errors import (
    AuthError,
    ConfigError,
    NotFoundError,
    PermanentError,
    ValidationFailedError,
)
from integrations.providers.cin7.client import Cin7Client, modified_since_param
from integrations.providers.cin7.schemas import ContactInput, CustomerInput
from tests.factories import ConnectionFactory


def test_check_names_the_account(cin7_connection, make_client, described):
    info = make_client(cin7_connection).check()
    assert info.name == described["account_name"]
    assert info.account_id == described["account_id"]
    assert info.details["currency"] == "USD"


def test_a_wrong_key_is_an_auth_error_with_cin7s_message(cin7_connection, make_client, control):
    credentials = cin7_connection.get_credentials()
    cin7_connection.set_credentials({**credentials, "application_key": str(uuid.uuid4())})
    cin7_connection.save()
    with pytest.raises(AuthError, match="Incorrect credentials!"):
        make_client(cin7_connection).check()
    assert control.stats()["requests_by_route"] == {"GET /me": 1}  # a 403 is not retried


def test_missing_credentials_fail_before_any_request(db, described, make_client, control):
    connection = ConnectionFactory(
        provider="cin7", settings={"base_url": described["api_url"]}, credentials={}
    )
    with pytest.raises(AuthError, match="Account ID and Application Key"):
        make_client(connection).check()
    assert control.stats()["requests_total"] == 0


def _all_ids(api) -> list[str]:
    listed = api.customers(Limit=1000, IncludeDeprecated="true")["CustomerList"]
    return [c["ID"] for c in listed]


def test_iter_customers_pages_through_everything_once(cin7_connection, make_client, api, control):
    expected = _all_ids(api)
    seen = [c.ID for c in make_client(cin7_connection).iter_customers(page_size=7)]
    assert seen == expected
    calls = control.stats()["requests_by_route"]["GET /customer"] - 1  # minus _all_ids
    assert calls == math.ceil(len(expected) / 7)


def test_paging_survives_inserts_and_deactivations_mid_read(
    cin7_connection, make_client, api, control
):
    before = _all_ids(api)
    reader = make_client(cin7_connection).iter_customers(page_size=5)
    seen = [next(reader).ID for _ in range(5)]  # the whole first page
    # Changes made in Cin7 while we read: one sorts before everything (pushes every later
    # record one place on), one is deactivated ahead of the cursor.
    control.ui("POST", json={"Name": f"AAA First {uuid.uuid4().hex[:6]}"})
    control.ui("PUT", before[20], json={"Status": "Deprecated"})
    seen += [c.ID for c in reader]
    assert len(seen) == len(set(seen)), "a record came twice"
    assert set(before) <= set(seen), "a record was skipped"


def test_a_server_cap_below_the_page_size_is_followed(cin7_connection, make_client, api, control):
    expected = _all_ids(api)
    control.set(max_limit=9)
    seen = [c.ID for c in make_client(cin7_connection).iter_customers(page_size=50)]
    assert seen == expected


def test_creation_order_paging_works_too(cin7_connection, make_client, api, control):
    control.set(list_order="created")
    expected = sorted(_all_ids(api))
    seen = [c.ID for c in make_client(cin7_connection).iter_customers(page_size=11)]
    assert sorted(seen) == expected and len(seen) == len(expected)


def test_incremental_reads_return_only_what_changed(cin7_connection, make_client, api, control):
    client = make_client(cin7_connection)
    cursor = max(c.modified_at() for c in client.iter_customers())
    ids = _all_ids(api)
    control.ui("PUT", ids[3], json={"Comments": "changed in Cin7"})
    made = control.ui("POST", json={"Name": f"New In Cin7 {uuid.uuid4().hex[:6]}"}).json()
    changed = list(client.iter_customers(updated_since=cursor))
    assert {c.ID for c in changed} >= {ids[3], made["customer"]["ID"]}
    assert all(c.modified_at() >= cursor - timedelta(seconds=1) for c in changed)
    assert len(changed) < len(ids)
    new_cursor = max(c.modified_at() for c in changed)
    again = [c.ID for c in client.iter_customers(updated_since=new_cursor + timedelta(seconds=2))]
    assert again == []


def test_updated_since_must_be_aware_and_is_sent_as_utc_without_offset():
    with pytest.raises(ConfigError):
        modified_since_param(datetime(2026, 1, 1, 12, 0, 0))
    eastern = timezone(timedelta(hours=-5))
    moment = datetime(2026, 1, 1, 7, 0, 0, 250_000, tzinfo=eastern)
    assert modified_since_param(moment) == "2026-01-01T11:59:59.250"


def test_create_update_and_deactivate_round_trip(cin7_connection, make_client):
    client = make_client(cin7_connection)
    email = f"round.trip.{uuid.uuid4().hex[:8]}@example.org"
    created = client.create_customer(
        CustomerInput(
            Name=f"Round Trip {email}",
            Tags=["vip", "wholesale"],
            Comments="from HighLevel",
            AdditionalAttribute2="Gold",
            Contacts=[ContactInput(Name="Robin Trip", Email=email, Phone="+15551234567")],
        )
    )
    # Required fields the input left out came from the connection's defaults.
    assert created.Currency == "USD" and created.PriceTier == "Tier 1"
    assert created.Status == "Active" and created.tag_list() == ["vip", "wholesale"]
    assert created.default_contact().Email == email
    assert client.get_customer(created.ID).model_dump() == created.model_dump()

    contact_id = created.default_contact().ID
    updated = client.update_customer(
        created.ID,
        CustomerInput(
            Tags=["vip"],
            Contacts=[ContactInput(ID=contact_id, Name="Robin Trip", Email=email, Default=True)],
        ),
    )
    assert updated.tag_list() == ["vip"] and updated.Comments == "from HighLevel"
    assert contact_id == updated.default_contact().ID
    assert [c.ID for c in client.search_customers(contact=email)] == [created.ID]

    gone = client.deactivate_customer(created.ID)
    assert gone.Status == "Deprecated" and not gone.active
    assert client.get_customer(created.ID).Status == "Deprecated"
    active = {c.ID for c in client.iter_customers(include_deprecated=False)}
    assert created.ID not in active
    assert client.reactivate_customer(created.ID).active


def test_write_errors_are_typed_with_cin7s_messages(cin7_connection, make_client, control):
    client = make_client(cin7_connection)
    name = f"Taken {uuid.uuid4().hex[:8]}"
    client.create_customer(CustomerInput(Name=name))
    with pytest.raises(ValidationFailedError) as caught:
        client.create_customer(CustomerInput(Name=name))
    assert caught.value.messages == [f"Customer with name '{name}' already exists."]
    missing = str(uuid.uuid4())
    with pytest.raises(NotFoundError):
        client.get_customer(missing)
    with pytest.raises(NotFoundError):
        client.update_customer(missing, CustomerInput(Comments="x"))
    assert control.stats()["requests_by_route"]["POST /customer"] == 2  # 400s are not retried


def test_webhook_registrations(cin7_connection, make_client):
    from integrations.providers.cin7.webhooks import registration

    cin7_connection.set_credentials(
        {**cin7_connection.get_credentials(), "webhook_secret": "hush-9f2"}
    )
    client = make_client(cin7_connection)
    hook = client.create_webhook(registration(cin7_connection, "https://example.org/hook"))
    assert hook.ExternalAuthorizationType == "bearerauth" and "hush-9f2" not in repr(hook)
    assert hook.ID in [h.ID for h in client.list_webhooks()]
    client.delete_webhook(hook.ID)
    assert hook.ID not in [h.ID for h in client.list_webhooks()]


@responses.activate
def test_a_server_that_ignores_page_is_caught_rather_than_read_forever(db):
    connection = ConnectionFactory(
        provider="cin7",
        settings={"base_url": "https://cin7.test/ExternalApi/v2"},
        credentials={"account_id": "a", "application_key": "k"},
    )
    page = {"Total": 10, "Page": 1, "CustomerList": [{"ID": str(n)} for n in range(5)]}
    responses.get("https://cin7.test/ExternalApi/v2/customer", json=page)
    client = Cin7Client(connection, budget=_NoBudget())
    with pytest.raises(PermanentError, match="same page"):
        list(client.iter_customers(page_size=5))
    assert len(responses.calls) == 2


class _NoBudget:
    def try_acquire(self, key, limit):
        return 0.0

    def block(self, key, seconds):
        raise AssertionError("not rate limited here")

    def observe(self, key, limit, *, used):
        pass


def test_modified_at_is_aware_utc(cin7_connection, make_client):
    customer = next(make_client(cin7_connection).iter_customers(page_size=1))
    assert customer.modified_at().tzinfo is UTC
