"""The issue's "done when" for Shift4Shop, against `--seed 500`: page through all 500,
read only what changed since a cursor, write and delete, and survive the rate limit (the
sandbox's limit is scaled down to a burst of 5 per half second, below our budget, so the
client meets real 429s in a few seconds instead of minutes)."""

from datetime import UTC, datetime, timedelta

import pytest

from integrations.providers.shift4shop.client import Shift4ShopClient
from integrations.providers.shift4shop.schemas import CustomerInput
from sandboxes.kit.people import people
from sandboxes.kit.server import SandboxOptions
from sandboxes.shift4shop import connection_values
from tests.factories import ConnectionFactory
from tests.integrations.providers.shift4shop.conftest import Control, start


@pytest.fixture
def seeded_500():
    app, stop_server = start(
        SandboxOptions(seed=500, random_seed=1), rate_limit=5, rate_window_seconds=0.5
    )
    yield app
    stop_server()


def test_seed_500_end_to_end(db, seeded_500):
    described = seeded_500.describe()
    credentials, settings = connection_values(described)
    connection = ConnectionFactory(
        provider="shift4shop",
        settings={**settings, "requests_per_second": 50},
        credentials=credentials,
    )
    control = Control(described["base_url"])
    client = Shift4ShopClient(connection)

    assert client.check().details["customers"] == 500
    everyone = list(client.iter_customers(page_size=50))
    assert [c.CustomerID for c in everyone] == list(range(1, 501))
    assert [c.Email for c in everyone] == [p.email for p in people(500, 1)]

    cursor = datetime.now(UTC)
    edited_in_admin = [17, 250, 499]
    for customer_id in edited_in_admin:
        control.admin("PUT", f"/{customer_id}", {"Comments": "changed in the admin"})
    created = client.create_customer(CustomerInput(Email="late@example.org", Password="pw"))
    client.update_customer(42, CustomerInput(BillingCity="Reno"))
    client.delete_customer(250)

    control.set(rate_limit_storm=1)  # a refusal is certain even if the machine is slow
    changed = list(client.iter_customers(updated_since=cursor, overlap=timedelta()))
    assert [c.CustomerID for c in changed] == [17, 42, 499, created.customer_id]
    assert {c.CustomerID: c.BillingCity for c in changed}[42] == "Reno"
    assert client.count_customers() == 500  # one created, one deleted

    stats = control.stats()
    assert stats["rate_limited"] >= 1, "the scaled-down limit was never reached"
    assert stats["responses_by_status"].get("500") is None
