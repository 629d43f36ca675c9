"""Reading every customer page by page, while customers change, and only what changed."""

from datetime import UTC, datetime, timedelta

import pytest

from integrations.errors import ConfigError, ValidationFailedError
from integrations.providers.shift4shop.client import Shift4ShopClient, store_time
from sandboxes.kit.server import SandboxOptions
from sandboxes.shift4shop import connection_values
from tests.factories import ConnectionFactory
from tests.integrations.providers.shift4shop.conftest import Control, start


@pytest.fixture
def client(store_connection) -> Shift4ShopClient:
    return Shift4ShopClient(store_connection)


def _all_ids(shift4shop) -> list[int]:
    return sorted(record["CustomerID"] for record in shift4shop.store.all("customer"))


@pytest.mark.parametrize(
    ("knobs", "offset_base"),
    [
        ({}, 1),
        ({"offset_base": 0}, 0),
        ({"max_limit": 7}, 1),  # the store cuts pages shorter than asked
        ({"past_end_status": 200}, 1),
        ({"past_end_status": 200, "empty_list_status": 404}, 1),
        ({"max_limit": 7, "offset_base": 0, "past_end_status": 200}, 0),
    ],
)
def test_every_customer_once_in_order_whatever_the_paging_quirks(
    store_connection, shift4shop, control, knobs, offset_base
):
    control.set(**knobs)
    store_connection.settings = {**store_connection.settings, "offset_base": offset_base}
    client = Shift4ShopClient(store_connection)
    ids = [customer.CustomerID for customer in client.iter_customers(page_size=9)]
    assert ids == _all_ids(shift4shop)


def test_the_first_page_is_asked_from_offset_one(client, shift4shop, control):
    first = client.customers_page(offset=0, limit=3)
    assert [c.CustomerID for c in first] == _all_ids(shift4shop)[:3]
    # Against a store counting from 0 the same call would skip nobody either way only if
    # the setting says so: offset 1 there is the second customer.
    control.set(offset_base=0)
    assert [c.CustomerID for c in client.customers_page(offset=0, limit=3)] == _all_ids(shift4shop)[
        1:4
    ]


def test_the_offset_past_the_end_400_ends_the_list_and_is_no_error(client, shift4shop):
    total = len(_all_ids(shift4shop))
    assert client.customers_page(offset=total, limit=5) == []
    assert client.customers_page(offset=total + 50, limit=5) == []
    # A page that ends exactly at the total: the next request is the 400.
    assert [c.CustomerID for c in client.iter_customers(page_size=total)] == _all_ids(shift4shop)


def test_an_empty_list_is_read_as_empty(client):
    assert client.search_customers(email="nobody.here@example.org") == []
    assert client.find_customer_by_email("nobody.here@example.org") is None
    nothing_since = datetime(2099, 1, 1, tzinfo=UTC)
    assert list(client.iter_customers(updated_since=nothing_since, overlap=timedelta())) == []


def test_any_other_400_is_still_an_error(client, control):
    control.set(max_limit=5, reject_over_max=True)
    with pytest.raises(ValidationFailedError, match="greater than 5"):
        client.customers_page(offset=0, limit=10)


@pytest.fixture
def own_store(db):
    """A sandbox of its own, for a test that deletes seeded customers the others rely on or
    reads a window others could write into."""
    app, stop_server = start(SandboxOptions(seed=30, random_seed=3), rate_limit=100_000)
    credentials, settings = connection_values(app.describe())
    connection = ConnectionFactory(
        provider="shift4shop",
        settings={**settings, "requests_per_second": 1000},
        credentials=credentials,
    )
    yield app, Shift4ShopClient(connection), Control(app.base_url)
    stop_server()


