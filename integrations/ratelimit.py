"""Rate-limit budgets shared by every worker process.

A budget is a sliding window per key (for HighLevel: one app and one location) that counts
requests at least as long as the provider does, and no longer than it must:

- A provider counts a request when it arrives: after we send it, before its answer reaches
  us. So a slot counts from when it is taken until the answer lands (held for `hold` seconds,
  the request's timeout, until we know), then for one window from the answer. That is never
  shorter than the provider counts it, and longer only by the request's own latency: no slack.
- Taking a slot is one script: it stamps the answers this process received since its last
  take for the key (`answered()` only notes them, without I/O), then takes a slot, or reserves
  the first one that frees up and says how long to sleep until it. One round trip a request,
  even when waiting, and waiting workers queue instead of stampeding.
- The provider's count in its headers (`used`) is compared with ours as of when the request
  was sent, so a request that left our window since is not mistaken for someone else's.
- A 429 or an exhausted daily quota blocks the key for everyone (`block`).

Redis keeps the window when it is configured (RATE_BUDGET_REDIS_URL, by default the Redis
CACHE_URL), on Redis' clock; otherwise a locked database row does, on the workers' clocks.
"""

import atexit
import contextlib
import itertools
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import transaction

from integrations.errors import RateLimitedError


@dataclass(frozen=True)
class Limit:
    max_requests: int
    interval: float  # seconds


@dataclass
class Slot:
    """One request's place in a budget's window."""

    key: str
    limit: Limit
    member: str  # its id in the window
    start: float  # on the budget's clock: when it may be sent
    answered_at: float | None = None  # time.monotonic() when its answer came (or it failed)
    used: int | None = None  # the provider's count in its window then (headers), if it said


@dataclass(frozen=True)
class Taken:
    wait: float  # seconds to sleep before sending (slot) or before asking again (no slot)
    slot: Slot | None


def _answered_ago(slot: Slot, now_monotonic: float) -> float:
    return max(now_monotonic - (slot.answered_at or now_monotonic), 0.0)


# --- the database -------------------------------------------------------------------------------
# RateBudget.hits holds [score, member] pairs (a bare number is a hit from before members).
# A score is when the hit stops counting minus one window: the answer's time, or for a slot
# still out, its start plus `hold`. Hits stay two windows, for `used` comparisons.


def _land(hits: list, slot: Slot, now: float, ago: float, limit: Limit) -> None:
    """Stamp `slot` with its answer's time; add hits the provider counted that we did not."""
    answered = now - ago
    for hit in hits:
        if hit[1] == slot.member:
            hit[0] = answered
            break
    else:
        return  # the window was reset since: nothing of ours to correct
    since = slot.start - limit.interval
    if slot.used is None or answered <= now - limit.interval or since <= now - 2 * limit.interval:
        return
    ours = sum(1 for score, _ in hits if score > since)
    for n in range(ours + 1, min(slot.used, limit.max_requests) + 1):
        hits.append([answered, f"{slot.member}:seen:{n}"])


def _place(
    hits: list, now: float, limit: Limit, hold: float, ahead: float
) -> tuple[float, float | None]:
    """(wait, start): start is None when no slot within `ahead` seconds can be reserved."""
    counted = sorted(score for score, _ in hits if score > now - limit.interval)
    start = now
    if len(counted) >= limit.max_requests:
        deciding = counted[len(counted) - limit.max_requests]
        if deciding > now:  # still out: it frees one window after its answer, not known yet
            poll = max(0.01, limit.interval / limit.max_requests)
            return max(deciding - hold + limit.interval - now, poll), None
        start = deciding + limit.interval
    if start - now > ahead:
        return start - now, None
    return start - now, start


