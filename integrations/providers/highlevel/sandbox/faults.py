"""Injected faults and the counters tests read back.

Faults draw from an RNG seeded by the random seed (and re-seeded on reset), so a test that
sets error_rate=0.5 sees the same sequence every run. A "timeout" stalls the request for
`timeout_ms` and then processes it normally: a write may have happened although the client
gave up, which is exactly what a client's retry must survive."""

import random
import threading
import time
from collections import Counter

from integrations.providers.highlevel.sandbox.config import Config

COUNTERS = (
    "tokens_issued",
    "token_failures",
    "token_refreshes",
    "token_refresh_failures",
    "authorizations_approved",
    "authorizations_denied",
    "rate_limited",
    "errors_injected",
    "timeouts_injected",
    "webhooks_sent",
    "webhooks_failed",
    "webhook_attempts",
    "webhook_retries",
    "webhooks_unrouted",
)


class Stats:
    def __init__(self) -> None:
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
                **{name: self.counters[name] for name in COUNTERS},
            }


class Faults:
    def __init__(self, random_seed: int):
        self.random_seed = random_seed
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.rng = random.Random(f"highlevel-faults:{self.random_seed}")
            self.storm = 0

    def _roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self.lock:
            return self.rng.random() < rate

    def stall(self, config: Config) -> bool:
        """Sleep the configured latency, and maybe a timeout; True if it was a timeout."""
        if config.latency_ms:
            time.sleep(config.latency_ms / 1000)
        if self._roll(config.timeout_rate):
            time.sleep(config.timeout_ms / 1000)
            return True
        return False

    def error(self, config: Config) -> bool:
        return self._roll(config.error_rate)

    def start_storm(self, count: int) -> None:
        with self.lock:
            self.storm = count

    def take_storm(self) -> bool:
        """True if this request is one of the storm's remaining 429s."""
        with self.lock:
            if self.storm > 0:
                self.storm -= 1
                return True
            return False
