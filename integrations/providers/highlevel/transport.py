"""HighLevel specifics of the shared request loop (`integrations.transport`).

- A write on a connection without `contacts.write` is refused before any request.
- The rate budget is per app (client ID; a PIT counts as its own app) per location, as
  HighLevel counts it: 100 requests / 10 s burst by default, corrected from the
  X-RateLimit-* headers, and blocked until the daily reset when the daily quota is gone.
- The limit learned from those headers is shared too (through the cache, read once per
  transport and written when it changes), so a second worker on the same app and location
  paces itself by it from its first request.
- A 401 for an expired or revoked OAuth token triggers one refresh and one retry.
- A 403 "no access to this location" is a settings problem (ConfigError), not a token one.
- The `Version` header is one the OpenAPI specs allow ("2021-07-28" in the Contacts spec,
  "v3" in the Contacts v3 spec); any other value is a ConfigError before anything is sent.
Facts and sources: docs/providers/highlevel.md.
"""

import hashlib
from datetime import UTC, datetime, time, timedelta
from functools import cached_property

from django.core.cache import cache

from integrations import http
from integrations.errors import (
    AuthError,
    ConfigError,
    MissingScopeError,
    NotFoundError,
    ValidationFailedError,
)
from integrations.providers.highlevel import auth
from integrations.ratelimit import Limit
from integrations.transport import ApiTransport, DailyQuota

DEFAULT_VERSION = "2021-07-28"
# The only values the specs' `Version` header enums allow: Contacts (contacts.json) and
# Contacts v3 (contacts-v3.json). HighLevel's SDK sends "2023-02-21", which no contacts spec
# lists: refused here rather than relied on.
VERSIONS = ("2021-07-28", "v3")
LEARNED_LIMIT_SECONDS = 24 * 3600


def check_version(version: str) -> str:
    """`version` if the specs allow it as the Version header, else a ConfigError."""
    if version not in VERSIONS:
        raise ConfigError(
            f"HighLevel API version {version!r} is not one the HighLevel API specs allow "
            f"({' or '.join(VERSIONS)}): change the connection's API version setting."
        )
    return version


def daily_quota(headers) -> DailyQuota | None:
    """The location's daily allowance from an answer's headers. `X-RateLimit-Daily-Reset`
    (milliseconds until the reset) is seen live but undocumented: without it, the next UTC
    midnight."""
    limit = headers.get("X-RateLimit-Limit-Daily", "")
    remaining = headers.get("X-RateLimit-Daily-Remaining", "")
    if not (limit.isdigit() and remaining.isdigit()):
        return None
    now = datetime.now(UTC)
    reset_ms = headers.get("X-RateLimit-Daily-Reset", "")
    if reset_ms.isdigit():
        resets_at = now + timedelta(milliseconds=int(reset_ms))
    else:
        resets_at = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=UTC)
    return DailyQuota(limit=int(limit), remaining=int(remaining), resets_at=resets_at)


