"""Parts every platform sandbox shares: counters, injected faults, a sliding-window rate
limiter, signed webhook delivery with retries, and the `/_control` endpoint.

A platform sandbox (the package `integrations/providers/ecwid/sandbox/` shows the pattern) keeps
a `Knobs` dataclass of its own settings, a `Stats`, a `Faults`, a `RateLimiter` and, if the
platform sends webhooks, a `WebhookSender`; `control_response()` answers `/_control` for it.
"""

import heapq
import itertools
import json
import math
import random
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from integrations.sandbox.web import HTTPError, Request, Response, json_response

LOG_SIZE = 2000


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


# --- knobs and /_control ----------------------------------------------------------------------

_RATES = {"error_rate", "timeout_rate"}


def _coerce(name: str, kind: type, value: Any) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"{name} must be true or false")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    if kind is int:
        if value != int(value):
            raise ValueError(f"{name} must be a whole number")
        return int(value)
    return float(value)


def apply_knobs(knobs: FaultKnobs, changes: dict) -> list[str]:
    """Validate every change first, then apply all or none; returns the error messages."""
    types = {f.name: f.type for f in fields(knobs)}
    errors: list[str] = []
    updates: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in types:
            errors.append(f"{name} is not a setting of this sandbox")
            continue
        kind = types[name]
        try:
            if kind in (bool, int, float, "bool", "int", "float"):
                kind = {"bool": bool, "int": int, "float": float}.get(kind, kind)
                value = _coerce(name, kind, value)
                if name in _RATES and not 0 <= value <= 1:
                    raise ValueError(f"{name} must be between 0 and 1")
                if not isinstance(value, bool) and value < 0:
                    raise ValueError(f"{name} must not be less than 0")
            elif name == "webhook_url" or name.endswith("_url"):
                if value is not None and not (
                    isinstance(value, str) and value.startswith(("http://", "https://"))
                ):
                    raise ValueError(f"{name} must be an http(s) URL or null")
            elif isinstance(getattr(knobs, name), str) and not isinstance(value, str):
                raise ValueError(f"{name} must be a string")
        except ValueError as error:
            errors.append(str(error))
            continue
        updates[name] = value
    if errors:
        return errors
    for name, value in updates.items():
        setattr(knobs, name, value)
    return []


class ControlPanel:
    """`/<platform>/_control` for one sandbox (refused unless the sandbox runs in test mode).

    GET  /_control            {"knobs", "stats", "storm_remaining", "webhooks_pending", ...extra}
    POST /_control            knob changes, plus the action "rate_limit_storm": N (the next N
                              API requests are refused as the platform refuses them) and any
                              action the sandbox adds through `actions`
    POST /_control/reset      knobs back to the instance's defaults; counters, rate windows,
                              storm and the webhook log cleared. Data is kept.
    GET  /_control/webhooks   the delivery log (?type=...&status=...)
    """

    def __init__(
        self,
        *,
        knobs: Callable[[], FaultKnobs],
        defaults: Callable[[], FaultKnobs],
        set_knobs: Callable[[FaultKnobs], None],
        stats: Stats,
        faults: Faults,
        limiter: RateLimiter,
        webhooks: WebhookSender | None = None,
        actions: dict[str, Callable[[Any], Any]] | None = None,
        extra: Callable[[], dict] | None = None,
    ):
        self.knobs = knobs
        self.defaults = defaults
        self.set_knobs = set_knobs
        self.stats = stats
        self.faults = faults
        self.limiter = limiter
        self.webhooks = webhooks
        self.actions = {"rate_limit_storm": self._storm, **(actions or {})}
        self.extra = extra or dict

    def _storm(self, count: Any) -> dict:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise HTTPError(422, {"errors": ["rate_limit_storm must be a whole number ≥ 0"]})
        self.faults.start_storm(count)
        return {"rate_limit_storm": count}

    def state(self) -> dict:
        return {
            "knobs": asdict(self.knobs()),
            "stats": self.stats.snapshot(),
            "storm_remaining": self.faults.storm,
            "webhooks_pending": self.webhooks.pending() if self.webhooks else 0,
            **self.extra(),
        }

    def handle(self, request: Request, test_mode: bool) -> Response:
        if not test_mode:
            raise HTTPError(403, {"message": "The control endpoint is off (not in test mode)."})
        sub = request.path.removeprefix("/_control").strip("/")
        if sub == "" and request.method == "GET":
            return json_response(self.state())
        if sub == "" and request.method == "POST":
            body = request.json()
            if not isinstance(body, dict):
                raise HTTPError(422, {"errors": ["the body must be a JSON object"]})
            action_args = {k: body.pop(k) for k in list(body) if k in self.actions}
            errors = apply_knobs(self.knobs(), body)
            if errors:
                raise HTTPError(422, {"errors": errors})
            results = {name: self.actions[name](arg) for name, arg in action_args.items()}
            return json_response({**self.state(), "result": results})
        if sub == "reset" and request.method == "POST":
            self.set_knobs(self.defaults())
            self.stats.clear()
            self.limiter.reset()
            self.faults.reset()
            if self.webhooks:
                self.webhooks.clear_log()
            return json_response(self.state())
        if sub == "webhooks" and request.method == "GET":
            log = (
                self.webhooks.deliveries(request.arg("type"), request.arg("status"))
                if self.webhooks
                else []
            )
            return json_response({"deliveries": log})
        raise HTTPError(404, {"message": f"No control action {request.method} /_control/{sub}"})
