"""Customer reads and writes through the client, with Orderspace's quirks."""

from datetime import UTC, datetime, timedelta

import pytest

from integrations.errors import ConfigError, NotFoundError, ValidationFailedError
from integrations.providers.orderspace.schemas import (
    AddressInput,
    BuyerInput,
    Customer,
    CustomerInput,
)
from tests.integrations.providers.orderspace.conftest import unique_email


def new_input(**overrides) -> CustomerInput:
    values = {
        "company_name": "Round Trip Ltd",
        "buyers": [BuyerInput(name="Robin Trip", email_address=unique_email())],
        "phone": "+44 117 496 0000",
        "addresses": [AddressInput(line1="1 Quay St", city="Bristol", country="GB")],
        **overrides,
    }
    return CustomerInput(**values)


def test_create_get_update_delete_round_trip(client, control):
    created = client.create_customer(new_input(internal_note="first"))

    fetched = client.get_customer(created.id)
    updated = client.update_customer(created.id, CustomerInput(phone="0117 000 0000"))
    deleted = client.delete_customer(created.id)

    assert created.id.startswith("cu_")
    assert fetched == created
    assert fetched.buyer.email_address == created.buyers[0].email_address
    assert fetched.created_time is not None and fetched.created_time.tzinfo is not None
    assert updated.phone == "0117 000 0000"
    assert updated.internal_note == "first"  # partial update keeps the rest
    assert deleted.id == created.id and deleted.deleted is True
    with pytest.raises(NotFoundError, match="Couldn't find a customer with ID"):
        client.get_customer(created.id)
    with pytest.raises(NotFoundError):
        client.delete_customer(created.id)
    assert control.stats()["requests_by_route"]["POST /v1/customers"] == 1


def test_null_clears_a_field_and_unset_leaves_it(client):
    created = client.create_customer(new_input(minimum_spend=100.0, reference="R-9"))

    updated = client.update_customer(created.id, CustomerInput(minimum_spend=None))

    assert updated.minimum_spend is None
    assert updated.reference == "R-9"


def test_validation_errors_carry_each_message_and_are_not_retried(client, control):
    taken = client.create_customer(new_input()).buyers[0].email_address

    with pytest.raises(ValidationFailedError) as caught:
        client.create_customer(
            new_input(
                buyers=[BuyerInput(name="Dup", email_address=taken)], payment_terms_id="pt_nope"
            )
        )

    assert caught.value.messages == [
        "Email address has already been taken",
        "Payment Terms are invalid",
    ]
    assert control.stats()["requests_by_route"]["POST /v1/customers"] == 2


def test_inputs_refuse_what_orderspace_would(client):
    with pytest.raises(ValueError, match="at most 1"):
        new_input(buyers=[BuyerInput(email_address="a@x.org"), BuyerInput(email_address="b@x.org")])
    with pytest.raises(ValueError):
        CustomerInput(first_name="No such field")


def test_find_by_buyer_email(client):
    created = client.create_customer(new_input())

    found = client.find_customer_by_email(created.buyers[0].email_address)

    assert found.id == created.id
    assert client.find_customer_by_email(unique_email()) is None


def test_references_for_mapping(client):
    groups = client.list_customer_groups()
    created = client.create_customer(new_input(customer_group_id=groups[0].id))

    assert {g.name for g in groups} >= {"Retail", "Wholesale"}
    assert client.list_price_lists() and client.list_payment_terms() and client.list_tax_rates()
    assert created.customer_group_id == groups[0].id


def test_both_names_of_the_creation_time_are_read(client, control):
    control.set(created_field="created_at")
    documented = next(client.iter_customers(page_size=1))
    control.set(created_field="created")
    real = next(client.iter_customers(page_size=1))

    assert documented.created is None and documented.created_at is not None
    assert real.created_time == documented.created_time


def test_unknown_fields_are_kept():
    customer = Customer.model_validate({"id": "cu_1", "loyalty_tier": "gold", "created": None})

    dumped = customer.model_dump(mode="json", by_alias=True, exclude_none=False)

    assert dumped["loyalty_tier"] == "gold"
    assert dumped["buyers"] == [] and dumped["email_addresses"] is None


def test_updated_since_is_refused_because_orderspace_has_no_such_filter(client):
    with pytest.raises(ConfigError, match="no updated-since filter"):
        list(client.iter_customers(updated_since=datetime.now(UTC)))
    with pytest.raises(ConfigError, match="no customer filter called colour"):
        list(client.iter_customers(colour="red"))
    with pytest.raises(ConfigError, match="1 to 200"):
        list(client.iter_customers(page_size=201))


def test_created_since_reads_only_newer_customers_boundary_included(client):
    first = client.create_customer(new_input())
    second = client.create_customer(new_input())

    since = first.created_time
    newer = [c.id for c in client.iter_customers(created_since=since)]
    later = [c.id for c in client.iter_customers(created_since=since + timedelta(days=1))]

    assert set(newer) >= {first.id, second.id}
    assert all(c.created_time >= since for c in client.iter_customers(created_since=since))
    assert later == []
    with pytest.raises(ConfigError, match="aware datetime"):
        list(client.iter_customers(created_since=datetime(2025, 1, 1)))
