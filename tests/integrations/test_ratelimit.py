import threading
import time

import pytest
from django.conf import settings
from django.db import connection as db_connection

from integrations.errors import RateLimitedError
from integrations.ratelimit import DatabaseBudget, Limit, RedisBudget, acquire, get_budget


def _backends():
    backends = [pytest.param("db", id="database")]
    if settings.RATE_BUDGET_REDIS_URL:
        backends.append(pytest.param("redis", id="redis"))
    return backends


@pytest.fixture(params=_backends())
def budget(request, transactional_db):
    if request.param == "redis":
        budget = RedisBudget(settings.RATE_BUDGET_REDIS_URL)
    else:
        budget = DatabaseBudget()
    yield budget
    budget.reset("test-key")


def test_slots_run_out_and_tell_how_long_to_wait(budget):
    limit = Limit(3, 1.0)
    assert [budget.try_acquire("test-key", limit) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = budget.try_acquire("test-key", limit)
    assert 0.5 < wait <= 1.0


def test_the_window_slides(budget):
    limit = Limit(2, 0.3)
    budget.try_acquire("test-key", limit)
    budget.try_acquire("test-key", limit)
    assert budget.try_acquire("test-key", limit) > 0
    time.sleep(0.35)
    assert budget.try_acquire("test-key", limit) == 0.0


def test_observed_usage_shrinks_the_room_left(budget):
    limit = Limit(10, 5.0)
    budget.observe("test-key", limit, used=9)
    assert budget.try_acquire("test-key", limit) == 0.0
    assert budget.try_acquire("test-key", limit) > 0


def test_a_block_stops_everyone(budget):
    budget.block("test-key", 0.5)
    assert budget.try_acquire("test-key", Limit(100, 1)) > 0.3


def test_acquire_waits_then_gives_up_beyond_max_wait(budget):
    limit = Limit(1, 0.2)
    slept = []
    acquire("test-key", limit, max_wait=1, budget=budget)
    waited = acquire(
        "test-key",
        limit,
        max_wait=1,
        budget=budget,
        sleep=lambda s: (slept.append(s), time.sleep(s)),
    )
    assert slept and 0 < waited <= 0.25
    budget.block("test-key", 30)
    with pytest.raises(RateLimitedError) as error:
        acquire("test-key", limit, max_wait=1, budget=budget)
    assert error.value.retry_after > 29


def test_concurrent_workers_never_exceed_the_limit(budget):
    limit = Limit(20, 60.0)
    taken = []
    lock = threading.Lock()

    def worker():
        for _ in range(10):
            if budget.try_acquire("test-key", limit) == 0.0:
                with lock:
                    taken.append(1)
        db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 20


def test_the_configured_backend_is_used(db):
    expected = RedisBudget if settings.RATE_BUDGET_REDIS_URL else DatabaseBudget
    assert isinstance(get_budget(), expected)
