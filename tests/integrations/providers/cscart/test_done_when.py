"""The issue's "done when" for CS-Cart: with --seed 500 the client pages through all 500
customers, cannot (and says so) read "changed since", reads what is new since a cursor,
writes and deletes, and survives the host's rate limit. Limits are scaled down so the test
takes seconds."""

from datetime import UTC, datetime

import pytest

from integrations.errors import ConfigError, NotFoundError
from integrations.providers.cscart.client import CsCartClient
from integrations.providers.cscart.schemas import CustomerInput
from sandboxes.kit.server import SandboxOptions
from tests.integrations.providers.cscart.conftest import Control, make_connection, start


@pytest.fixture(scope="module")
def big_store():
    app, stop_server = start(options=SandboxOptions(seed=500, random_seed=1))
    yield app.describe()
    stop_server()


def test_seed_500_end_to_end(db, big_store):
    control = Control(big_store["control_url"])
    control.set(rate_limit=4, rate_window_s=1.0)
    client = CsCartClient(make_connection(big_store))

    customers = list(client.iter_customers(page_size=50))
    assert len(customers) == len({c.user_id for c in customers}) == 500

    with pytest.raises(ConfigError):
        next(client.iter_customers(updated_since=datetime.now(UTC)))
    cursor = datetime.now(UTC).replace(microsecond=0)
    signed_up = control.act("store_create_user", {"email": "fresh.signup@example.org"})
    new = [c.user_id for c in client.iter_customers_created_since(cursor)]
    assert new == [str(signed_up["user_id"])]

    created = client.create_customer(CustomerInput(email="written@example.org", firstname="W"))
    assert client.update_customer(created.user_id, CustomerInput(firstname="V")).firstname == "V"
    client.delete_customer(customers[0].user_id)
    with pytest.raises(NotFoundError):
        client.get_customer(customers[0].user_id)

    assert sum(1 for _ in client.iter_customers(page_size=100)) == 501  # 500 + 2 - 1
    assert control.stats()["rate_limited"] >= 1
