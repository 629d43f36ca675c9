import os
import threading
import time

import pytest
from django.conf import settings
from django.db import connection as db_connection

from integrations import ratelimit
from integrations.errors import RateLimitedError
from integrations.models import RateBudget
from integrations.ratelimit import DatabaseBudget, Limit, RedisBudget, acquire, get_budget


# Redis runs in every run, so the Lua scripts are tested by `make test` too: CI's Redis, else
# a throwaway redis-server, else fakeredis (tests/conftest.py `redis_client`).
@pytest.fixture(params=["db", "redis"], ids=["database", "redis"])
def budget(request, transactional_db):
    if request.param == "redis":
        budget = RedisBudget(client=request.getfixturevalue("redis_client"))
    else:
        budget = DatabaseBudget()
    budget.reset("test-key")
    yield budget
    budget.reset("test-key")


def test_redis_is_a_real_server_whenever_one_is_installed(redis_client):
    import shutil

    import fakeredis

    is_double = isinstance(redis_client, fakeredis.FakeRedis)
    wanted_double = not settings.RATE_BUDGET_REDIS_URL and (
        not shutil.which("redis-server") or os.environ.get("TEST_REDIS") == "fake"
    )
    assert is_double == wanted_double
    assert redis_client.ping()


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


def test_a_shorter_block_never_shortens_a_longer_one(budget):
    budget.block("test-key", 30)
    budget.block("test-key", 0.1)
    assert budget.try_acquire("test-key", Limit(100, 1)) > 29


def test_reset_forgets_the_window_and_the_block(budget):
    limit = Limit(1, 30.0)
    assert budget.try_acquire("test-key", limit) == 0.0
    budget.block("test-key", 30)
    budget.reset("test-key")
    assert budget.try_acquire("test-key", limit) == 0.0


def test_keys_are_separate(budget):
    limit = Limit(1, 30.0)
    assert budget.try_acquire("test-key", limit) == 0.0
    assert budget.try_acquire("test-key", limit) > 0
    try:
        assert budget.try_acquire("test-key-2", limit) == 0.0
    finally:
        budget.reset("test-key-2")


def test_reset_all_clears_the_budgets_keys_and_nothing_else(redis_client):
    budget = RedisBudget(client=redis_client)
    budget.try_acquire("one", Limit(1, 30.0))
    budget.block("two", 30)
    redis_client.set("someone-elses-key", "kept")
    try:
        budget.reset_all()
        assert list(redis_client.scan_iter(match=f"{RedisBudget.PREFIX}:*")) == []
        assert redis_client.get("someone-elses-key") == b"kept"
    finally:
        redis_client.delete("someone-elses-key")


def test_observed_usage_never_counts_past_the_limit(budget):
    limit = Limit(3, 30.0)
    budget.observe("test-key", limit, used=50)
    wait = budget.try_acquire("test-key", limit)
    assert 29 < wait <= 30  # full, and frees up one window after the observation


class AlwaysBusy:
    """A budget whose window never has room: every try says "wait `wait` seconds"."""

    def __init__(self, wait: float):
        self.wait, self.tries = wait, 0

    def try_acquire(self, key, limit):
        self.tries += 1
        if self.tries > 1000:  # a removed cap would spin forever: fail instead
            raise AssertionError("acquire() kept waiting past its max_wait")
        return self.wait


class FakeClock:
    """A sleep that only moves a clock: the cap is measured without real waiting."""

    def __init__(self):
        self.now, self.naps = 0.0, []

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("wait", [0.4, 0.25, 0.1])
def test_the_total_wait_is_capped_by_max_wait_even_in_small_steps(wait):
    # Each wait alone is under the cap; only the running total may stop the loop.
    clock, busy = FakeClock(), AlwaysBusy(wait)
    with pytest.raises(RateLimitedError) as error:
        acquire("test-key", Limit(1, 1.0), max_wait=1.0, budget=busy, sleep=clock.sleep)
    assert clock.now <= 1.0  # never waited past the cap
    assert clock.now + wait > 1.0  # and gave up only when the next wait would pass it
    assert error.value.retry_after == pytest.approx(wait)
    assert error.value.failure_mode == "rate_limited"
    assert busy.tries == len(clock.naps) + 1


def test_a_wait_exactly_up_to_the_cap_is_still_taken():
    clock = FakeClock()

    class FreeOnTheThirdTry(AlwaysBusy):
        def try_acquire(self, key, limit):
            wait = super().try_acquire(key, limit)
            return 0.0 if self.tries == 3 else wait

    waited = acquire(
        "test-key", Limit(1, 1.0), max_wait=1.0, budget=FreeOnTheThirdTry(0.5), sleep=clock.sleep
    )
    assert waited == pytest.approx(1.0) and clock.naps == [0.5, 0.5]