class DatabaseBudget:
    store = "database"

    def _row(self, key: str):
        from integrations.models import RateBudget

        row = RateBudget.objects.select_for_update().filter(key=key).first()
        if row is None:
            RateBudget.objects.get_or_create(key=key)
            row = RateBudget.objects.select_for_update().get(key=key)
        return row

    @staticmethod
    def _hits(row, now: float, limit: Limit) -> list:
        keep = now - 2 * limit.interval
        hits = [[hit, ""] if isinstance(hit, int | float) else hit for hit in row.hits]
        return [hit for hit in hits if hit[0] > keep]

    def take(
        self,
        key: str,
        limit: Limit,
        *,
        member: str,
        hold: float = 0.0,
        ahead: float = 0.0,
        landed: tuple[Slot, ...] = (),
    ) -> Taken:
        """Stamp the `landed` slots, then take a slot held `hold` s (or until stamped), or
        reserve one that frees within `ahead` s, or say how long to wait."""
        with transaction.atomic():
            row = self._row(key)
            now, now_monotonic = time.time(), time.monotonic()
            hits = self._hits(row, now, limit)
            for slot in landed:
                _land(hits, slot, now, _answered_ago(slot, now_monotonic), limit)
            slot = None
            if ahead < 0:  # land() only
                wait = 0.0
            elif row.blocked_until > now:
                wait = row.blocked_until - now
            else:
                wait, start = _place(hits, now, limit, hold, ahead)
                if start is not None:
                    hits.append([start + hold, member])
                    slot = Slot(key, limit, member, start)
            row.hits = hits
            row.save(update_fields=["hits", "updated_at"])
            return Taken(wait, slot)

    def land(self, key: str, limit: Limit, landed: tuple[Slot, ...]) -> None:
        """Stamp the `landed` slots, taking nothing."""
        self.take(key, limit, member="", ahead=-1.0, landed=landed)

    def try_acquire(self, key: str, limit: Limit) -> float:
        """Take a slot now (counted from now) and return 0, or return the seconds to wait."""
        taken = self.take(key, limit, member=_member())
        return 0.0 if taken.slot else taken.wait

    def block(self, key: str, seconds: float) -> None:
        with transaction.atomic():
            row = self._row(key)
            row.blocked_until = max(row.blocked_until, time.time() + seconds)
            row.save(update_fields=["blocked_until", "updated_at"])

    def observe(self, key: str, limit: Limit, *, used: int) -> None:
        """The provider says `used` requests count in its current window: never believe we
        have more room than that."""
        with transaction.atomic():
            row = self._row(key)
            now = time.time()
            hits = self._hits(row, now, limit)
            ours = sum(1 for score, _ in hits if score > now - limit.interval)
            for n in range(ours + 1, min(used, limit.max_requests) + 1):
                hits.append([now, f"{_member()}:seen:{n}"])
            row.hits = hits
            row.save(update_fields=["hits", "updated_at"])

    def reset(self, key: str) -> None:
        from integrations.models import RateBudget

        RateBudget.objects.filter(key=key).delete()


# --- Redis --------------------------------------------------------------------------------------
# The same steps as the database's `_land` and `_place`, in one script on Redis' clock.
# KEYS: the window (sorted set member -> score), the block. ARGV: interval, max, member, hold,
# ahead (negative: only stamp), then per landed slot: member, seconds since its answer, its
# start, used ('' unknown). Scores go through '%.17g': Lua's own tostring keeps 14 digits.
_TAKE = """
local function f(x) return string.format('%.17g', x) end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval, max = tonumber(ARGV[1]), tonumber(ARGV[2])
local hold, ahead = tonumber(ARGV[4]), tonumber(ARGV[5])
local hits = KEYS[1]
redis.call('ZREMRANGEBYSCORE', hits, '-inf', f(now - 2 * interval))
for i = 6, #ARGV, 4 do
  local member = ARGV[i]
  if redis.call('ZSCORE', hits, member) then
    local answered = now - tonumber(ARGV[i + 1])
    redis.call('ZADD', hits, f(answered), member)
    local since = tonumber(ARGV[i + 2]) - interval
    local used = tonumber(ARGV[i + 3])
    if used and answered > now - interval and since > now - 2 * interval then
      local ours = redis.call('ZCOUNT', hits, '(' .. f(since), '+inf')
      for n = ours + 1, math.min(used, max) do
        redis.call('ZADD', hits, f(answered), member .. ':seen:' .. n)
      end
    end
  end
end
if ahead < 0 then return {'0', '0'} end
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return {'0', f(blocked - now)} end
local floor = '(' .. f(now - interval)
local count = redis.call('ZCOUNT', hits, floor, '+inf')
local start = now
if count >= max then
  local deciding = tonumber(
    redis.call('ZRANGEBYSCORE', hits, floor, '+inf', 'WITHSCORES', 'LIMIT', count - max, 1)[2])
  if deciding > now then
    return {'0', f(math.max(deciding - hold + interval - now, 0.01, interval / max))}
  end
  start = deciding + interval
end
if start - now > ahead then return {'0', f(start - now)} end
redis.call('ZADD', hits, f(start + hold), ARGV[3])
local ttl = math.ceil((start + hold + 2 * interval - now) * 1000)
if redis.call('PTTL', hits) < ttl then redis.call('PEXPIRE', hits, ttl) end
return {'1', f(start - now), f(start)}
"""

