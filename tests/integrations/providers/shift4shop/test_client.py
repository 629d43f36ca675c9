"""Shift4ShopClient against the sandbox over real HTTP: auth, writes, retries, rate limit."""

import pytest
from pydantic import ValidationError

from integrations.errors import (
    AuthError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    ValidationFailedError,
)
from integrations.providers.shift4shop.client import Shift4ShopClient
from integrations.providers.shift4shop.schemas import CustomerInput
from tests.factories import ConnectionFactory

CREATE_ROUTE = "POST /3dcartwebapi/{version}/customers"
LIST_ROUTE = "GET /3dcartwebapi/{version}/customers"


@pytest.fixture
def client(store_connection) -> Shift4ShopClient:
    return Shift4ShopClient(store_connection)


def _routes(control) -> dict:
    return control.stats()["requests_by_route"]


def test_check_names_the_store_and_counts_its_customers(client, described):
    info = client.check()
    host = described["secure_url"].removeprefix("https://")
    assert info.name == host and info.account_id == described["secure_url"]
    assert info.details["customers"] >= 40


@pytest.mark.parametrize(
    ("credential", "message"),
    [("private_key", "The PrivateKey is not valid."), ("token", "The Token is not valid")],
)
def test_check_with_a_wrong_credential_is_an_auth_error_with_the_platforms_message(
    store_connection, control, credential, message
):
    credentials = store_connection.get_credentials()
    store_connection.set_credentials({**credentials, credential: "0" * 32})
    with pytest.raises(AuthError, match=message) as caught:
        Shift4ShopClient(store_connection).check()
    assert caught.value.status == 401
    assert sum(_routes(control).values()) == 1  # refused once, not retried


def test_a_wrong_secure_url_is_an_auth_error(store_connection):
    store_connection.settings = {**store_connection.settings, "secure_url": "https://x.com"}
    with pytest.raises(AuthError, match="not a store that authorized"):
        Shift4ShopClient(store_connection).check()


def test_missing_credentials_fail_before_any_request(db, described, control):
    connection = ConnectionFactory(
        provider="shift4shop",
        settings={"base_url": described["base_url"]},
        credentials={"private_key": "abc"},
    )
    with pytest.raises(AuthError, match="Secure URL and the Token"):
        Shift4ShopClient(connection).check()
    assert _routes(control) == {}


def test_create_get_update_delete_round_trip(client):
    created = client.create_customer(
        CustomerInput(
            Email="round.trip@example.org",
            Password="pw-123",
            BillingFirstName="Round",
            BillingPhoneNumber="+15125550100",
            CustomerGroupID=2,
        )
    )
    assert created.ok and created.Status == "201" and created.Message == "Created successfully"
    customer = client.get_customer(created.customer_id)
    assert customer.Email == "round.trip@example.org" and customer.BillingFirstName == "Round"
    assert customer.CustomerGroupID == 2 and customer.Enabled is True

    updated = client.update_customer(customer.CustomerID, CustomerInput(Comments="VIP lead"))
    assert updated.ok and updated.customer_id == customer.CustomerID
    again = client.get_customer(customer.CustomerID)
    assert again.Comments == "VIP lead" and again.BillingFirstName == "Round"

    deleted = client.delete_customer(customer.CustomerID)
    assert deleted.Message == "Deleted successfully"
    with pytest.raises(NotFoundError, match="Customer not found"):
        client.get_customer(customer.CustomerID)
    with pytest.raises(NotFoundError):
        client.delete_customer(customer.CustomerID)


def test_reads_keep_fields_the_model_does_not_know(client):
    customer = client.get_customer(1)
    dumped = customer.model_dump(mode="json", by_alias=True, exclude_none=False)
    assert dumped["CustomerID"] == 1 and "BillingTaxID" in dumped


def test_a_create_without_a_password_is_refused_locally(client, control):
    with pytest.raises(ValidationFailedError, match="Email and a Password"):
        client.create_customer(CustomerInput(Email="nopass@example.org"))
    assert _routes(control) == {}


