"""The transport against Cin7's refusals: the 503 rate limit, 429, injected 5xx, and 4xx
that must not be retried."""

import time

import pytest

from integrations.errors import TransientError, ValidationFailedError
from integrations.providers.cin7.schemas import CustomerInput
from integrations.ratelimit import Limit


def test_a_503_rate_limit_refusal_is_waited_out_not_failed(cin7_connection, make_client, control):
    control.set(rate_limit_storm=2)
    client = make_client(cin7_connection, limit=Limit(10_000, 0.3))
    started = time.monotonic()
    info = client.check()
    assert info.name
    stats = control.stats()
    assert stats["rate_limited"] == 2 and stats["requests_by_route"]["GET /me"] == 3
    assert time.monotonic() - started >= 0.5  # it waited for the window, twice


def test_429_is_a_rate_limit_refusal_too(cin7_connection, make_client, control):
    control.set(
        rate_limit_storm=1,
        rate_limit_status=429,
        rate_limit_retry_after=True,
        rate_limit_window_s=1.0,
    )
    started = time.monotonic()
    assert make_client(cin7_connection, limit=Limit(10_000, 0.2)).check().name
    assert control.stats()["rate_limited"] == 1
    assert time.monotonic() - started >= 1.0  # Retry-After (1 s) beats our own 0.2 s guess


def test_a_lowered_limit_is_survived_when_cin7_gives_no_hint(
    cin7_connection, make_client, control, api
):
    expected = [
        c["ID"] for c in api.customers(Limit=1000, IncludeDeprecated="true")["CustomerList"]
    ]
    control.set(rate_limit=4, rate_limit_window_s=0.5, rate_limit_headers=False)
    client = make_client(cin7_connection, limit=Limit(1_000, 0.5))  # believes it has room
    seen = [c.ID for c in client.iter_customers(page_size=10)]
    assert seen == expected
    assert control.stats()["rate_limited"] > 0


def test_x_ratelimit_remaining_keeps_the_client_under_the_limit(
    cin7_connection, make_client, control, api
):
    control.set(rate_limit=4, rate_limit_window_s=0.5)
    client = make_client(cin7_connection, limit=Limit(4, 0.5))
    assert len(list(client.iter_customers(page_size=10))) >= 60
    assert control.stats().get("rate_limited", 0) == 0


def test_injected_5xx_are_retried(cin7_connection, make_client, control):
    control.set(error_rate=0.5, error_status=503)
    client = make_client(cin7_connection, sleep=lambda seconds: None)
    for _ in range(6):
        assert client.check().name
    stats = control.stats()
    assert stats["errors_injected"] > 0
    assert stats["requests_by_route"]["GET /me"] == 6 + stats["errors_injected"]
    assert stats.get("rate_limited", 0) == 0  # a plain 503 is not mistaken for the limit


def test_a_5xx_that_persists_fails_after_the_last_try(cin7_connection, make_client, control):
    control.set(error_rate=1.0, error_status=500)
    client = make_client(cin7_connection, sleep=lambda seconds: None, max_attempts=3)
    with pytest.raises(TransientError):
        client.check()
    assert control.stats()["requests_by_route"]["GET /me"] == 3


def test_a_4xx_is_not_retried(cin7_connection, make_client, control):
    client = make_client(cin7_connection, sleep=lambda seconds: None)
    with pytest.raises(ValidationFailedError, match="PaymentTerm"):
        client.create_customer(CustomerInput(Name="Bad Terms Co", PaymentTerm="Whenever"))
    assert control.stats()["requests_by_route"]["POST /customer"] == 1
