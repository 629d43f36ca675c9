"""Cin7 Core specifics of the shared request loop (`integrations.transport`).

- The rate budget is per Cin7 account (every app on the account shares it): 60 calls per
  minute, corrected from X-RateLimit-Remaining where Cin7 sends it.
- Cin7 refuses a call over the limit with 503 "You reached 60 calls per minute API limit"
  (its help page; its Apiary table says 429, so that counts too). Such a 503 blocks the account
  for everyone until the window has passed; any other 503 is an ordinary retried 5xx.
- Error bodies are `[{"ErrorCode": 400, "Exception": "..."}]` (sometimes a bare object);
  the Exception texts become the typed errors' messages.
Sources: docs/providers/cin7.md.
"""

import json
import re

from integrations import http
from integrations.errors import AuthError, NotFoundError, PermanentError, ValidationFailedError
from integrations.providers.cin7 import auth
from integrations.ratelimit import Limit
from integrations.transport import ApiTransport

RATE_LIMIT_MARKERS = ("calls per minute", "api limit")
# "Customer with ID '…' not found." — a missing record, not a bad field value.
MISSING_RECORD = re.compile(r"\b(customer|webhook)\b.*\bnot found", re.IGNORECASE)


def error_messages(response) -> list[str]:
    """The Exception texts of a Cin7 error body, whatever its shape."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return [text[:300]] if text else []
    items = body if isinstance(body, list) else [body]
    messages = []
    for item in items:
        if isinstance(item, dict):
            text = item.get("Exception") or item.get("Message") or item.get("message")
            messages.append(str(text) if text else json.dumps(item)[:300])
        else:
            messages.append(str(item)[:300])
    return messages


class Cin7Transport(ApiTransport):
    service = "Cin7 Core"
    default_limit = Limit(max_requests=60, interval=60.0)

    def __init__(self, connection, *, limit: Limit | None = None, **options):
        """`limit` replaces the documented 60/minute (tests scale the window down)."""
        super().__init__(connection, **options)
        if limit is not None:
            self.limit = limit

    def default_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "Content-Type": "application/json"}

    @property
    def base_url(self) -> str:
        return auth.base_url(self.connection)

    @property
    def budget_key(self) -> str:
        return f"cin7:{auth.account_id(self.connection).lower()}"

    def auth_headers(self) -> dict[str, str]:
        return auth.api_headers(self.connection)

    def observe(self, response) -> None:
        remaining = response.headers.get("X-RateLimit-Remaining", "")
        if remaining.isdigit():
            used = self.limit.max_requests - int(remaining)
            if used > 0:
                self.budget.observe(self.budget_key, self.window(), used=used)

    def is_rate_limited(self, response) -> bool:
        if response.status_code == 429:
            return True
        if response.status_code != 503:
            return False
        text = " ".join(error_messages(response)).lower()
        return any(marker in text for marker in RATE_LIMIT_MARKERS)

    def retry_after(self, response) -> float:
        # Cin7 sends no Retry-After; waiting a whole window is the only safe guess.
        seconds = http.retry_after_seconds(response)
        return max(seconds if seconds is not None else self.limit.interval, 0.05)

    def raise_error(self, response) -> None:
        status = response.status_code
        messages = error_messages(response) or [f"HTTP {status}"]
        text = "; ".join(messages)
        if status in (401, 403):
            raise AuthError(
                f"Cin7 Core refused the Account ID and Application Key ({status}): {text}",
                status=status,
            )
        if status == 404 or (status == 400 and MISSING_RECORD.search(text)):
            raise NotFoundError(f"Cin7 Core: {text}", status=status)
        if status in (400, 422):
            raise ValidationFailedError(
                f"Cin7 Core rejected the data: {text}", messages=messages, status=status
            )
        raise PermanentError(f"Cin7 Core answered {status}: {text}", status=status)
