"""Ecwid specifics of the shared request loop (`integrations.transport`).

- Requests go to `{base}/api/v3/{storeId}` with `Authorization: Bearer secret_…` (never the
  legacy `?token=`, which would put the token in logged URLs).
- The budget is Ecwid's: 600 requests a minute per token, kept per store and token.
- A refusal is 429 with Retry-After (seconds); Ecwid sends no other rate headers.
- Errors carry `{"errorMessage", "errorCode"}`: 403 INSUFFICIENT_APP_SCOPE is a missing
  scope, any other 403 a refused token; 409 is a conflict such as a taken e-mail.
Source: Ecwid API docs, errors and rate limits (see docs/providers/ecwid.md).
"""

import hashlib

from integrations.errors import (
    AuthError,
    MissingScopeError,
    NotFoundError,
    PermanentError,
    ValidationFailedError,
)
from integrations.providers.ecwid import auth
from integrations.ratelimit import Limit
from integrations.transport import ApiTransport


class EcwidTransport(ApiTransport):
    service = "Ecwid"
    default_limit = Limit(max_requests=600, interval=60.0)

    @property
    def base_url(self) -> str:
        root = (self.connection.settings.get("base_url") or auth.DEFAULT_BASE_URL).rstrip("/")
        return f"{root}/api/v3/{auth.store_id(self.connection)}"

    @property
    def budget_key(self) -> str:
        token = auth.secret_token(self.connection)
        # Ecwid counts per token; the hash keeps the token itself out of Redis/DB keys.
        digest = hashlib.sha256(token.encode()).hexdigest()[:16]
        return f"ecwid:{auth.store_id(self.connection)}:{digest}"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {auth.secret_token(self.connection)}"}

    @staticmethod
    def _error(response) -> tuple[str, str]:
        try:
            body = response.json()
        except ValueError:
            return response.text[:300].strip(), ""
        if not isinstance(body, dict):
            return str(body)[:300], ""
        return str(body.get("errorMessage") or ""), str(body.get("errorCode") or "")

    def raise_error(self, response) -> None:
        status = response.status_code
        message, code = self._error(response)
        text = f"{message} ({code})" if code else message or f"HTTP {status}"
        if status == 403 and code == "INSUFFICIENT_APP_SCOPE":
            raise MissingScopeError(
                f"Ecwid: {text}. Reinstall the app with the missing scope.", status=status
            )
        if status in (401, 403):
            raise AuthError(f"Ecwid refused the token ({status}): {text}", status=status)
        if status == 402:
            raise PermanentError(
                f"Ecwid: {text}. The store's plan does not include the API.", status=status
            )
        if status == 404:
            raise NotFoundError(f"Ecwid: {text}", status=status)
        if status in (400, 409, 415, 422):
            raise ValidationFailedError(
                f"Ecwid rejected the data: {text}", messages=[message or text], status=status
            )
