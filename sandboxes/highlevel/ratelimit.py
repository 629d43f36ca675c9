"""HighLevel's rate limits: per app (client_id; each PIT counts as its own app) per location
(or company, for agency tokens): a burst limit (100 per 10 s) and a daily limit (200,000).

The burst limit is a sliding window: a request is allowed while fewer than `burst_limit`
requests were *allowed* in the last `burst_window_ms` (429s do not count), so
X-RateLimit-Remaining is exact and climbs back as old requests leave the window. The daily
limit is a fixed window that resets at UTC midnight; X-RateLimit-Daily-Reset is the number
of milliseconds until then (our reading of the live header, which no source documents).
`time_scale` shortens both windows by its factor, and the headers report the shortened ones."""

import threading
import time

from sandboxes.highlevel.config import Config
from sandboxes.kit import kit


class RateLimiter:
    """The burst window is the kit's sliding window; the daily count and the headers are
    HighLevel's own."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.burst = kit.RateLimiter()
        self.daily: dict[tuple, list[int]] = {}  # key -> [day number, requests that day]

    def reset(self) -> None:
        with self.lock:
            self.burst.reset()
            self.daily.clear()

    def hit(
        self, key: tuple, config: Config, *, consume: bool = True
    ) -> tuple[bool, dict[str, str]]:
        """Count one request for `key`; returns (allowed, headers). `consume=False` only
        reads the state (used for storm 429s)."""
        window = config.burst_window_ms / 1000 / config.time_scale
        day = 86_400 / config.time_scale
        now = time.time()
        with self.lock:
            today = int(now // day)
            counter = self.daily.get(key)
            if counter is None or counter[0] != today:
                counter = self.daily[key] = [today, 0]
            daily_exhausted = counter[1] >= config.daily_limit
            burst = self.burst.hit(
                key, config.burst_limit, window, consume=consume and not daily_exhausted
            )
            if burst.allowed:
                counter[1] += 1
            reset_in = (today + 1) * day - now
            headers = {
                "X-RateLimit-Limit-Daily": str(config.daily_limit),
                "X-RateLimit-Daily-Remaining": str(max(0, config.daily_limit - counter[1])),
                "X-RateLimit-Daily-Reset": str(int(reset_in * 1000)),
                "X-RateLimit-Interval-Milliseconds": str(int(window * 1000)),
                "X-RateLimit-Max": str(config.burst_limit),
                "X-RateLimit-Remaining": str(burst.remaining),
            }
            if not burst.allowed and config.retry_after:
                wait = reset_in if daily_exhausted else burst.retry_after
                headers["Retry-After"] = kit.retry_after_header(wait)
        return burst.allowed, headers
