"""The issue's "done when" for Cin7 Core, on a sandbox seeded with 500 customers whose rate
limit is scaled down (10 calls per 0.5 s instead of 60 per minute) so the test stays short:
the client pages through all 500, reads only what changed since a cursor, writes and
deactivates, and survives the rate limit without failing."""

import uuid
from datetime import timedelta

import pytest

from integrations.providers.cin7.client import Cin7Client
from integrations.providers.cin7.schemas import ContactInput, CustomerInput
from integrations.ratelimit import DatabaseBudget, Limit
from sandboxes.cin7 import connection_values
from sandboxes.kit.server import SandboxOptions
from tests.factories import ConnectionFactory
from tests.integrations.providers.cin7.conftest import Control, start


@pytest.fixture(scope="module")
def big():
    app, stop_server = start(
        SandboxOptions(seed=500, random_seed=11),
        rate_limit=10,
        rate_limit_window_s=0.5,
        rate_limit_headers=False,  # no hint: the client meets the 503 and must wait it out
    )
    yield app
    stop_server()


def test_done_when_with_500_customers(big, db):
    described = big.describe()
    control = Control(described["control_url"])
    credentials, settings = connection_values(described)
    connection = ConnectionFactory(
        provider="cin7",
        settings={
            **settings,
            "payment_term": "COD",
            "price_tier": "Tier 2",
        },
        credentials=credentials,
    )
    # The client believes it may send 40 per 0.5 s: Cin7 will refuse it.
    client = Cin7Client(connection, budget=DatabaseBudget(), limit=Limit(40, 0.5))

    # A slow machine may never outrun the limit by itself: two refusals are certain.
    control.act("rate_limit_storm", 2)
    everyone = list(client.iter_customers(page_size=20))
    assert len(everyone) == 500 and len({c.ID for c in everyone}) == 500
    assert control.stats().get("rate_limited", 0) >= 2  # refused on the way, never failed
    assert sum(not c.active for c in everyone) > 0  # deactivated ones are read too

    cursor = max(c.modified_at() for c in everyone)
    edited = everyone[10]
    dropped = next(c for c in everyone[20:] if c.active)
    control.ui("PUT", edited.ID, json={"Comments": "edited in Cin7"})
    made = control.ui("POST", json={"Name": f"Made In Cin7 {uuid.uuid4().hex[:6]}"}).json()
    client.deactivate_customer(dropped.ID)
    changed = {c.ID: c for c in client.iter_customers(updated_since=cursor, page_size=20)}
    expected = {edited.ID, made["customer"]["ID"], dropped.ID}
    assert expected <= set(changed)
    # Anything else is a record at the cursor itself, re-read on purpose (the 1 s overlap).
    boundary = [c for i, c in changed.items() if i not in expected]
    assert all(cursor - timedelta(seconds=1) <= c.modified_at() <= cursor for c in boundary)
    assert len(boundary) <= 1
    assert changed[dropped.ID].Status == "Deprecated"

    created = client.create_customer(
        CustomerInput(
            Name=f"From HighLevel {uuid.uuid4().hex[:6]}",
            Tags=["highlevel"],
            Contacts=[ContactInput(Name="Hana Level", Email="hana@example.org")],
        )
    )
    assert created.PriceTier == "Tier 2"
    renamed = client.update_customer(created.ID, CustomerInput(DisplayName="Hana L."))
    assert renamed.DisplayName == "Hana L." and renamed.tag_list() == ["highlevel"]
    assert client.deactivate_customer(created.ID).Status == "Deprecated"
    assert len(list(client.iter_customers(page_size=100))) == 502
    # "dropped" went inactive, "made" came active, the new one came and went.
    active = list(client.iter_customers(page_size=100, include_deprecated=False))
    assert len(active) == sum(c.active for c in everyone) - 1 + 1
