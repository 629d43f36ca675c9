"""Shift4Shop specifics of the shared request loop (`integrations.transport`).

- Requests go to `<base_url>/3dCartWebAPI/v2`, the base URL being the connection's
  `base_url` setting (the sandbox) or apirest.3dcart.com.
- No rate limit is documented [I]: the budget is 2 requests/second per store and app by
  default (`requests_per_second` setting), shared by every worker. 429 is the refusal; a
  503 that carries Retry-After is read as one too. Without Retry-After we wait a window.
- Errors arrive as status arrays `[{"Key","Value","Status","Message"}]` (or ASP.NET's
  `{"Message": ...}`); their Message is what our typed errors say.
"""

import hashlib

from integrations import http
from integrations.errors import AuthError, NotFoundError, PermanentError, ValidationFailedError
from integrations.providers.shift4shop import auth
from integrations.ratelimit import Limit
from integrations.transport import ApiTransport

DEFAULT_REQUESTS_PER_SECOND = 2.0


def messages(body) -> list[str]:
    """The Message of every status entry in a Shift4Shop answer."""
    items = body if isinstance(body, list) else [body]
    found = []
    for item in items:
        if isinstance(item, dict):
            text = item.get("Message") or item.get("message") or item.get("error") or ""
            if text:
                found.append(str(text))
    return found


class Shift4ShopTransport(ApiTransport):
    service = "Shift4Shop"
    default_limit = Limit(max_requests=2, interval=1.0)

    def __init__(self, connection, **options):
        super().__init__(connection, **options)
        rate = connection.settings.get("requests_per_second") or DEFAULT_REQUESTS_PER_SECOND
        # A whole number of requests per window; under 1/s the window stretches instead.
        rate = float(rate)
        self.limit = Limit(int(rate), 1.0) if rate >= 1 else Limit(1, 1.0 / rate)

    def default_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "Content-Type": "application/json"}

    @property
    def base_url(self) -> str:
        root = (self.connection.settings.get("base_url") or auth.DEFAULT_BASE_URL).rstrip("/")
        return root + auth.API_PATH

    @property
    def budget_key(self) -> str:
        creds = auth.store_credentials(self.connection)
        app = hashlib.sha256(creds.private_key.encode()).hexdigest()[:12]
        return f"shift4shop:{auth.store_host(creds.secure_url)}:{app}"

    def auth_headers(self) -> dict[str, str]:
        return auth.store_credentials(self.connection).headers()

    def is_rate_limited(self, response) -> bool:
        if response.status_code == 429:
            return True
        return response.status_code == 503 and http.retry_after_seconds(response) is not None

    @staticmethod
    def _messages(response) -> list[str]:
        try:
            return messages(response.json())
        except ValueError:
            return [response.text[:300]] if response.text else []

    def raise_error(self, response) -> None:
        status = response.status_code
        found = self._messages(response)
        text = "; ".join(found) or http.body_excerpt(response) or "no details"
        if status in (401, 403):
            raise AuthError(f"Shift4Shop refused the credentials ({status}): {text}", status=status)
        if status == 404:
            raise NotFoundError(f"Shift4Shop: {text}", status=status)
        if status in (400, 409, 422):
            raise ValidationFailedError(
                f"Shift4Shop rejected the data: {text}", messages=found or [text], status=status
            )
        raise PermanentError(f"Shift4Shop answered {status}: {text}", status=status)
