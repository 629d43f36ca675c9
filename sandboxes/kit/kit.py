"""Parts every sandbox shares: counters, injected faults and a sliding-window rate limiter.
Webhook delivery is in `sandboxes.kit.delivery`, `/_control` in
`sandboxes.kit.control`.

A platform sandbox (the package `integrations/providers/ecwid/sandbox/` shows the pattern) keeps
a `Knobs` dataclass of its own settings (a FaultKnobs subclass), a `Stats`, a `Faults`, a
`RateLimiter` and, if the platform sends webhooks, a `WebhookSender`; a `ControlPanel`
answers `/_control` for it.
"""

import math
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any


def utc_now_iso(later_ms: float = 0) -> str:
    """Now (or `later_ms` from now) as ISO-8601 UTC with milliseconds: 2025-01-01T09:30:00.000Z."""
    moment = datetime.now(UTC) + timedelta(milliseconds=later_ms)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def status_phrase(status: int) -> str:
    """The reason phrase of an HTTP status ("Service Unavailable"), "Error" for odd codes."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class Stats:
    """Counters tests read back through `/_control`: requests per route and status, plus any
    named counter a sandbox bumps (rate_limited, webhooks_sent, tokens_issued...).

    `always` names counters that are reported even while still 0, for a sandbox whose
    `/_control` promises a fixed set of counters."""

    def __init__(self, always: Iterable[str] = ()) -> None:
        self.always = tuple(always)
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self.lock:
            self.counters: Counter[str] = Counter()
            self.routes: Counter[str] = Counter()
            self.statuses: Counter[str] = Counter()

    def bump(self, name: str, amount: int = 1) -> None:
        with self.lock:
            self.counters[name] += amount

    def request(self, route: str, status: int) -> None:
        with self.lock:
            self.routes[route] += 1
            self.statuses[str(status)] += 1

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "requests_total": sum(self.routes.values()),
                "requests_by_route": dict(sorted(self.routes.items())),
                "responses_by_status": dict(sorted(self.statuses.items())),
                **dict.fromkeys(self.always, 0),
                **dict(sorted(self.counters.items())),
            }


@dataclass
class FaultKnobs:
    """Fault settings every sandbox has; a platform's Knobs subclasses this."""

    error_rate: float = 0.0  # share of API requests answered with `error_status`
    error_status: int = 500
    latency_ms: int = 0  # added to every API request
    timeout_rate: float = 0.0  # share of API requests that stall for `timeout_ms` first
    timeout_ms: int = 35_000
    webhook_url: str | None = None  # where webhooks go (platforms that send them)
    webhook_max_attempts: int = 5
    webhook_base_delay_ms: int = 1000
    webhook_max_delay_ms: int = 60_000
    webhook_timeout_ms: int = 5000


class Faults:
    """Random faults from an RNG seeded by the sandbox's random seed, so runs repeat.

    A "timeout" stalls and then processes the request normally: a write may have happened
    although the client gave up, which is exactly what a client's retry must survive."""

    def __init__(self, name: str, random_seed: int):
        self.name = name
        self.random_seed = random_seed
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.rng = random.Random(f"{self.name}-faults:{self.random_seed}")
            self.storm = 0

    def _roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self.lock:
            return self.rng.random() < rate

    def stall(self, knobs: FaultKnobs) -> bool:
        """Sleep the configured latency, and maybe a timeout; True if it was a timeout."""
        if knobs.latency_ms:
            time.sleep(knobs.latency_ms / 1000)
        if self._roll(knobs.timeout_rate):
            time.sleep(knobs.timeout_ms / 1000)
            return True
        return False

    def error(self, knobs: FaultKnobs) -> bool:
        return self._roll(knobs.error_rate)

    def start_storm(self, count: int) -> None:
        with self.lock:
            self.storm = count

    def take_storm(self) -> bool:
        """True if this request is one of the storm's remaining refusals."""
        with self.lock:
            if self.storm > 0:
                self.storm -= 1
                return True
            return False


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: float  # seconds until a slot frees (0 when allowed)


class RateLimiter:
    """Sliding window per key: allowed while fewer than `limit` requests were *allowed* in the
    last `window` seconds (refusals do not count), so `remaining` is exact."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.windows: dict[Any, deque[float]] = {}

    def reset(self) -> None:
        with self.lock:
            self.windows.clear()

    def hit(self, key: Any, limit: int, window: float, *, consume: bool = True) -> Verdict:
        now = time.monotonic()
        with self.lock:
            recent = self.windows.setdefault(key, deque())
            while recent and recent[0] <= now - window:
                recent.popleft()
            allowed = consume and len(recent) < limit
            if allowed:
                recent.append(now)
            wait = 0.0 if allowed else (recent[0] + window - now if recent else window)
            return Verdict(allowed, limit, max(0, limit - len(recent)), max(0.0, wait))


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
