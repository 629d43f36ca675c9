"""Typed failures of outbound calls.

Every transport or HTTP failure becomes one of these, once, in `integrations.http`; provider
clients raise the more precise subclasses. The split that matters to the engine is
`TransientError` (try again later) against `PermanentError` (a person must act).
"""


class IntegrationError(Exception):
    failure_mode = "internal"

    def __init__(self, message: str, *, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body

    def __str__(self) -> str:
        return self.message


class TransientError(IntegrationError):
    """Timeouts, dropped connections, 5xx and rate limits: retried with backoff."""

    failure_mode = "transient"


class RateLimitedError(TransientError):
    failure_mode = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PermanentError(IntegrationError):
    """The request itself is wrong: retrying the same thing would fail the same way."""

    failure_mode = "permanent"


class AuthError(PermanentError):
    """Credentials rejected or expired: the connection needs attention (reconnect)."""

    failure_mode = "auth"


class MissingScopeError(AuthError):
    failure_mode = "missing_scope"


class NotFoundError(PermanentError):
    failure_mode = "not_found"


class ValidationFailedError(PermanentError):
    failure_mode = "validation"

    def __init__(self, message: str, *, messages: list[str] | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.messages = messages or [message]


class ConfigError(PermanentError):
    """Our side is set up wrongly (bad URL, refused address, missing setting)."""

    failure_mode = "config"


class BlockedAddressError(ConfigError):
    """The URL resolves to a private or loopback address and those are not allowed."""
