"""Rate-limit budgets shared by every worker process.

A budget is a sliding window of send times per key (for HighLevel: one app and one location).
Before each request a worker takes a slot; when the window is full it learns how long to wait
instead of sending a request the provider would refuse. Providers' rate-limit headers correct
the window (`observe`), and a 429 or an exhausted daily quota blocks the key for everyone.

Redis keeps the window when it is configured (RATE_BUDGET_REDIS_URL, by default the Redis
CACHE_URL); otherwise a locked database row does.
"""

import time
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


class DatabaseBudget:
    def _row(self, key: str):
        from integrations.models import RateBudget

        RateBudget.objects.get_or_create(key=key)
        return RateBudget.objects.select_for_update().get(key=key)

    def try_acquire(self, key: str, limit: Limit) -> float:
        """Take a slot and return 0, or return the seconds to wait for one."""
        with transaction.atomic():
            row = self._row(key)
            now = time.time()
            if row.blocked_until > now:
                return row.blocked_until - now
            hits = sorted(t for t in row.hits if t > now - limit.interval)
            if len(hits) >= limit.max_requests:
                row.hits = hits
                row.save(update_fields=["hits", "updated_at"])
                return max(hits[len(hits) - limit.max_requests] + limit.interval - now, 0.001)
            row.hits = [*hits, now]
            row.save(update_fields=["hits", "updated_at"])
            return 0.0

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
            hits = sorted(t for t in row.hits if t > now - limit.interval)
            if used > len(hits):
                hits.extend([now] * min(used - len(hits), limit.max_requests))
                row.hits = hits
                row.save(update_fields=["hits", "updated_at"])

    def reset(self, key: str) -> None:
        from integrations.models import RateBudget

        RateBudget.objects.filter(key=key).delete()


_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return tostring(blocked - now) end
local interval = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - interval)
local count = redis.call('ZCARD', KEYS[1])
if count >= max then
  local oldest = redis.call('ZRANGE', KEYS[1], count - max, count - max, 'WITHSCORES')[2]
  return tostring(math.max(tonumber(oldest) + interval - now, 0.001))
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(interval * 1000) + 1000)
return '0'
"""

_OBSERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local used = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - interval)
local count = redis.call('ZCARD', KEYS[1])
for i = count + 1, used do redis.call('ZADD', KEYS[1], now, ARGV[3] .. ':' .. i) end
redis.call('PEXPIRE', KEYS[1], math.ceil(interval * 1000) + 1000)
return count
"""


class RedisBudget:
    PREFIX = "ratebudget"

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)
        self._acquire = self.redis.register_script(_ACQUIRE)
        self._observe = self.redis.register_script(_OBSERVE)
        self._counter = 0

    def _keys(self, key: str) -> list[str]:
        return [f"{self.PREFIX}:{key}:hits", f"{self.PREFIX}:{key}:blocked"]

    def _member(self) -> str:
        self._counter += 1
        return f"{time.time_ns()}:{id(self)}:{self._counter}"

    def try_acquire(self, key: str, limit: Limit) -> float:
        return float(
            self._acquire(
                keys=self._keys(key), args=[limit.interval, limit.max_requests, self._member()]
            )
        )

    def block(self, key: str, seconds: float) -> None:
        until = time.time() + seconds
        blocked_key = self._keys(key)[1]
        current = float(self.redis.get(blocked_key) or 0)
        if until > current:
            self.redis.set(blocked_key, until, px=int(seconds * 1000) + 1000)

    def observe(self, key: str, limit: Limit, *, used: int) -> None:
        used = min(used, limit.max_requests)
        self._observe(keys=self._keys(key)[:1], args=[limit.interval, used, self._member()])

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
    waited = 0.0
    while True:
        wait = budget.try_acquire(key, limit)
        if wait <= 0:
            return waited
        if waited + wait > max_wait:
            raise RateLimitedError(
                f"The rate limit for {key} is used up for the next {wait:.1f} s.", retry_after=wait
            )
        sleep(wait)
        waited += wait
