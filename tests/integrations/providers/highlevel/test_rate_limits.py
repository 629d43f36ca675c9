"""The shared rate budget against the sandbox's limiter: bursts that never hit a 429,
storms the client waits out as the headers say, and one budget for every client of an app
and location. These tests sleep for real (a few seconds): the budget is about time."""

import threading
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time

import pytest
from django.db import connections

from integrations import ratelimit
from integrations.errors import RateLimitedError
from integrations.models import Connection, RateBudget
from integrations.providers.highlevel.client import HighLevelClient
from integrations.ratelimit import DatabaseBudget, RedisBudget

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


@pytest.fixture(params=["db", "redis"], ids=["database", "redis"])
def budget(request):
    """Each budget the transport may use; the database one with every process's own
    connection, the Redis one on the test Redis (tests/conftest.py `redis_client`)."""
    if request.param == "db":
        yield DatabaseBudget()
        return
    budget = RedisBudget(client=request.getfixturevalue("redis_client"))
    budget.reset_all()
    yield budget
    ratelimit.flush(budget)
    budget.reset_all()


def _window(budget, key: str) -> dict[str, float]:
    """member -> score (when it stops counting, minus one window)."""
    if isinstance(budget, RedisBudget):
        hits = budget.redis.zrange(f"{budget.PREFIX}:{key}:hits", 0, -1, withscores=True)
        return {member.decode(): score for member, score in hits}
    row = RateBudget.objects.filter(key=key).first()
    return {member: score for score, member in (row.hits if row else [])}


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
def test_concurrent_workers_share_one_budget(small_burst, control, pit_connection, budget):
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
            client = HighLevelClient(Connection.objects.get(pk=connection.pk), budget=budget)
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


def test_a_slow_answer_counts_from_when_it_came(control, pit_connection, make_client):
    """HighLevel counts a request when it arrives. The first one here takes 0.9 s to get
    there, the next goes straight through: counted from the first one's answer, the budget
    holds the second back until a window after that, which a slot stamped when it was taken
    (plus the 0.5 s of slack it used to need) does not."""
    control.set(burst_limit=1, burst_window_ms=WINDOW_MS, latency_ms=900)
    waits = Waits()
    client = make_client(pit_connection(), sleep=waits)
    client.find_duplicate(email="nobody@example.org")
    answered = time.monotonic()
    control.set(latency_ms=0)
    client.find_duplicate(email="nobody@example.org")
    assert control.stats()["rate_limited"] == 0
    assert time.monotonic() - answered > WINDOW_MS / 1000
    assert len(waits) == 1 and 0.8 < waits[0] <= 1.0


def test_each_request_is_one_round_trip_to_the_budget(
    small_burst, control, pit_connection, make_client, redis_client, monkeypatch
):
    budget = RedisBudget(client=redis_client)
    budget.reset_all()
    sent = []
    connection_class = redis_client.connection_pool.connection_class
    send = connection_class.send_packed_command

    def counted(connection, command, check_health=True):
        sent.append(command)
        return send(connection, command, check_health)

    monkeypatch.setattr(connection_class, "send_packed_command", counted)
    client = make_client(pit_connection(), budget=budget, sleep=Waits())
    client.find_duplicate(email="nobody@example.org")  # loads the script, learns the limit
    sent.clear()
    for _ in range(15):  # past one window: waiting costs no extra round trip either
        client.find_duplicate(email="nobody@example.org")
    assert len(sent) == 15
    assert control.stats()["rate_limited"] == 0
    key = client.transport.budget_key
    assert max(_window(budget, key).values()) > time.time() + 5  # the last answer is noted...
    client.transport.close()
    assert max(_window(budget, key).values()) < time.time() + 1  # ...and stamped on close
    budget.reset_all()


def test_the_credentials_are_decrypted_once_a_request_not_for_the_budget(
    control, pit_connection, make_client, monkeypatch
):
    decrypted = []
    get_credentials = Connection.get_credentials

    def counted(connection):
        decrypted.append(connection.pk)
        return get_credentials(connection)

    monkeypatch.setattr(Connection, "get_credentials", counted)
    client = make_client(pit_connection())
    for _ in range(10):
        client.find_duplicate(email="nobody@example.org")
    # One for the budget key, worked out once per client; one per request for the token.
    assert len(decrypted) <= 10 + 1


def test_the_headers_add_no_phantom_hits(small_burst, control, pit_connection, make_client, budget):
    """The X-RateLimit-Remaining of every answer is compared with our window as of sending:
    with no other client on the key, nothing is ever added for one."""
    client = make_client(pit_connection(), budget=budget, sleep=Waits())
    for _ in range(25):
        client.find_duplicate(email="nobody@example.org")
    client.transport.close()
    assert control.stats()["rate_limited"] == 0
    window = _window(budget, client.transport.budget_key)
    assert not [member for member in window if ":seen:" in member]


def test_requests_of_another_client_on_the_key_fill_our_window(
    small_burst, control, pit_connection, make_client, budget, hl
):
    """Another installation spends the same app and location: the headers say so, and the
    budget waits for those requests too instead of running into a 429."""
    import requests

    client = make_client(pit_connection(), budget=budget, sleep=Waits())
    client.find_duplicate(email="nobody@example.org")
    url = f"{hl['base_url']}/contacts/search/duplicate"
    headers = {
        "Authorization": f"Bearer {hl['private_integration_token']}",
        "Version": "2021-07-28",
    }
    for _ in range(6):  # not through our budget
        requests.get(url, params={"locationId": hl["location_id"]}, headers=headers, timeout=10)
    client.find_duplicate(email="nobody@example.org")  # its answer says 8 of 10 are used
    for _ in range(4):
        client.find_duplicate(email="nobody@example.org")
    assert control.stats()["rate_limited"] == 0
    assert sum(client.transport.sleep) > 0.5  # it waited for the others' requests to leave


def test_the_client_knows_the_daily_quota_from_the_last_answer(
    control, pit_connection, make_client
):
    control.set(daily_limit=50)
    client = make_client(pit_connection())
    assert client.transport.daily is None  # nothing answered yet
    client.find_duplicate(email="nobody@example.org")
    client.find_duplicate(email="nobody@example.org")
    quota = client.transport.daily
    assert (quota.limit, quota.remaining, quota.used) == (50, 48, 2)
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), dt_time.min, tzinfo=UTC)
    assert abs((quota.resets_at - midnight).total_seconds()) < 5  # the sandbox resets then


def test_daily_quota_headers():
    from integrations.providers.highlevel.transport import daily_quota

    now = datetime.now(UTC)
    quota = daily_quota(
        {
            "X-RateLimit-Limit-Daily": "200000",
            "X-RateLimit-Daily-Remaining": "199417",
            "X-RateLimit-Daily-Reset": "72750000",
        }
    )
    assert (quota.limit, quota.remaining, quota.used) == (200_000, 199_417, 583)
    assert abs((quota.resets_at - now).total_seconds() - 72_750) < 5
    # Without the (undocumented) reset header: the next UTC midnight.
    quota = daily_quota({"X-RateLimit-Limit-Daily": "10", "X-RateLimit-Daily-Remaining": "0"})
    assert quota.resets_at.time() == dt_time.min and quota.resets_at > now
    assert quota.resets_at - now <= timedelta(days=1)
    assert daily_quota({"X-RateLimit-Daily-Remaining": "5"}) is None
    assert daily_quota({"X-RateLimit-Limit-Daily": "x", "X-RateLimit-Daily-Remaining": "5"}) is None
