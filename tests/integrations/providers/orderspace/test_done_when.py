"""The issue's "done when" for Orderspace: with --seed 500 the client pages through all 500
customers, reads only what is new since a cursor (created_since: Orderspace has no
updated-since), writes and deletes, and survives its rate limit. The sandbox's 60/minute is
scaled to 20 requests/second so the test takes seconds, not minutes."""

import pytest

from integrations.providers.orderspace.client import OrderspaceClient
from integrations.providers.orderspace.schemas import BuyerInput, CustomerInput
from integrations.ratelimit import Limit
from sandboxes.kit.people import people
from sandboxes.kit.server import SandboxOptions
from tests.integrations.providers.orderspace.conftest import Control, start, unique_email

LIMIT = Limit(max_requests=20, interval=1.0)


@pytest.fixture
def seeded_500():
    app, stop_server = start(
        SandboxOptions(seed=500, random_seed=1),
        rate_limit=LIMIT.max_requests,
        rate_window_seconds=LIMIT.interval,
    )
    yield app
    stop_server()


def test_seed_500_page_sync_incremental_write_delete_under_the_rate_limit(
    seeded_500, make_connection
):
    control = Control(seeded_500.describe()["control_url"])
    client = OrderspaceClient(make_connection(seeded_500.describe()), limit=LIMIT)

    everyone = list(client.iter_customers(page_size=50))
    assert len(everyone) == len({c.id for c in everyone}) == 500
    assert {c.buyer.email_address for c in everyone} == {p.email for p in people(500, 1)}

    cursor = max(c.created_time for c in everyone)
    created = [
        client.create_customer(
            CustomerInput(
                company_name=f"New {n}", buyers=[BuyerInput(name="N", email_address=unique_email())]
            )
        )
        for n in range(3)
    ]
    updated = client.update_customer(everyone[10].id, CustomerInput(internal_note="synced"))
    client.delete_customer(everyone[20].id)
    control.set(rate_limit_storm=2)  # refusals in the middle of the next read

    read = list(client.iter_customers(created_since=cursor))
    known = {c.id for c in everyone}
    new = [c for c in read if c.id not in known]  # the inclusive boundary may repeat one

    assert {c.id for c in new} == {c.id for c in created}
    assert len(read) <= len(created) + sum(c.created_time == cursor for c in everyone)
    assert updated.internal_note == "synced"
    remaining = {c.id for c in client.iter_customers(page_size=200)}
    assert len(remaining) == 502 and everyone[20].id not in remaining
    stats = control.stats()
    assert stats["rate_limited"] >= 2
    assert stats["responses_by_status"]["200"] >= 18