class HighLevelTransport(ApiTransport):
    service = "HighLevel"
    default_limit = Limit(max_requests=100, interval=10.0)

    def __init__(
        self,
        connection,
        *,
        timeout: float | tuple[float, float] | None = None,
        api_version: str | None = None,
        **kw,
    ):
        """`timeout`: (connect, read) seconds for every request, instead of the defaults of
        integrations.http (settings.INTEGRATIONS_*_TIMEOUT). `api_version`: the Version
        header to send instead of the connection's `api_version` setting."""
        self.api_version = api_version
        check_version(self._asked_version(connection))
        super().__init__(connection, **kw)
        self.timeout = timeout
        self._learned_read = False
        self._last_headers: dict[str, str] = {}

    def _asked_version(self, connection) -> str:
        return self.api_version or connection.settings.get("api_version") or DEFAULT_VERSION

    @property
    def version(self) -> str:
        return check_version(self._asked_version(self.connection))

    def default_headers(self) -> dict[str, str]:
        return {"Accept": "application/json", "Version": self.version}

    def send(self, method: str, path: str, *, write: bool = False, **kwargs):
        # Checked again at every request: a setting changed since the session was built
        # must not send a Version the specs do not allow.
        self.session.headers["Version"] = self.version
        if self.timeout is not None:
            kwargs.setdefault("timeout", self.timeout)
        return super().send(method, path, write=write, **kwargs)

    def _limit_cache_key(self) -> str:
        return f"highlevel:learned-limit:{self.budget_key}"

    def window(self) -> Limit:
        if not self._learned_read:  # once: later answers keep self.limit up to date
            self._learned_read = True
            learned = cache.get(self._limit_cache_key())
            if learned:
                self.limit = Limit(int(learned[0]), float(learned[1]))
        return super().window()

    @property
    def base_url(self) -> str:
        return (self.connection.settings.get("base_url") or auth.DEFAULT_BASE_URL).rstrip("/")

    @property
    def location_id(self) -> str:
        location_id = self.connection.settings.get("location_id")
        if not location_id:
            raise AuthError(f"Connection “{self.connection.name}” has no HighLevel location ID.")
        return location_id

    @cached_property
    def budget_key(self) -> str:
        # Worked out once per transport: it decrypts the credentials.
        credentials = self.connection.get_credentials()
        app = credentials.get("client_id")
        if not app:
            pit = credentials.get("private_integration_token", "")
            app = "pit-" + hashlib.sha256(pit.encode()).hexdigest()[:16]
        return f"highlevel:{app}:{self.location_id}"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {auth.access_token(self.connection)}"}

    def check_scope(self, *, write: bool) -> None:
        scopes = self.connection.scopes or []
        if not scopes:
            return  # not recorded (a PIT made without saying): let HighLevel decide
        needed = auth.WRITE_SCOPE if write else auth.READ_SCOPE
        if needed in scopes or (not write and auth.WRITE_SCOPE in scopes):
            return
        raise MissingScopeError(
            f"Connection “{self.connection.name}” was granted {', '.join(scopes)} but this "
            f"needs {needed}: reconnect it with {needed} to allow it."
        )

    @property
    def last_rate_headers(self) -> dict[str, str]:
        """The X-RateLimit-* headers of the last answer (worked out when asked, not per answer)."""
        return {k: v for k, v in self._last_headers.items() if k.lower().startswith("x-ratelimit")}

    def observe(self, response) -> None:
        headers = self._last_headers = response.headers
        self.daily = daily_quota(headers) or self.daily
        try:
            maximum = int(headers["X-RateLimit-Max"])
            interval = int(headers["X-RateLimit-Interval-Milliseconds"]) / 1000
            remaining = int(headers["X-RateLimit-Remaining"])
        except (KeyError, ValueError):
            return
        learned = Limit(maximum, interval)
        if learned != self.limit:
            self.limit = learned
            cache.set(self._limit_cache_key(), [maximum, interval], LEARNED_LIMIT_SECONDS)
        self.note_usage(maximum - remaining)
        if self.daily is not None and self.daily.remaining == 0:
            wait = (self.daily.resets_at - datetime.now(UTC)).total_seconds()
            self.budget.block(self.budget_key, max(wait, 1.0))

    def retry_after(self, response) -> float:
        seconds = http.retry_after_seconds(response)
        if seconds is None:
            interval = response.headers.get("X-RateLimit-Interval-Milliseconds", "")
            seconds = int(interval) / 1000 if interval.isdigit() else self.limit.interval
        return max(seconds, 0.05)

    @staticmethod
    def _message(response) -> str | list:
        try:
            body = response.json()
        except ValueError:
            return response.text[:300]
        if not isinstance(body, dict):
            return str(body)
        return body.get("message") or body.get("error") or ""

    def recover_auth(self, response, sent_headers) -> bool:
        message = str(self._message(response)).lower()
        token_problem = response.status_code == 401 and "scope" not in message
        if not token_problem or not auth.is_oauth(self.connection):
            return False
        rejected = sent_headers["Authorization"].removeprefix("Bearer ")
        auth.refresh_access_token(self.connection, rejected_token=rejected)
        return True

    def raise_error(self, response) -> None:
        status, message = response.status_code, self._message(response)
        text = "; ".join(map(str, message)) if isinstance(message, list) else str(message)
        if status == 401 and "scope" in text.lower():
            raise MissingScopeError(f"HighLevel: {text}", status=status)
        if status == 403 and "location" in text.lower():
            raise ConfigError(
                f"HighLevel: {text} The connection's Location ID is "
                f"{self.connection.settings.get('location_id')!r}: check it is the sub-account "
                "this token was made for.",
                status=status,
            )
        if status in (401, 403):
            raise AuthError(f"HighLevel refused the request ({status}): {text}", status=status)
        if status == 404 or (status == 400 and "not found" in text.lower()):
            raise NotFoundError(f"HighLevel: {text}", status=status)
        if status in (400, 422):
            messages = [str(m) for m in message] if isinstance(message, list) else [text]
            raise ValidationFailedError(
                f"HighLevel rejected the data: {text}", messages=messages, status=status
            )
