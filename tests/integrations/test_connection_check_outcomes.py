"""Every error a connection check can meet has its own outcome and words for the person."""

import pytest

from integrations import connection_check
from integrations.errors import (
    AuthError,
    BlockedAddressError,
    ConfigError,
    IntegrationError,
    MissingScopeError,
    NotFoundError,
    PermanentError,
    RateLimitedError,
    TransientError,
    ValidationFailedError,
)

CASES = [
    (MissingScopeError("scope contacts.write missing", status=401), "missing_scope"),
    (AuthError("This location is not allowed", status=403), "wrong_location"),
    (AuthError("bad token", status=401), "bad_credentials"),
    (RateLimitedError("slow down", retry_after=3, status=429), "rate_limited"),
    (TransientError("502 from the provider", status=502), "server_error"),
    (TransientError("connection refused"), "unreachable"),
    (BlockedAddressError("10.0.0.1 is private"), "blocked_address"),
    (ConfigError("no store id"), "config"),
    (NotFoundError("no such store", status=404), "not_found"),
    (ValidationFailedError("bad field", status=422), "rejected"),
    (PermanentError("teapot", status=418), "rejected"),
    (IntegrationError("something else"), "internal"),
]


@pytest.mark.parametrize(("error", "outcome"), CASES, ids=[c[1] + "-" for c in CASES])
def test_each_error_has_its_outcome(error, outcome):
    assert connection_check._classify(error) == outcome


def test_every_outcome_has_a_title_and_advice():
    for outcome in {outcome for _, outcome in CASES}:
        title, advice = connection_check.FAILURES[outcome]
        assert title and advice.endswith("."), outcome
        result = connection_check.CheckResult(ok=False, latency_ms=1, failure=outcome)
        assert (result.failure_label, result.hint) == (title, advice)
