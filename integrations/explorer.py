"""The endpoint explorer: send one documented operation through the provider's own transport
(rate budget, retries, token refresh and typed errors all apply) and show what went out and
what came back, with the Authorization header and other secrets masked."""

import json
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from integrations import access_levels, jsonsafe
from integrations.connection_check import build_client
from integrations.errors import IntegrationError
from integrations.models import Connection
from integrations.providers.operations import LOCATION, Operation
from integrations.providers.registry import get_provider
from integrations.redaction import redact, redact_headers, redact_url, scrub_report_text


def operations_for(provider_key: str) -> tuple[Operation, ...]:
    return get_provider(provider_key).explorer_operations


def operation(provider_key: str, key: str) -> Operation | None:
    return next((op for op in operations_for(provider_key) if op.key == key), None)


def grouped(provider_key: str) -> list[tuple[str, list[Operation]]]:
    groups: dict[str, list[Operation]] = {}
    for op in operations_for(provider_key):
        groups.setdefault(op.group, []).append(op)
    return list(groups.items())


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
    return build_client(connection).transport


def _pretty(content: bytes | str | None) -> str:
    if not content:
        return ""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    try:
        # Untrusted: a provider's answer may be nested deeper than Python can recurse.
        return json.dumps(redact(jsonsafe.loads(text)), indent=2, ensure_ascii=False)[
            :MAX_BODY_CHARS
        ]
    except jsonsafe.JSONRejected:
        # Not JSON we can read (a form, HTML, too deep): still never show a secret in it.
        return scrub_report_text(text[:MAX_BODY_CHARS])


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
        # Shown as-is only if nothing is sent (refused, unreachable): masked like a sent body.
        request_body=_pretty(json.dumps(body)) if body is not None else "",
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