def test_a_zero_cap_never_sleeps():
    clock = FakeClock()
    with pytest.raises(RateLimitedError):
        acquire("test-key", Limit(1, 1.0), max_wait=0, budget=AlwaysBusy(0.01), sleep=clock.sleep)
    assert clock.naps == []


def test_the_cap_holds_with_a_real_budget_and_a_short_real_wait(budget):
    limit = Limit(1, 30.0)  # one slot, then nothing for 30 s
    acquire("test-key", limit, max_wait=0.2, budget=budget)
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as error:
        acquire("test-key", limit, max_wait=0.2, budget=budget)
    assert time.monotonic() - started < 2  # gave up at once, did not sit out the window
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


# --- slots counted from the answer, one script a request ----------------------------------------
HOLD = 30.0  # a request's timeout: how long an unanswered slot counts at most


def _window(budget, key: str = "test-key") -> dict[str, float]:
    """member -> score: when each hit stops counting, minus one window."""
    if isinstance(budget, RedisBudget):
        hits = budget.redis.zrange(f"{budget.PREFIX}:{key}:hits", 0, -1, withscores=True)
        return {member.decode(): score for member, score in hits}
    row = RateBudget.objects.filter(key=key).first()
    return {member: score for score, member in (row.hits if row else [])}


def _take(budget, limit, *, ahead=0.0, landed=()):
    return budget.take(
        "test-key", limit, member=ratelimit._member(), hold=HOLD, ahead=ahead, landed=landed
    )


def _answer(slot, **seen):
    slot.answered_at = time.monotonic()
    for name, value in seen.items():
        setattr(slot, name, value)
    return (slot,)


@pytest.fixture
def commands(redis_client, monkeypatch):
    """Every command (or pipeline) sent to the test Redis: one entry per round trip."""
    sent = []
    connection_class = redis_client.connection_pool.connection_class
    send = connection_class.send_packed_command

    def counted(connection, command, check_health=True):
        sent.append(command)
        return send(connection, command, check_health)

    monkeypatch.setattr(connection_class, "send_packed_command", counted)
    return sent


def test_a_slot_counts_until_its_answer_however_long_that_takes(budget):
    limit = Limit(1, 0.3)
    _take(budget, limit)
    time.sleep(0.4)  # longer than a window, and still no answer
    taken = _take(budget, limit, ahead=5)
    assert taken.slot is None  # nothing reserved on a slot whose end is unknown
    assert 0 < taken.wait <= 0.3


def test_a_slot_counts_one_window_from_its_answer_not_from_when_it_was_taken(budget):
    limit = Limit(1, 0.5)
    slot = _take(budget, limit).slot
    time.sleep(0.3)  # a slow request: its answer comes 0.3 s after the slot was taken
    taken = _take(budget, limit, landed=_answer(slot))
    assert taken.slot is None
    assert 0.45 < taken.wait <= 0.5  # stamped at the answer: a take-time stamp says 0.2
    assert _window(budget)[slot.member] == pytest.approx(slot.start + 0.3, abs=0.05)


def test_a_full_window_reserves_the_next_free_slot_for_each_waiter_in_turn(budget):
    limit = Limit(2, 1.0)
    first, second = _take(budget, limit).slot, _take(budget, limit).slot
    landed = _answer(first) + _answer(second)
    third = _take(budget, limit, ahead=5, landed=landed)
    fourth = _take(budget, limit, ahead=5)
    assert third.slot and fourth.slot  # reserved in one call each, no stampede at the edge
    assert 0.9 < third.wait <= 1.0 and 0.9 < fourth.wait <= 1.0
    assert third.slot.start < fourth.slot.start  # the first to free, then the second
    assert third.slot.start == pytest.approx(_window(budget)[first.member] + 1.0, abs=1e-6)
    fifth = _take(budget, limit, ahead=5)
    assert fifth.slot is None  # frees one window after the third's answer: not known yet


def test_a_reservation_never_goes_past_what_the_caller_will_wait(budget):
    limit = Limit(1, 30.0)
    _take(budget, limit, landed=())
    taken = _take(budget, limit, ahead=1.0)
    assert taken.slot is None and 29 < taken.wait <= 30
    assert len(_window(budget)) == 1  # nothing held for a caller that will not wait


def test_reserve_sleeps_once_until_its_slot_then_goes(budget):
    limit = Limit(1, 0.3)
    slot = ratelimit.reserve(budget, "test-key", limit, hold=HOLD, max_wait=1)
    ratelimit.answered(budget, slot)
    naps = []
    second = ratelimit.reserve(
        budget,
        "test-key",
        limit,
        hold=HOLD,
        max_wait=1,
        sleep=lambda s: (naps.append(s), time.sleep(s)),
    )
    assert len(naps) == 1 and 0.25 < naps[0] <= 0.3
    assert second.start == pytest.approx(_window(budget)[slot.member] + 0.3, abs=1e-6)


