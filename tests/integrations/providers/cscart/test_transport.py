"""The request loop as CS-Cart needs it: the host's throttle, retried 5xx, final 4xx."""

import time

import pytest

from integrations.errors import TransientError, ValidationFailedError
from integrations.providers.cscart.client import CsCartClient
from integrations.providers.cscart.schemas import CustomerInput
from integrations.providers.cscart.transport import CsCartTransport
from tests.integrations.providers.cscart.conftest import make_connection


def _customers(client) -> int:
    return sum(1 for _ in client.iter_customers(page_size=10))


def test_a_throttled_store_is_waited_out_without_failing_the_caller(connection, control):
    expected = _customers(CsCartClient(connection))
    control.set(rate_limit=3, rate_window_s=1.0)
    assert _customers(CsCartClient(connection)) == expected
    assert control.stats()["rate_limited"] >= 1


def test_the_connection_can_pace_itself_under_the_hosts_limit(db, creds, control):
    control.set(rate_limit=4, rate_window_s=1.0)
    paced = make_connection(creds, rate_limit_requests=4, rate_limit_interval=1)
    client = CsCartClient(paced)
    assert client.transport.limit.max_requests == 4
    _customers(client)
    assert control.stats().get("rate_limited", 0) == 0


def test_509_without_retry_after_is_a_refusal_too(connection, control):
    control.set(
        rate_limit=2, rate_window_s=1.0, rate_limit_status=509, rate_limit_retry_after=False
    )
    assert _customers(CsCartClient(connection)) > 0
    assert control.stats()["responses_by_status"]["509"] >= 1


def test_injected_5xx_are_retried_with_backoff(connection, control):
    expected = _customers(CsCartClient(connection))
    control.set(error_rate=0.4, error_status=503)
    waits: list[float] = []
    client = CsCartClient(connection, sleep=waits.append)
    assert _customers(client) == expected
    assert control.stats()["errors_injected"] >= 1
    assert len(waits) >= control.stats()["errors_injected"]


def test_a_store_that_keeps_failing_gives_up_after_five_tries(connection, control):
    control.set(error_rate=1.0, error_status=500)
    client = CsCartClient(connection, sleep=lambda seconds: None)
    with pytest.raises(TransientError) as error:
        client.check()
    assert error.value.status == 500
    assert control.stats()["requests_by_route"]["GET /users"] == 5


def test_a_4xx_is_final_and_sent_once(connection, control):
    client = CsCartClient(connection, sleep=lambda seconds: None)
    with pytest.raises(ValidationFailedError, match="e-mail address is invalid"):
        client.create_customer(CustomerInput(email="not-an-address"))
    assert control.stats()["requests_by_route"]["POST /users"] == 1


def test_the_budget_is_one_per_store_whichever_admin_calls(db, creds):
    owner = CsCartTransport(make_connection(creds))
    viewer = CsCartTransport(
        make_connection(
            {**creds, "email": creds["viewer_email"], "api_key": creds["viewer_api_key"]}
        )
    )
    other_store = CsCartTransport(make_connection({**creds, "store_url": "https://other.example"}))
    assert owner.budget_key == viewer.budget_key != other_store.budget_key
    assert creds["api_key"] not in owner.budget_key


def test_a_store_that_stalls_is_a_transient_error_after_the_retries(connection, control, settings):
    settings.INTEGRATIONS_READ_TIMEOUT = 0.3
    control.set(timeout_rate=1.0, timeout_ms=600)
    client = CsCartClient(connection, sleep=lambda seconds: None, max_attempts=2)
    with pytest.raises(TransientError, match="did not answer"):
        client.check()
    deadline = time.monotonic() + 3
    while control.stats().get("timeouts_injected", 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the store finishes the stalled request after we gave up
    assert control.stats()["timeouts_injected"] == 2
