"""Orderspace's rate limit and failures, handled without failing the caller."""

import time

import pytest

from integrations.errors import NotFoundError, TransientError
from integrations.providers.orderspace.client import OrderspaceClient
from integrations.ratelimit import Limit


@pytest.fixture
def slow_client(connection):
    """Real sleeps, and the client's budget as low as the sandbox's: 4 requests / 0.5 s."""
    return OrderspaceClient(connection, limit=Limit(4, 0.5))


def test_the_budget_keeps_requests_under_the_limit(slow_client, control):
    control.set(rate_limit=4, rate_window_seconds=0.5)

    ids = [c.id for c, _ in zip(slow_client.iter_customers(page_size=5), range(60), strict=False)]

    assert len(set(ids)) == 60
    assert control.stats().get("rate_limited", 0) == 0


def test_a_429_blocks_then_retries_without_failing(slow_client, control):
    slow_client.check()  # token bought first
    control.set(rate_limit_storm=2)

    started = time.monotonic()
    info = slow_client.check()

    assert info.name
    assert control.stats()["rate_limited"] == 2
    # No Retry-After from Orderspace: each refusal waits out the whole window.
    assert time.monotonic() - started >= 2 * 0.5


def test_injected_5xx_are_retried(client, control):
    client.check()
    control.set(error_rate=0.5)

    ids = [c.id for c in client.iter_customers(page_size=20)]

    stats = control.stats()
    assert len(ids) == len(set(ids)) == control.state()["customers"]
    assert stats["errors_injected"] >= 1
    assert stats["responses_by_status"]["500"] == stats["errors_injected"]


def test_a_lasting_5xx_gives_up_after_five_tries(client, control):
    client.check()
    control.set(error_rate=1.0, error_status=502)

    with pytest.raises(TransientError):
        client.check()

    assert control.stats()["responses_by_status"]["502"] == 5


def test_a_4xx_is_not_retried(client, control):
    with pytest.raises(NotFoundError):
        client.get_customer("cu_missing0")

    assert control.stats()["requests_by_route"]["GET /v1/customers/{id}"] == 1


def test_a_failing_token_endpoint_is_tried_again(connection, control):
    """The token purchase is tried once per attempt of the call that needs it, with the
    call's backoff: as many tries as the call has, not attempts x an inner retry."""
    backoffs = []
    client = OrderspaceClient(connection, sleep=backoffs.append, max_attempts=3)
    control.set(error_rate=1.0)

    with pytest.raises(TransientError):
        client.check()

    assert control.stats()["requests_by_route"] == {"POST /oauth/token": 3}
    assert len(backoffs) == 2


def test_a_token_endpoint_that_recovers_lets_the_call_succeed(connection, control):
    # The first backoff heals the token endpoint: the second attempt buys the token.
    client = OrderspaceClient(connection, sleep=lambda seconds: control.set(error_rate=0.0))
    control.set(error_rate=1.0)

    assert client.check().name
    assert control.stats()["requests_by_route"]["POST /oauth/token"] == 2