_BLOCK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local till = now + tonumber(ARGV[1])
if till > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%.17g', till), 'PX', math.ceil(ARGV[1] * 1000) + 1000)
end
"""

_OBSERVE = """
local function f(x) return string.format('%.17g', x) end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval, used = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', f(now - 2 * interval))
local count = redis.call('ZCOUNT', KEYS[1], '(' .. f(now - interval), '+inf')
for n = count + 1, used do redis.call('ZADD', KEYS[1], f(now), ARGV[3] .. ':seen:' .. n) end
if redis.call('PTTL', KEYS[1]) < math.ceil(interval * 2000) then
  redis.call('PEXPIRE', KEYS[1], math.ceil(interval * 2000))
end
return count
"""


class RedisBudget:
    PREFIX = "ratebudget"

    def __init__(self, url: str = "", *, client=None):
        """A budget on the Redis at `url`, or on `client` (tests hand in their own)."""
        import redis

        if client is None:
            client = redis.Redis.from_url(url)
        self.redis = client
        self._no_script = redis.exceptions.NoScriptError
        self._take = self.redis.register_script(_TAKE)
        self._block = self.redis.register_script(_BLOCK)
        self._observe = self.redis.register_script(_OBSERVE)
        # Which server: answers noted through one budget are stamped by any other on it.
        where = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {})
        address = where.get("path") or f"{where.get('host')}:{where.get('port')}"
        if not (where.get("host") or where.get("path")):
            address = str(id(client))  # a test double: no address
        self.store = f"redis:{address}/{where.get('db', 0)}"

    def _keys(self, key: str) -> list[str]:
        return [f"{self.PREFIX}:{key}:hits", f"{self.PREFIX}:{key}:blocked"]

    def take(
        self,
        key: str,
        limit: Limit,
        *,
        member: str,
        hold: float = 0.0,
        ahead: float = 0.0,
        landed: tuple[Slot, ...] = (),
    ) -> Taken:
        """As DatabaseBudget.take, in one round trip."""
        args = [limit.interval, limit.max_requests, member, hold, ahead]
        now_monotonic = time.monotonic()
        for slot in landed:
            used = "" if slot.used is None else slot.used
            args += [slot.member, _answered_ago(slot, now_monotonic), slot.start, used]
        keys = self._keys(key)
        try:  # EVALSHA itself: the Script wrapper costs as much CPU as the script's work
            reply = self.redis.evalsha(self._take.sha, len(keys), *keys, *args)
        except self._no_script:  # a restarted or flushed Redis: the wrapper loads it again
            reply = self._take(keys=keys, args=args)
        if reply[0] in (b"1", "1"):
            return Taken(float(reply[1]), Slot(key, limit, member, float(reply[2])))
        return Taken(float(reply[1]), None)

    def land(self, key: str, limit: Limit, landed: tuple[Slot, ...]) -> None:
        """Stamp the `landed` slots, taking nothing."""
        self.take(key, limit, member="", ahead=-1.0, landed=landed)

    def try_acquire(self, key: str, limit: Limit) -> float:
        taken = self.take(key, limit, member=_member())
        return 0.0 if taken.slot else taken.wait

    def block(self, key: str, seconds: float) -> None:
        self._block(keys=self._keys(key)[1:], args=[seconds])

    def observe(self, key: str, limit: Limit, *, used: int) -> None:
        used = min(used, limit.max_requests)
        self._observe(keys=self._keys(key)[:1], args=[limit.interval, used, _member()])

    def reset(self, key: str) -> None:
        self.redis.delete(*self._keys(key))

    def reset_all(self) -> None:
        """Forget every key's window and block (tests: a budget outlives the test's
        transaction in Redis, unlike in the database)."""
        for key in self.redis.scan_iter(match=f"{self.PREFIX}:*", count=500):
            self.redis.delete(key)


@cache
def _redis_budget(url: str) -> RedisBudget:
    return RedisBudget(url)


def get_budget() -> DatabaseBudget | RedisBudget:
    url = settings.RATE_BUDGET_REDIS_URL
    return _redis_budget(url) if url else DatabaseBudget()


# --- this process's answers not yet stamped -----------------------------------------------------
_lock = threading.Lock()
_landed: dict[tuple[str, str], list[Slot]] = {}  # (budget store, key) -> slots
_budgets: dict[str, DatabaseBudget | RedisBudget] = {}  # store -> a budget on it, for flush()
_process = uuid.uuid4().hex[:12]
_counter = itertools.count()


def _member() -> str:
    return f"{_process}:{next(_counter)}"


def _forked() -> None:
    # The parent stamps its own answers; the child must not reuse its slot ids.
    global _process, _lock
    _process, _lock = uuid.uuid4().hex[:12], threading.Lock()
    _landed.clear()


os.register_at_fork(after_in_child=_forked)


def _pop_landed(store: str, key: str) -> tuple[Slot, ...]:
    with _lock:
        return tuple(_landed.pop((store, key), ()))


def answered(budget, slot: Slot) -> None:
    """The answer to `slot`'s request came (or it failed): stamped with the next take."""
    if slot.answered_at is None:
        slot.answered_at = time.monotonic()
    if not hasattr(budget, "take"):
        return  # a budget with only try_acquire() counted the slot from when it was taken
    with _lock:
        _landed.setdefault((budget.store, slot.key), []).append(slot)
        _budgets.setdefault(budget.store, budget)


