"""Every request the provider clients send, told to whoever listens: the one observer hook.

`integrations` never imports what builds on it: the diagnostics app registers its observer
when it starts (`diagnostics/apps.py`) and records what it is told. The transport's request
loop (`integrations/transport.py`) reports every attempt — retries included, and attempts
that got no answer — as an `ApiCall`, after the attempt and outside any decision the loop
makes. An observer must be cheap (it runs in the caller's thread, per request) and must not
raise: one that does is logged and skipped, never allowed to fail the request.

What an `ApiCall` holds is safe to store and show: the endpoint is a template (ids replaced
by `{id}`), no query string, no header other than the rate-limit ones and a request id, and
no body.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from integrations.redaction import redact, scrub_text

logger = logging.getLogger(__name__)

# The error classes the dashboards count; "" is a success.
ERROR_KINDS = (
    "auth",
    "scope",
    "rate_limited",
    "validation",
    "not_found",
    "server",
    "network",
    "client",
)


@dataclass(frozen=True, slots=True)
class ApiCall:
    at: datetime  # when the attempt started (aware, UTC)
    provider: str
    connection_id: int | None
    workspace_id: int | None
    method: str
    endpoint: str  # a template: "/contacts/{id}/notes"
    status: int | None  # None: no answer (a network failure or a timeout)
    latency_ms: float
    error_kind: str = ""  # one of ERROR_KINDS, or "" when it succeeded
    attempt: int = 1  # 1 for the first try of a request, 2 for its first retry...
    request_id: str = ""
    rate_limit: dict[str, str] = field(default_factory=dict)  # the X-RateLimit-* headers
    # Only while the connection's body capture is on (`body_capture_on`), for debugging:
    # secrets redacted, cut to BODY_LIMIT characters.
    request_body: str = ""
    response_body: str = ""


BODY_LIMIT = 4_000
CAPTURE_SETTING = "capture_bodies_until"  # a connection setting: ISO time the capture ends


def body_capture_on(connection, now: datetime | None = None) -> bool:
    """Whether `connection` asked for request and response bodies to be kept, and still does
    (the capture ends on its own: customer data is not kept by default)."""
    until = (connection.settings or {}).get(CAPTURE_SETTING)
    if not until:
        return False
    try:
        moment = datetime.fromisoformat(str(until))
    except ValueError:
        return False
    if moment.tzinfo is None:
        return False
    return moment > (now or datetime.now(moment.tzinfo))


def body_text(body) -> str:
    """A request or response body as kept with a captured call: JSON with every value under
    a secret-looking key redacted, any text scrubbed of secrets, cut to BODY_LIMIT."""
    if body is None or body == b"" or body == "":
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return scrub_text(body)[:BODY_LIMIT]
    try:
        text = json.dumps(redact(body), ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = str(body)
    return scrub_text(text)[:BODY_LIMIT]


Observer = Callable[[ApiCall], None]

_observers: list[Observer] = []


def call_observer_add(observer: Observer) -> None:
    """Register an observer once (registering it again, as a reloaded app would, is a no-op)."""
    if observer not in _observers:
        _observers.append(observer)


def call_observer_remove(observer: Observer) -> None:
    if observer in _observers:
        _observers.remove(observer)


def calls_observed() -> bool:
    """Whether anyone listens: callers skip building an ApiCall when nobody does."""
    return bool(_observers)


def calls_notify(call: ApiCall) -> None:
    """Tell every observer about one attempt. Never raises."""
    for observer in tuple(_observers):
        try:
            observer(call)
        except Exception:
            logger.exception("An API call observer failed; the request was not affected.")


def error_kind_of_status(status: int | None) -> str:
    """The error class of an HTTP status ("" for success): what the dashboards count."""
    if status is None:
        return "network"
    if status < 400:
        return ""
    if status == 401:
        return "auth"
    if status == 403:
        return "scope"
    if status == 404:
        return "not_found"
    if status == 429:
        return "rate_limited"
    if status in (400, 409, 422):
        return "validation"
    if status == 408 or status >= 500:
        return "server"
    return "client"


# Path segments that are ids, not names: numbers, UUIDs and hex digests, e-mail addresses,
# and the 20-odd character mixed-case ids HighLevel and others generate.
_ID_SEGMENT = re.compile(
    r"""^(
        \d+                                        # 68487690
      | [0-9a-fA-F]{8}-[0-9a-fA-F-]{27}            # a UUID
      | [0-9a-fA-F]{24,}                           # hex ids and digests
      | [^/@]+@[^/@]+                              # an e-mail address
      | (?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{16,}     # long ids with a digit in them
      | (?:cu|wh|or|pr)_[A-Za-z0-9]{6,}             # Orderspace: a type prefix and 8 chars
    )$""",
    re.VERBOSE,
)


def endpoint_template(path: str) -> str:
    """`path` with its ids replaced by `{id}` and the query string left out, so calls to the
    same endpoint group together and no customer's id or e-mail is stored with them."""
    path = path.split("?", 1)[0].split("#", 1)[0]
    segments = path.split("/")
    return "/".join("{id}" if _ID_SEGMENT.match(s) else s for s in segments)
