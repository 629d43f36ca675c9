"""The shared rate budget against the sandbox's limiter: bursts that never hit a 429,
storms the client waits out as the headers say, and one budget for every client of an app
and location. These tests sleep for real (a few seconds): the budget is about time."""

import threading
import time

import pytest
from django.db import connections

from integrations.errors import RateLimitedError
from integrations.models import Connection
from integrations.providers.highlevel.client import HighLevelClient

BURST = 10
WINDOW_MS = 1000


class Waits(list):
    """A real sleep that remembers how long it was asked to sleep."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        time.sleep(seconds)


@pytest.fixture
def small_burst(control):
    control.set(burst_limit=BURST, burst_window_ms=WINDOW_MS)


def test_a_burst_of_40_calls_sees_no_429(small_burst, control, pit_connection, make_client):
    client = make_client(pit_connection(), sleep=Waits())
    contact_id = client.transport.request(
        "POST", "/contacts/search", json={"locationId": client.location_id, "pageLimit": 1}
    )["contacts"][0]["id"]
    started = time.monotonic()
    for _ in range(40):
        assert client.get_contact(contact_id).id == contact_id
    elapsed = time.monotonic() - started

    stats = control.stats()
    assert stats["rate_limited"] == 0, stats
    assert stats["responses_by_status"] == {"200": 41}
    assert sum(client.transport.sleep) > 0  # it did wait for the budget
    # 41 requests at 10 per second cannot take less than about 3 windows.
    assert elapsed > 3 * WINDOW_MS / 1000


def test_two_clients_of_one_location_share_one_budget(
    small_burst, control, pit_connection, make_client
):
    """Two connections with the same token (one app, one location): one budget between
    them, so alternating calls still never go over the limit."""
    first = make_client(pit_connection(), sleep=Waits())
    second = make_client(pit_connection(), sleep=Waits())
    assert first.transport.budget_key == second.transport.budget_key
    started = time.monotonic()
    for _ in range(15):
        next(iter(first.search_contacts(page_size=1)))
        second.find_duplicate(email="nobody@example.org")
    elapsed = time.monotonic() - started
    stats = control.stats()
    assert stats["rate_limited"] == 0, stats
    assert stats["requests_total"] == 30
    # Separate budgets would have let each send its 15 in under two windows.
    assert elapsed > 2 * WINDOW_MS / 1000


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_share_one_budget(small_burst, control, pit_connection):
    """Four threads, each with its own client and database connection, 40 calls in all.

    Each worker makes its first call, then all wait for the window to pass and go at once:
    a first call also opens the worker's TCP connection after it took its slot, which on a
    one-second window (ten times shorter than HighLevel's) can be late enough to blur the
    test; steady state is what the shared budget must get exactly right."""
    connection = pit_connection()
    failures = []
    ready = threading.Barrier(4, timeout=30)

    def work():
        try:
            client = HighLevelClient(Connection.objects.get(pk=connection.pk))
            client.find_duplicate(email="nobody@example.org")
            if ready.wait() == 0:
                time.sleep(WINDOW_MS / 1000 + 0.6)
            ready.wait()
            for _ in range(9):
                client.find_duplicate(email="nobody@example.org")
        except Exception as error:
            failures.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    stats = control.stats()
    assert stats["rate_limited"] == 0, stats
    assert stats["requests_total"] == 40


@pytest.mark.parametrize("retry_after", [False, True], ids=["interval-header", "retry-after"])
def test_a_storm_of_429s_is_waited_out_as_the_headers_say(
    retry_after, small_burst, control, pit_connection, make_client
):
    control.set(rate_limit_storm=3, retry_after=retry_after)
    waits = Waits()
    client = make_client(pit_connection(), sleep=waits)
    assert client.find_duplicate(email="nobody@example.org") is None

    stats = control.stats()
    assert stats["rate_limited"] == 3 and stats["responses_by_status"]["200"] == 1
    # Each 429 blocks the budget for what the answer said: Retry-After (whole seconds, at
    # least 1) when sent, else the burst window of X-RateLimit-Interval-Milliseconds.
    expected = 1.0 if retry_after else WINDOW_MS / 1000
    assert len(waits) >= 3
    assert sum(waits) >= 3 * expected * 0.9


def test_429s_past_the_attempts_are_a_rate_limited_error(control, pit_connection, make_client):
    control.set(burst_window_ms=100, rate_limit_storm=10)
    client = make_client(pit_connection(), sleep=Waits(), max_attempts=3)
    with pytest.raises(RateLimitedError) as caught:
        client.find_duplicate(email="nobody@example.org")
    assert caught.value.retry_after == pytest.approx(0.1)
    assert control.stats()["rate_limited"] == 3
    assert control.stats()["requests_total"] == 3


def test_an_exhausted_daily_quota_blocks_the_budget(control, pit_connection, make_client):
    """Daily-Remaining 0: nothing more today. The next call does not even try; it says how
    long until the quota resets (longer than anyone should wait)."""
    control.set(daily_limit=1)
    client = make_client(pit_connection(), sleep=Waits(), max_wait=5)
    client.find_duplicate(email="nobody@example.org")
    with pytest.raises(RateLimitedError) as caught:
        client.find_duplicate(email="nobody@example.org")
    assert caught.value.retry_after > 5
    assert control.stats()["requests_total"] == 1
