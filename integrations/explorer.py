"""The endpoint explorer: send one documented operation through the provider's own transport
(rate budget, retries, token refresh and typed errors all apply) and show what went out and
what came back, with the Authorization header and other secrets masked."""

import contextlib
import json
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from integrations import access_levels
from integrations.connection_check import build_client
from integrations.errors import ConfigError, IntegrationError
from integrations.explorer_operations import LOCATION, Operation
from integrations.models import Connection
from integrations.redaction import redact, redact_headers, redact_url

# Response headers worth showing: the rest is server noise.
SHOWN_HEADERS = ("content-type", "retry-after", "location", "www-authenticate")
SHOWN_PREFIXES = ("x-ratelimit", "ratelimit")
MAX_BODY_CHARS = 20_000


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict
    request_body: str
    latency_ms: int  # the HTTP exchange itself (the last try)
    total_ms: int = 0  # including waits for the rate budget and retries
    status: int | None = None
    reason: str = ""
    response_headers: dict = field(default_factory=dict)
    response_body: str = ""
    error_kind: str = ""
    error: str = ""
    budget: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 400 and not self.error


def fill(value: str, connection: Connection) -> str:
    return connection.settings.get("location_id", "") if value == LOCATION else value


def example_body(operation: Operation, connection: Connection) -> str:
    if operation.body is None:
        return ""
    text = json.dumps(operation.body, indent=2)
    return text.replace(json.dumps(LOCATION), json.dumps(fill(LOCATION, connection)))


def write_refusal(operation: Operation, connection: Connection) -> str:
    return access_levels.write_refusal(connection) if operation.write else ""


def _transport(connection: Connection):
    client = build_client(connection)
    transport = getattr(client, "transport", None)
    if transport is None or not hasattr(transport, "send"):
        raise ConfigError(f"{connection.provider_info.name}'s client has no transport to send.")
    return transport


def _pretty(content: bytes | str | None) -> str:
    if not content:
        return ""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    with contextlib.suppress(ValueError):
        text = json.dumps(redact(json.loads(text)), indent=2, ensure_ascii=False)
    return text[:MAX_BODY_CHARS]


def _shown(headers) -> dict:
    return {
        k: v
        for k, v in headers.items()
        if k.lower() in SHOWN_HEADERS or k.lower().startswith(SHOWN_PREFIXES)
    }


def _budget(transport, headers) -> dict:
    lowered = {k.lower(): v for k, v in headers.items()}
    budget = {
        "Limit": f"{transport.limit.max_requests} requests / {transport.limit.interval:g} s",
    }
    if "x-ratelimit-remaining" in lowered:
        budget["Left in this window"] = lowered["x-ratelimit-remaining"]
    if "x-ratelimit-daily-remaining" in lowered:
        budget["Left today"] = lowered["x-ratelimit-daily-remaining"]
    return budget


def explorer_send(
    *, connection: Connection, operation: Operation, path_values: dict, query: dict, body
) -> Exchange:
    """Send and describe. `body` is parsed JSON (or None); empty query values are left out."""
    path = operation.path
    for name, value in path_values.items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    params = {k: v for k, v in query.items() if v not in (None, "")}
    started = time.monotonic()
    captured: dict = {}
    try:
        transport = _transport(connection)
    except IntegrationError as error:
        return Exchange(operation.method, path, {}, "", 0, error_kind="config", error=str(error))
    observe = transport.observe

    def capture(response):  # every response the loop receives, retries included
        captured["response"] = response
        observe(response)

    transport.observe = capture
    planned_url = transport.base_url + path + (f"?{urlencode(params)}" if params else "")
    exchange = Exchange(
        method=operation.method,
        url=redact_url(planned_url),
        request_headers=redact_headers(
            {**transport.session.headers, "Authorization": "(added when sent)"}
        ),
        request_body=json.dumps(body, indent=2) if body is not None else "",
        latency_ms=0,
    )
    try:
        transport.send(
            operation.method,
            path,
            write=operation.write,
            params=params or None,
            json=body,
        )
    except IntegrationError as error:
        exchange.error_kind = error.failure_mode
        exchange.error = str(error)
    exchange.total_ms = exchange.latency_ms = round((time.monotonic() - started) * 1000)
    response = captured.get("response")
    if response is not None:
        sent = response.request
        exchange.url = redact_url(sent.url)
        exchange.request_headers = redact_headers(sent.headers)
        exchange.request_body = _pretty(sent.body)
        exchange.status = response.status_code
        exchange.reason = response.reason or ""
        exchange.response_headers = _shown(response.headers)
        exchange.response_body = _pretty(response.content)
        exchange.latency_ms = round(getattr(response, "elapsed_ms", exchange.latency_ms))
        exchange.budget = _budget(transport, response.headers)
    else:
        exchange.budget = _budget(transport, {})
    return exchange
