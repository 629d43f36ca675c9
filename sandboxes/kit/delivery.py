"""Webhooks out of a sandbox: signed POSTs from a background thread, retried with backoff."""

import heapq
import itertools
import json
import random
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable

from sandboxes.kit.kit import FaultKnobs, Stats, utc_now_iso

LOG_SIZE = 2000


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is a failed delivery, as it is for the real platforms


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


class WebhookSender:
    """Posts webhook bodies from a background thread, retrying non-2xx answers with
    exponential backoff and jitter; keeps a delivery log for `/_control/webhooks`.

    The sandbox is a fake server of its own, so it posts with urllib rather than the
    product's HTTP module (whose private-address guard would refuse the app's URL).

    A platform whose log looks different can say so: `id_field` names the delivery's id in
    the log ("id"), `user_agent` replaces the default, `sign(body)` returns signature headers
    worked out again at every attempt (so a signing knob changed between retries counts), and
    `schedule_fields` adds `nextAttemptAt` while a retry waits and `deliveredAt` once done."""

    def __init__(
        self,
        name: str,
        knobs: Callable[[], FaultKnobs],
        stats: Stats,
        seed: int,
        *,
        id_field: str = "id",
        user_agent: str | None = None,
        sign: Callable[[bytes], dict[str, str]] | None = None,
        schedule_fields: bool = False,
    ):
        self.name = name
        self.knobs = knobs
        self.stats = stats
        self.id_field = id_field
        self.user_agent = user_agent or f"{name}-sandbox-webhooks/1.0"
        self.sign = sign
        self.schedule_fields = schedule_fields
        self.rng = random.Random(f"{name}-webhooks:{seed}")
        self.cond = threading.Condition()
        self.queue: list[tuple[float, int, dict]] = []
        self.sequence = itertools.count()
        self.log: OrderedDict[str, dict] = OrderedDict()
        self.thread: threading.Thread | None = None
        self.stopped = False

    def emit(
        self,
        delivery_id: str,
        event_type: str,
        body: bytes,
        headers: dict[str, str],
        *,
        url: str | None = None,
        fields: dict | None = None,
    ) -> bool:
        """Queue one delivery of the exact `body` with its signed `headers`; False (and a
        `webhooks_unrouted` count) when no URL is configured. `fields` go into the log entry
        as they are (and may replace its defaults, e.g. `createdAt`)."""
        url = url or self.knobs().webhook_url
        if not url:
            self.stats.bump("webhooks_unrouted")
            return False
        entry = {
            self.id_field: delivery_id,
            "type": event_type,
            "url": url,
            "status": "pending",
            "attempts": [],
            "createdAt": utc_now_iso(),
            "payload": json.loads(body) if body else None,
            **(fields or {}),
            "_body": body,
            "_headers": headers,
        }
        with self.cond:
            self.log[delivery_id] = entry
            while len(self.log) > LOG_SIZE:
                self.log.popitem(last=False)
            heapq.heappush(self.queue, (time.monotonic(), next(self.sequence), entry))
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name=f"{self.name}-webhooks", daemon=True
                )
                self.thread.start()
            self.cond.notify()
        return True

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.stopped and (not self.queue or self.queue[0][0] > time.monotonic()):
                    self.cond.wait(
                        timeout=self.queue[0][0] - time.monotonic() if self.queue else None
                    )
                if self.stopped:
                    return
                _, _, entry = heapq.heappop(self.queue)
            self._attempt(entry)

    def _attempt(self, entry: dict) -> None:
        knobs = self.knobs()
        # The URL was checked to be http(s) when it was configured (apply_knobs).
        request = urllib.request.Request(  # noqa: S310
            entry["url"],
            data=entry["_body"],
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": self.user_agent,
                **entry["_headers"],
                **(self.sign(entry["_body"]) if self.sign else {}),
            },
        )
        started = time.monotonic()
        status, error = None, None
        try:
            with _OPENER.open(request, timeout=knobs.webhook_timeout_ms / 1000) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        self.stats.bump("webhook_attempts")
        delivered = status is not None and 200 <= status < 300
        with self.cond:
            entry["attempts"].append(
                {
                    "at": utc_now_iso(),
                    "status": status,
                    "error": error,
                    "durationMs": int((time.monotonic() - started) * 1000),
                }
            )
            if delivered or len(entry["attempts"]) >= knobs.webhook_max_attempts:
                entry["status"] = "delivered" if delivered else "failed"
                if self.schedule_fields:
                    entry.pop("nextAttemptAt", None)
                    if delivered:
                        entry["deliveredAt"] = utc_now_iso()
                self.stats.bump("webhooks_sent" if delivered else "webhooks_failed")
            else:
                # "Equal jitter": half the exponential delay fixed, half random.
                delay = min(
                    knobs.webhook_max_delay_ms,
                    knobs.webhook_base_delay_ms * 2 ** (len(entry["attempts"]) - 1),
                )
                delay = delay / 2 + self.rng.uniform(0, delay / 2)
                if self.schedule_fields:
                    entry["nextAttemptAt"] = utc_now_iso(later_ms=int(delay))
                heapq.heappush(
                    self.queue, (time.monotonic() + delay / 1000, next(self.sequence), entry)
                )
                self.stats.bump("webhook_retries")
                self.cond.notify()

    def deliveries(self, event_type: str | None = None, status: str | None = None) -> list[dict]:
        with self.cond:
            return [
                json.loads(json.dumps({k: v for k, v in entry.items() if not k.startswith("_")}))
                for entry in self.log.values()
                if (event_type is None or entry["type"] == event_type)
                and (status is None or entry["status"] == status)
            ]

    def pending(self) -> int:
        with self.cond:
            return sum(1 for entry in self.log.values() if entry["status"] == "pending")

    def clear_log(self) -> None:
        with self.cond:
            for key in [k for k, entry in self.log.items() if entry["status"] != "pending"]:
                del self.log[key]

    def close(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        if self.thread is not None:
            self.thread.join(timeout=5)
