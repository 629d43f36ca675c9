"""Reading every customer page by page while the store changes underneath.

A sandbox of its own (40 customers), so deleting users that were already read does not
disturb the other tests."""

from datetime import UTC, datetime, timedelta

import pytest
import responses

from integrations.errors import ConfigError, PermanentError
from integrations.providers.cscart.client import CsCartClient
from sandboxes.kit.server import SandboxOptions
from tests.integrations.providers.cscart.conftest import Control, make_connection, start


@pytest.fixture(scope="module")
def store():
    app, stop_server = start(options=SandboxOptions(seed=40, random_seed=5))
    yield app.describe()
    stop_server()


@pytest.fixture
def store_control(store):
    # Reset first too: tests of this module that take no `store_control` leave counters behind,
    # and in random order one of them may run just before.
    control = Control(store["control_url"])
    control.reset()
    yield control
    control.reset()


@pytest.fixture
def client(db, store) -> CsCartClient:
    return CsCartClient(make_connection(store))


def _ids(client) -> list[int]:
    return [int(c.user_id) for c in client.iter_customers(page_size=100)]


@pytest.fixture
def untouched_store(db):
    """A store no other test changes: the deletion tests below share the module's store, so
    what it holds depends on which of them ran before."""
    app, stop_server = start(options=SandboxOptions(seed=40, random_seed=5))
    described = app.describe()
    yield CsCartClient(make_connection(described)), Control(described["control_url"])
    stop_server()


def test_every_customer_once_in_id_order_across_page_boundaries(untouched_store):
    client, store_control = untouched_store
    everyone = _ids(client)
    paged = [int(c.user_id) for c in client.iter_customers(page_size=7)]
    assert paged == everyone == sorted(everyone)
    assert len(everyone) == 40  # every seeded customer
    assert store_control.stats()["requests_by_route"]["GET /users"] >= len(everyone) // 7


def test_only_customers_are_read(client, store):
    emails = {c.email for c in client.iter_customers()}
    assert store["email"] not in emails and store["viewer_email"] not in emails


def test_deletions_behind_the_cursor_and_creations_ahead_skip_and_repeat_nothing(
    client, store_control
):
    before = _ids(client)
    reader = client.iter_customers(page_size=6)
    read = [int(next(reader).user_id) for _ in range(6)]  # page 1 consumed
    # Meanwhile, in the store's admin panel: three users already read are deleted (every
    # unread row moves up three places, onto page 1) and two customers sign up.
    for user_id in read[:3]:
        store_control.act("store_delete_user", user_id)
    made = [
        store_control.act("store_create_user", {"email": f"signup{i}.{read[0]}@example.org"})
        for i in range(2)
    ]
    read += [int(c.user_id) for c in reader]
    assert len(read) == len(set(read)), "a customer was read twice"
    expected = set(before) | {m["user_id"] for m in made}
    assert set(read) == expected, f"missed: {sorted(expected - set(read))}"


def test_deletions_of_more_than_a_page_are_still_covered(client, store_control):
    reader = client.iter_customers(page_size=4)
    read = [int(next(reader).user_id) for _ in range(8)]  # two pages consumed
    remaining = set(_ids(client)) - set(read)
    for user_id in read[:6]:
        store_control.act("store_delete_user", user_id)
    rest = [int(c.user_id) for c in reader]
    assert set(rest) == remaining and len(rest) == len(set(rest))


def test_the_scan_stops_on_total_items_even_though_pages_past_the_end_repeat(client, store_control):
    total = len(_ids(client))
    store_control.reset()
    size = 5 if total % 5 else 6
    assert len(list(client.iter_customers(page_size=size))) == total
    requests_made = store_control.stats()["requests_by_route"]["GET /users"]
    assert requests_made == -(-total // size)  # not one request past the last page


def test_updated_since_is_refused_because_cs_cart_has_no_such_filter(client, store_control):
    with pytest.raises(ConfigError, match="no modified-since filter"):
        next(client.iter_customers(updated_since=datetime.now(UTC)))
    assert store_control.stats()["requests_total"] == 0


def test_created_since_reads_only_new_customers_including_the_cursors_second(client, store_control):
    cursor = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    at = int(cursor.timestamp())

    def signup(name: str, timestamp: int) -> int:
        data = {"email": f"{name}.{at}@example.org", "timestamp": timestamp}
        return store_control.act("store_create_user", data)["user_id"]

    signup("just-before", at - 1)
    wanted = {signup("on-the-second", at), signup("after", at + 60), signup("later", at + 3600)}
    found = [int(c.user_id) for c in client.iter_customers_created_since(cursor, page_size=2)]
    assert sorted(found) == sorted(wanted)
    assert list(client.iter_customers_created_since(cursor + timedelta(days=1))) == []
    with pytest.raises(ConfigError, match="timezone-aware"):
        next(client.iter_customers_created_since(datetime(2026, 1, 1)))


@responses.activate
def test_a_store_that_ignores_the_page_parameter_is_an_error_not_an_endless_loop(db):
    row = {"user_id": "3", "user_type": "C", "email": "a@example.org"}
    responses.get(
        "https://shop.example.com/api/2.0/users",
        json={"users": [row, {**row, "user_id": "4"}], "params": {"total_items": "10", "page": 1}},
    )
    connection = make_connection({"email": "a@b.c", "api_key": "k", "store_url": ""})
    connection.settings["store_url"] = "https://shop.example.com"
    reader = CsCartClient(connection).iter_customers(page_size=2)
    assert [c.user_id for c in [next(reader), next(reader)]] == ["3", "4"]
    with pytest.raises(PermanentError, match="ignores the `page` parameter"):
        next(reader)
    assert len(responses.calls) == 2