def test_the_password_never_shows_in_a_repr_and_typos_are_refused():
    data = CustomerInput(Email="a@example.org", Password="hunter2")
    assert "hunter2" not in repr(data) and data.payload()["Password"] == "hunter2"
    with pytest.raises(ValidationError):
        CustomerInput(Emial="a@example.org")


def test_a_refused_write_is_a_validation_error_sent_once(client, control):
    email = client.get_customer(1).Email
    with pytest.raises(ValidationFailedError, match="exists") as caught:
        client.create_customer(CustomerInput(Email=email, Password="pw"))
    assert caught.value.messages == [f"A customer with the email {email} exists."]
    assert _routes(control)[CREATE_ROUTE] == 1  # 4xx: never retried


def test_bulk_update_reports_each_customer(client):
    one = client.create_customer(CustomerInput(Email="bulk.one@example.org", Password="pw"))
    results = client.update_customers(
        [(one.customer_id, CustomerInput(MailList=True)), (999999, CustomerInput(Enabled=False))]
    )
    assert [(r.ok, r.status_code) for r in results] == [(True, 200), (False, 404)]
    assert client.get_customer(one.customer_id).MailList is True


def test_customer_groups(client):
    groups = client.list_customer_groups()
    assert [(g.CustomerGroupID, g.Name) for g in groups][:2] == [(1, "Retail"), (2, "Wholesale")]
    assert all(c.CustomerGroupID == 3 for c in client.customers_in_group(3))


def test_find_by_email(client):
    email = client.get_customer(7).Email
    assert client.find_customer_by_email(email.upper()).CustomerID == 7
    assert client.find_customer_by_email("nobody@nowhere.example") is None


def test_injected_5xx_are_retried_until_they_stop(store_connection, control):
    control.set(error_rate=1.0, error_status=500)
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        if len(waits) == 2:
            control.set(error_rate=0.0)

    customer = Shift4ShopClient(store_connection, sleep=sleep).get_customer(1)
    assert customer.CustomerID == 1 and len(waits) == 2
    assert control.stats()["responses_by_status"] == {"200": 1, "500": 2}


def test_5xx_that_never_stop_end_as_a_transient_error(store_connection, control):
    control.set(error_rate=1.0, error_status=502)
    client = Shift4ShopClient(store_connection, sleep=lambda s: None, max_attempts=3)
    with pytest.raises(TransientError):
        client.check()
    assert control.stats()["responses_by_status"] == {"502": 3}


def test_the_rate_limit_is_waited_out_without_failing_the_caller(store_connection, control):
    control.set(rate_limit=2, rate_window_seconds=0.5)
    client = Shift4ShopClient(store_connection)
    ids = [client.get_customer(n).CustomerID for n in range(1, 8)]
    assert ids == list(range(1, 8))
    stats = control.stats()
    assert stats["rate_limited"] >= 1 and stats["responses_by_status"]["200"] == 7


def test_a_503_with_retry_after_counts_as_the_rate_limit(store_connection, control):
    control.set(rate_limit_storm=1, rate_limit_status=503)
    client = Shift4ShopClient(store_connection)  # really waits the 1 s Retry-After
    assert client.get_customer(2).CustomerID == 2
    assert control.stats()["rate_limited"] == 1
    assert control.stats()["responses_by_status"] == {"503": 1, "200": 1}


def test_a_rate_limit_that_never_lifts_is_a_rate_limited_error(store_connection, control):
    control.set(rate_limit_storm=10, rate_limit_retry_after=False)
    client = Shift4ShopClient(store_connection, max_attempts=2, sleep=lambda s: None)
    with pytest.raises(RateLimitedError):
        client.get_customer(1)


def test_our_own_budget_keeps_below_the_stores_limit(store_connection, control):
    control.set(rate_limit=3, rate_window_seconds=1.0)
    store_connection.settings = {**store_connection.settings, "requests_per_second": 3}
    client = Shift4ShopClient(store_connection)
    for n in range(1, 8):
        client.get_customer(n)
    assert control.stats().get("rate_limited", 0) == 0