def flush(budget=None, key: str | None = None) -> None:
    """Stamp noted answers now (a client that is done), for one key or all; without it they
    are stamped by the next request on the key, or count until their `hold` ends."""
    with _lock:
        pending = [
            (store, slot_key, _landed.pop((store, slot_key)))
            for store, slot_key in list(_landed)
            if (budget is None or store == budget.store) and key in (None, slot_key)
        ]
    for store, slot_key, slots in pending:
        (budget or _budgets[store]).land(slot_key, slots[-1].limit, tuple(slots))


def _flush_at_exit() -> None:
    # Best effort: a slot not stamped only counts until its hold ends.
    with contextlib.suppress(Exception):
        flush()


atexit.register(_flush_at_exit)


# --- waiting --------------------------------------------------------------------------------------
def _wait_loop(attempt, key: str, max_wait: float, sleep: Callable[[float], None]):
    """Call `attempt(seconds still allowed)` -> (wait, got) until it gets something, sleeping
    its waits; raise RateLimitedError when the total would pass `max_wait`. A `got` with a
    positive wait is a reservation: sleep that long, then go."""
    waited = 0.0
    while True:
        wait, got = attempt(max_wait - waited)
        if got is not None:
            if wait > 0:
                sleep(wait)
                waited += wait
            return waited, got
        if waited + wait > max_wait:
            raise RateLimitedError(
                f"The rate limit for {key} is used up for the next {wait:.1f} s.", retry_after=wait
            )
        sleep(wait)
        waited += wait


def acquire(
    key: str,
    limit: Limit,
    *,
    max_wait: float,
    budget=None,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Block until a slot is taken (returns seconds waited), or raise RateLimitedError when
    that would take longer than `max_wait`: the caller then retries the whole job later."""
    budget = budget or get_budget()

    def attempt(_ahead: float):
        wait = budget.try_acquire(key, limit)
        return (0.0, True) if wait <= 0 else (wait, None)

    return _wait_loop(attempt, key, max_wait, sleep)[0]


def reserve(
    budget,
    key: str,
    limit: Limit,
    *,
    hold: float,
    max_wait: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Slot:
    """A slot for one request, held `hold` seconds or until `answered()` is stamped; sleeps
    until it may be used. Raises RateLimitedError as `acquire` does."""
    if not hasattr(budget, "take"):  # only try_acquire() (test doubles, older budgets)
        acquire(key, limit, max_wait=max_wait, budget=budget, sleep=sleep)
        return Slot(key, limit, _member(), time.time())

    def attempt(ahead: float):
        landed = _pop_landed(budget.store, key)
        taken = budget.take(key, limit, member=_member(), hold=hold, ahead=ahead, landed=landed)
        return taken.wait, taken.slot

    return _wait_loop(attempt, key, max_wait, sleep)[1]