def test_nothing_is_skipped_or_repeated_while_customers_change(own_store):
    app, client, control = own_store
    before = set(_all_ids(app))
    customers = client.iter_customers(page_size=10)
    read = [next(customers).CustomerID for _ in range(10)]
    # Behind the reader: deletions that move every later customer up by three places.
    for customer_id in read[2:5]:
        control.admin("DELETE", f"/{customer_id}")
    # Ahead of it: one deleted, one edited; and two new customers at the end.
    control.admin("DELETE", "/21")
    control.admin("PUT", "/22", {"Comments": "edited mid-read"})
    added = [control.add_customer()["CustomerID"] for _ in range(2)]
    read += [customer.CustomerID for customer in customers]
    assert len(read) == len(set(read))  # nothing twice
    assert set(read) == (before - {21}) | set(added)  # nothing skipped
    assert read == sorted(read)


def test_a_page_of_one_is_read_as_two(client, shift4shop):
    first = list(zip(range(5), client.iter_customers(page_size=1), strict=False))
    assert [c.CustomerID for _, c in first] == _all_ids(shift4shop)[:5]


def _changed_at(control, moment: datetime) -> int:
    customer_id = control.add_customer()["CustomerID"]
    control.admin("PUT", f"/{customer_id}", {"Comments": "changed"}, at=moment.isoformat())
    return customer_id


def test_only_customers_changed_since_the_cursor_are_read(own_store):
    # A store of its own: "changed since" is open-ended, so in the shared store any later
    # change another test dated (2046 below) would be read too, depending on the order.
    _, client, control = own_store
    cursor = datetime(2045, 1, 15, 15, 0, 0, tzinfo=UTC)  # 10:00:00 in New York
    changed = [_changed_at(control, cursor + timedelta(minutes=n)) for n in range(3)]
    just_before = _changed_at(control, cursor - timedelta(seconds=1))
    since = [c.CustomerID for c in client.iter_customers(updated_since=cursor, overlap=timedelta())]
    assert since == changed
    assert client.count_customers(updated_since=cursor, overlap=timedelta()) == 3
    # The default overlap reaches a minute back: the engine de-duplicates.
    with_overlap = [c.CustomerID for c in client.iter_customers(updated_since=cursor)]
    assert with_overlap == sorted([just_before, *changed])


def test_the_cursor_is_sent_in_the_stores_time_zone(own_store):
    _, client, control = own_store  # its own store, for the same reason as above
    cursor = datetime(2046, 7, 1, 12, 0, 0, tzinfo=UTC)
    changed = _changed_at(control, cursor)
    found = [c.CustomerID for c in client.iter_customers(updated_since=cursor, overlap=timedelta())]
    assert found == [changed]
    # A store that reports in UTC is a setting, matched by the sandbox's knob.
    control.set(store_timezone="UTC")
    connection = client.connection
    connection.settings = {**connection.settings, "store_timezone": "UTC"}
    utc_client = Shift4ShopClient(connection)
    assert [
        c.CustomerID for c in utc_client.iter_customers(updated_since=cursor, overlap=timedelta())
    ] == [changed]


def test_an_unknown_time_zone_setting_is_a_config_error(store_connection):
    store_connection.settings = {**store_connection.settings, "store_timezone": "Mars/Olympus"}
    client = Shift4ShopClient(store_connection)
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        list(client.iter_customers(updated_since=datetime(2045, 1, 1, tzinfo=UTC)))


def test_store_time_floors_to_the_second_in_eastern_time():
    moment = datetime(2026, 1, 15, 15, 0, 0, 999_999, tzinfo=UTC)
    assert store_time(moment) == "01/15/2026 10:00:00"
    assert store_time(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == "07/01/2026 08:00:00"


def test_store_time_steps_back_an_hour_inside_the_repeated_autumn_hour():
    # 1 November 2026, 05:30 UTC is 01:30 EDT; 06:30 UTC is 01:30 EST: the same wall time.
    assert store_time(datetime(2026, 11, 1, 5, 30, tzinfo=UTC)) == "11/01/2026 00:30:00"
    assert store_time(datetime(2026, 11, 1, 6, 30, tzinfo=UTC)) == "11/01/2026 00:30:00"
    assert store_time(datetime(2026, 11, 1, 7, 30, tzinfo=UTC)) == "11/01/2026 02:30:00"


def test_a_naive_cursor_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        store_time(datetime(2026, 1, 1))
