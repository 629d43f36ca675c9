"""Orderspace specifics of the shared request loop (`integrations.transport`).

- Bearer token from auth.py: a client-credentials token (Private Integration) or a code
  grant's access token (public integration), renewed before expiry; a 401 (expired or
  revoked token, reason in WWW-Authenticate) renews once by the connection's own grant and
  retries once.
- Rate budget: 60 requests a minute per account, shared by every worker. A Private
  Integration belongs to one account, so its client ID names the budget; a public app's
  client ID is shared by every account that installed it, and the token answer names no
  account, so a code-grant connection has a budget of its own. Orderspace sends no
  rate-limit headers; its 429 says only "wait at least 60 seconds", so a refusal blocks
  the key for Retry-After if one is ever sent, else for the whole window.
- Errors are JSON `{"message": "..."}` except 400 (empty `text/html`), 401 (empty body, the
  reason in WWW-Authenticate) and unknown routes (an HTML page).
Source: Orderspace API docs and the recorded responses of ecomba/orderspace-ruby (see
docs/providers/orderspace.md).
"""

import re
from urllib.parse import urlparse

from integrations import http
from integrations.errors import AuthError, NotFoundError, ValidationFailedError
from integrations.providers.orderspace import auth
from integrations.ratelimit import Limit
from integrations.transport import ApiTransport

VALIDATION_PREFIX = "Validation failed: "
_DESCRIPTION = re.compile(r'error_description="([^"]*)"')


class OrderspaceTransport(ApiTransport):
    service = "Orderspace"
    default_limit = Limit(max_requests=60, interval=60.0)

    def __init__(self, connection, *, limit: Limit | None = None, **options):
        """`limit` overrides the documented 60/minute (a sandbox with a lowered limit)."""
        super().__init__(connection, **options)
        if limit is not None:
            self.limit = limit

    @property
    def base_url(self) -> str:
        return auth.api_url(self.connection)

    @property
    def budget_key(self) -> str:
        credentials = self.connection.get_credentials()
        client_id = credentials.get("client_id") or "unknown"
        if "refresh_token" in credentials:
            return f"orderspace:{client_id}:connection-{self.connection.pk}"
        return f"orderspace:{client_id}"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {auth.access_token(self.connection)}"}

    def retry_after(self, response) -> float:
        seconds = http.retry_after_seconds(response)
        # No Retry-After: Orderspace asks for at least the whole window.
        return max(seconds if seconds is not None else self.limit.interval, 0.05)

    @staticmethod
    def token_problem(response) -> str:
        """Orderspace's reason for a 401, from WWW-Authenticate (its body is empty)."""
        match = _DESCRIPTION.search(response.headers.get("WWW-Authenticate", ""))
        return match.group(1) if match else ""

    def recover_auth(self, response, sent_headers) -> bool:
        if response.status_code != 401:
            return False
        rejected = sent_headers["Authorization"].removeprefix("Bearer ")
        auth.renew_access_token(self.connection, rejected_token=rejected)
        return True

    @staticmethod
    def message(response) -> str:
        try:
            body = response.json()
        except ValueError:
            return ""
        if isinstance(body, dict):
            return str(body.get("message") or body.get("error") or "")
        return ""

    def raise_error(self, response) -> None:
        status = response.status_code
        text = self.message(response)
        if status == 401:
            reason = self.token_problem(response) or "the access token was refused"
            raise AuthError(f"Orderspace refused the request (401): {reason}", status=status)
        if status == 403:
            raise AuthError(f"Orderspace forbids this (403): {text}".rstrip(": "), status=status)
        if status == 404:
            raise NotFoundError(
                f"Orderspace: {text}" if text else "Orderspace has no such endpoint (404).",
                status=status,
            )
        if status == 422:
            messages = [
                part.strip()
                for part in text.removeprefix(VALIDATION_PREFIX).split(", ")
                if part.strip()
            ]
            raise ValidationFailedError(
                f"Orderspace rejected the data: {text}", messages=messages or [text], status=status
            )
        if status == 400:
            # Orderspace's 400 is an empty text/html answer: all we can name is the request.
            request = response.request
            what = "the request"
            if request is not None:
                path = urlparse(request.url).path
                path = path.removeprefix(urlparse(self.base_url).path.rstrip("/")) or "/"
                what = f"{request.method} {path}"
            raise ValidationFailedError(
                f"Orderspace could not read {what} (400 Bad Request, no details given): "
                "malformed JSON, or a missing or invalid parameter.",
                status=status,
            )
