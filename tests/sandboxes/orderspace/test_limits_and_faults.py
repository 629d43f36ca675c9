"""The 60/minute rate limit and its refusal, injected faults, and the control endpoint."""

import time

import pytest
import requests

from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from sandboxes.orderspace import OrderspaceSandbox
from tests.sandboxes.orderspace.conftest import get_token
from tests.sandboxes.support import TIMEOUT


def test_past_the_limit_requests_get_429_retry_later_without_headers(api, control):
    control.set(rate_limit=3, rate_window_seconds=1)

    answers = [api.get("/customers", params={"limit": 1}) for _ in range(4)]

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[3].text == "Retry later\n"
    assert "Retry-After" not in answers[3].headers
    assert control.stats()["rate_limited"] == 1
    time.sleep(1.05)
    assert api.get("/customers", params={"limit": 1}).status_code == 200


def test_retry_after_is_a_knob(api, control):
    control.set(rate_limit=1, rate_window_seconds=30, rate_limit_retry_after=True)

    api.get("/customers", params={"limit": 1})
    refused = api.get("/customers", params={"limit": 1})

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"


def test_the_token_endpoint_is_not_rate_limited(described, control):
    control.set(rate_limit=1, rate_window_seconds=30)

    assert [get_token(described).status_code for _ in range(3)] == [200, 200, 200]


def test_a_storm_refuses_the_next_n_requests(api, control):
    control.set(rate_limit_storm=2)

    statuses = [api.get("/customers", params={"limit": 1}).status_code for _ in range(3)]

    assert statuses == [429, 429, 200]


def test_injected_errors_use_the_configured_status(api, control):
    control.set(error_rate=1.0, error_status=503)

    response = api.get("/customers", params={"limit": 1})

    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable"}
    assert control.stats()["errors_injected"] == 1


def test_bad_knob_values_are_refused_whole(control):
    response = requests.post(
        control.url, json={"deleted_cursor": "sideways", "rate_limit": 5}, timeout=TIMEOUT
    )

    assert response.status_code == 422
    assert "deleted_cursor must be one of not_found, continue" in response.json()["errors"]
    assert control.state()["knobs"]["rate_limit"] == 100_000


def test_reset_restores_this_instances_defaults(control):
    control.set(rate_limit=2, created_field="both")
    control.reset()

    knobs = control.state()["knobs"]
    assert knobs["rate_limit"] == 100_000
    assert knobs["created_field"] == "created"


@pytest.fixture
def production_like():
    app = OrderspaceSandbox(SandboxOptions(seed=1, test_mode=False))
    httpd, server, _ = start_in_thread([app])
    yield app
    stop(httpd, server)


def test_control_and_describe_are_refused_outside_test_mode(production_like):
    base = production_like.base_url

    assert requests.get(base + "/_control", timeout=TIMEOUT).status_code == 403
    assert requests.get(base + "/_describe", timeout=TIMEOUT).status_code == 403
