"""CS-Cart specifics of the shared request loop (`integrations.transport`).

- The store is self-hosted: requests go to `<store URL>/api/2.0` (the API root may be given
  whole as `settings["base_url"]`, e.g. a sandbox or a store without mod_rewrite).
- CS-Cart documents no rate limit, but the store's host or WAF may throttle. The budget is one
  per store, at `settings["rate_limit_requests"]` per `settings["rate_limit_interval"]` seconds
  (5 per second by default, kind to a small shared host). 429 and CS-Cart's own 509
  "Bandwidth Limit Exceeded" are refusals: wait (Retry-After when given) and try again.
- 503 is CS-Cart's "store closed for maintenance/upgrade": retried with backoff like any 5xx.
- Errors keep CS-Cart's own message, `"<Status text>: <details>"`, and its `errors`/`messages`.
Reference: CS-Cart source, Tygh/Api/Response.php (docs/providers/cscart.md).
"""

import hashlib
from urllib.parse import urlsplit

from integrations import http
from integrations.errors import (
    AuthError,
    ConfigError,
    MissingScopeError,
    NotFoundError,
    PermanentError,
    ValidationFailedError,
)
from integrations.providers.cscart import auth
from integrations.ratelimit import Limit
from integrations.transport import ApiTransport

API_PATH = "/api/2.0"
DEFAULT_LIMIT = Limit(max_requests=5, interval=1.0)
RATE_LIMIT_STATUSES = (429, 509)


class CsCartTransport(ApiTransport):
    service = "CS-Cart"
    default_limit = DEFAULT_LIMIT

    def __init__(self, connection, **options):
        super().__init__(connection, **options)
        self.limit = self._configured_limit()

    def _configured_limit(self) -> Limit:
        settings = self.connection.settings
        try:
            requests_ = int(settings.get("rate_limit_requests") or DEFAULT_LIMIT.max_requests)
            interval = float(settings.get("rate_limit_interval") or DEFAULT_LIMIT.interval)
        except (TypeError, ValueError):
            raise ConfigError(
                f"Connection “{self.connection.name}” has a rate limit that is not a number."
            ) from None
        if requests_ < 1 or interval <= 0:
            raise ConfigError(f"Connection “{self.connection.name}” has an impossible rate limit.")
        return Limit(requests_, interval)

    def default_headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    @property
    def base_url(self) -> str:
        settings = self.connection.settings
        if settings.get("base_url"):
            return settings["base_url"].rstrip("/")
        store_url = (settings.get("store_url") or "").strip().rstrip("/")
        if not store_url:
            raise ConfigError(f"Connection “{self.connection.name}” has no CS-Cart store URL.")
        if not store_url.lower().startswith(("http://", "https://")):
            raise ConfigError(f"The store URL {store_url!r} must start with https:// (or http://).")
        return store_url + API_PATH

    @property
    def budget_key(self) -> str:
        # One budget per store: the host throttles the store, whichever admin key is used.
        parts = urlsplit(self.base_url)
        digest = hashlib.sha256(f"{parts.netloc}{parts.path}".lower().encode()).hexdigest()
        return f"cscart:{digest[:16]}"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": auth.authorization_header(self.connection)}

    def is_rate_limited(self, response) -> bool:
        return response.status_code in RATE_LIMIT_STATUSES

    def retry_after(self, response) -> float:
        seconds = http.retry_after_seconds(response)
        return max(seconds if seconds is not None else self.limit.interval, 0.05)

    @staticmethod
    def details(response) -> tuple[str, list[str]]:
        """CS-Cart's message and its list of details (errors first, as it joins them)."""
        try:
            body = response.json()
        except ValueError:
            return response.text[:300].strip(), []
        if not isinstance(body, dict):
            return str(body)[:300], []
        items = [*(body.get("errors") or []), *(body.get("messages") or [])]
        return str(body.get("message") or ""), [str(item) for item in items]

    def raise_error(self, response) -> None:
        status = response.status_code
        message, items = self.details(response)
        text = message or f"HTTP {status}"
        if status == 401:
            raise AuthError(
                f"CS-Cart refused the administrator e-mail/API key ({text}). Check both, and "
                "that API access is on for that administrator and the account is active.",
                status=status,
            )
        if status == 403:
            raise MissingScopeError(
                f"CS-Cart: {text}. The administrator needs the “view users” and “manage "
                "users” privileges (and “manage user groups” for groups).",
                status=status,
            )
        if status == 404:
            raise NotFoundError(f"CS-Cart: {text}", status=status)
        if status in (400, 409):
            raise ValidationFailedError(
                f"CS-Cart rejected the data: {text}", messages=items or [text], status=status
            )
        raise PermanentError(f"CS-Cart answered {status}: {text}", status=status)
