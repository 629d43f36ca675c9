"""Test connection: one real, cheap call through the provider's client (`check()`), timed,
with the outcome recorded on the connection and explained in words a person can act on."""

import logging
import time
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from integrations.errors import (
    AuthError,
    BlockedAddressError,
    ConfigError,
    IntegrationError,
    MissingScopeError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    ValidationFailedError,
)
from integrations.models import Connection
from integrations.providers.registry import get_provider

logger = logging.getLogger(__name__)

# A test should answer in seconds, not wait through the sync engine's five tries.
CHECK_TRANSPORT_OPTIONS = {"max_attempts": 2, "max_wait": 5.0}


@dataclass
class CheckResult:
    ok: bool
    latency_ms: int
    account_name: str = ""
    account_id: str = ""
    scopes: list[str] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    failure: str = ""  # a key of FAILURES
    message: str = ""  # the provider's own words, or ours
    status: int | None = None  # HTTP status of the refusal, when there was one

    @property
    def detail_rows(self) -> list[tuple[str, object]]:
        return [(key.replace("_", " ").capitalize(), value) for key, value in self.details.items()]

    @property
    def failure_label(self) -> str:
        return FAILURES.get(self.failure, ("", ""))[0]

    @property
    def hint(self) -> str:
        return FAILURES.get(self.failure, ("", ""))[1]


FAILURES = {
    "bad_credentials": (
        "Bad credentials",
        "The provider refused these credentials. Check that they were copied in full, are "
        "still active, and belong to this account; for OAuth, reconnect.",
    ),
    "missing_scope": (
        "Missing scope",
        "The credentials work but lack a permission this needs. Reconnect (or make a new "
        "token) with the scopes shown under Access.",
    ),
    "wrong_location": (
        "Wrong location",
        "The token is valid but not for this sub-account. Check the location ID, or "
        "reconnect and pick the right sub-account.",
    ),
    "not_found": (
        "Not found",
        "The account was not found: check the store or location ID and the store URL.",
    ),
    "unreachable": (
        "Unreachable host",
        "No answer from the provider's server. Check the URL; if it is the sandbox, start it "
        "with `make run` (or `python manage.py sandbox`).",
    ),
    "server_error": ("Provider error", "The provider's server failed. Try again in a minute."),
    "rate_limited": (
        "Rate limited",
        "The provider says too many requests were sent. Wait a moment and test again.",
    ),
    "blocked_address": (
        "Address not allowed",
        "That address is on a private network, which ContactBridge does not call.",
    ),
    "config": ("Setup problem", "Something required is missing or malformed in the settings."),
    "rejected": ("Request rejected", "The provider rejected the request as sent."),
    "internal": ("Unexpected error", "ContactBridge could not complete the check."),
}


def _classify(error: IntegrationError) -> str:
    text = str(error).lower()
    if isinstance(error, MissingScopeError):
        return "missing_scope"
    if error.status == 403 and "location" in text:
        return "wrong_location"  # HighLevel: a valid token for another sub-account
    if isinstance(error, AuthError):
        return "bad_credentials"
    if isinstance(error, RateLimitedError):
        return "rate_limited"
    if isinstance(error, TransientError):
        return "server_error" if error.status else "unreachable"
    if isinstance(error, BlockedAddressError):
        return "blocked_address"
    if isinstance(error, ConfigError):
        return "config"
    if isinstance(error, NotFoundError):
        return "not_found"
    if isinstance(error, ValidationFailedError):
        return "rejected"
    return "internal" if type(error) is IntegrationError else "rejected"


def build_client(connection: Connection, **options):
    """The provider's API client; every client takes transport options."""
    return get_provider(connection.provider).client(connection, **options)


def connection_check(*, connection: Connection) -> CheckResult:
    started = time.monotonic()
    try:
        client = build_client(connection, **CHECK_TRANSPORT_OPTIONS)
        account = client.check()
    except Exception as error:
        if not isinstance(error, IntegrationError):
            # A bug, not the provider's answer: keep the traceback for the logs.
            logger.exception("Checking connection %s failed unexpectedly", connection.pk)
            error = IntegrationError(f"{type(error).__name__}: {error}")
        result = CheckResult(
            ok=False,
            latency_ms=_since(started),
            failure=_classify(error),
            message=str(error),
            status=error.status,
        )
    else:
        details = dict(account.details or {})
        scopes = details.get("scopes") or []
        result = CheckResult(
            ok=True,
            latency_ms=_since(started),
            account_name=account.name,
            account_id=account.account_id,
            scopes=scopes.split() if isinstance(scopes, str) else list(scopes),
            details={k: v for k, v in details.items() if k != "scopes"},
        )
    _record(connection, result)
    return result


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


@transaction.atomic
def _record(connection: Connection, result: CheckResult) -> None:
    # Re-read under a lock: the check may have refreshed and saved the token meanwhile.
    locked = Connection.objects.select_for_update().get(pk=connection.pk)
    locked.last_tested_at = timezone.now()
    if result.ok:
        locked.last_error = ""
        locked.settings = {
            **locked.settings,
            "account_name": result.account_name,
            "account_id": result.account_id,
        }
        if result.scopes and get_provider(locked.provider).scopes:
            locked.scopes = result.scopes
        new_status = Connection.Status.CONNECTED
    else:
        locked.last_error = f"{result.failure_label}: {result.message}"
        auth_problem = result.failure in ("bad_credentials", "missing_scope", "wrong_location")
        new_status = (
            Connection.Status.NEEDS_RECONNECT if auth_problem else Connection.Status.FAILING
        )
    if locked.status != Connection.Status.DISABLED:
        locked.status = new_status
    locked.save()
    for name in ("last_tested_at", "last_error", "settings", "scopes", "status"):
        setattr(connection, name, getattr(locked, name))
    connection.credentials_encrypted = locked.credentials_encrypted
    connection.token_expires_at = locked.token_expires_at