def test_reserve_gives_up_at_once_beyond_max_wait(budget):
    limit = Limit(1, 30.0)
    ratelimit.reserve(budget, "test-key", limit, hold=HOLD, max_wait=0.2)
    naps = []
    with pytest.raises(RateLimitedError) as error:
        ratelimit.reserve(budget, "test-key", limit, hold=HOLD, max_wait=0.2, sleep=naps.append)
    assert naps == [] and error.value.retry_after > 29


def test_the_headers_count_compared_as_of_sending_adds_no_phantom_hit(budget):
    """The provider counted the earlier request and this one (used=2) when this one arrived;
    by the time the answer is stamped the earlier one has left the window. Compared with the
    window as of sending, nobody else is there: nothing is added, and the next slot is free."""
    limit = Limit(2, 0.4)
    earlier = _take(budget, limit).slot
    landed = _answer(earlier)
    time.sleep(0.25)
    this = _take(budget, limit, landed=landed).slot
    _answer(this, used=2)
    time.sleep(0.25)  # the earlier answer is now more than a window old
    taken = _take(budget, limit, landed=(this,))
    assert taken.slot is not None and taken.wait == 0
    assert not [member for member in _window(budget) if ":seen:" in member]


def test_requests_we_did_not_send_still_fill_the_window(budget):
    limit = Limit(5, 30.0)
    slot = _take(budget, limit).slot
    taken = _take(budget, limit, landed=_answer(slot, used=4))  # 3 others' requests
    assert taken.slot is not None  # the fifth of five
    assert len([member for member in _window(budget) if ":seen:" in member]) == 3
    assert 29 < _take(budget, limit).wait <= 30


def test_an_answer_to_a_slot_from_before_a_reset_changes_nothing(budget):
    limit = Limit(3, 30.0)
    slot = _take(budget, limit).slot
    budget.reset("test-key")
    _take(budget, limit, landed=_answer(slot, used=3))
    assert len(_window(budget)) == 1  # only the new slot: no hits made up from old news


def test_flush_stamps_noted_answers_without_taking_a_slot(budget):
    limit = Limit(2, 30.0)
    slot = ratelimit.reserve(budget, "test-key", limit, hold=HOLD, max_wait=0)
    assert _window(budget)[slot.member] > time.time() + HOLD - 5  # held until answered
    ratelimit.answered(budget, slot)
    ratelimit.flush(budget, "test-key")
    assert _window(budget) == {slot.member: pytest.approx(time.time(), abs=5)}


def test_taking_a_slot_with_answers_to_stamp_is_one_round_trip(redis_client, commands):
    budget = RedisBudget(client=redis_client)
    limit = Limit(100, 10.0)
    try:
        slots = [ratelimit.reserve(budget, "test-key", limit, hold=HOLD, max_wait=1)]
        ratelimit.answered(budget, slots[0])
        commands.clear()
        for _ in range(10):
            slots.append(ratelimit.reserve(budget, "test-key", limit, hold=HOLD, max_wait=1))
            slots[-1].used = len(slots)
            ratelimit.answered(budget, slots[-1])
        assert len(commands) == 10
        assert all(command[0].startswith(b"*") and b"EVALSHA" in command[0] for command in commands)
        held = [score for score in _window(budget).values() if score > time.time() + 5]
        assert len(held) == 1  # every answer stamped with the next take; the last one waits
    finally:
        ratelimit.flush(budget)
        budget.reset("test-key")


def test_a_flushed_script_cache_is_loaded_again(redis_client):
    budget = RedisBudget(client=redis_client)
    try:
        redis_client.script_flush()
        assert budget.try_acquire("test-key", Limit(1, 30.0)) == 0.0
        assert budget.try_acquire("test-key", Limit(1, 30.0)) > 29
    finally:
        budget.reset("test-key")


def test_a_budget_with_only_try_acquire_still_paces_requests():
    """Budgets written before take() (test doubles) count a slot from when it is taken."""
    clock, busy = FakeClock(), AlwaysBusy(0.4)
    with pytest.raises(RateLimitedError):
        ratelimit.reserve(
            busy, "test-key", Limit(1, 1.0), hold=HOLD, max_wait=1.0, sleep=clock.sleep
        )
    assert clock.naps == [0.4, 0.4]

    class Free:
        def try_acquire(self, key, limit):
            return 0.0

    slot = ratelimit.reserve(Free(), "test-key", Limit(1, 1.0), hold=HOLD, max_wait=1.0)
    ratelimit.answered(Free(), slot)  # nothing to stamp later
    assert slot.answered_at is not None
