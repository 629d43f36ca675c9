"""The account's rate limit (503 by default), injected faults and the control panel."""

import time

import requests

from tests.sandboxes.support import TIMEOUT


def test_the_61st_call_in_a_minute_is_refused_with_503(api, control):
    control.set(rate_limit=3, rate_limit_window_s=1.0)
    statuses = [api.get("/me").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 503]
    refused = api.get("/me")
    assert refused.json() == [
        {"ErrorCode": 503, "Exception": "You reached 3 calls per minute API limit"}
    ]
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" not in refused.headers
    time.sleep(1.05)
    assert api.get("/me").status_code == 200
    assert control.stats()["rate_limited"] == 2


def test_the_refusal_status_and_headers_are_knobs(api, control):
    control.set(rate_limit=1, rate_limit_status=429, rate_limit_retry_after=True)
    api.get("/me")
    refused = api.get("/me")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    control.set(rate_limit_headers=False)
    assert "X-RateLimit-Remaining" not in api.get("/me").headers


def test_a_storm_refuses_the_next_calls(api, control):
    control.set(rate_limit_storm=2)
    assert [api.get("/me").status_code for _ in range(3)] == [503, 503, 200]


def test_injected_errors_use_the_error_body(api, control):
    control.set(error_rate=1.0, error_status=503)
    response = api.get("/customer")
    assert response.status_code == 503
    assert response.json() == [{"ErrorCode": 503, "Exception": "Service Unavailable"}]
    control.set(error_format="object", error_status=500)
    assert api.get("/customer").json() == {"ErrorCode": 500, "Exception": "Internal Server Error"}


def test_knob_values_are_checked(control):
    for change in ({"list_order": "random"}, {"rate_limit_status": 418}, {"rate_limit": 0}):
        response = requests.post(control.url, json=change, timeout=TIMEOUT)
        assert response.status_code == 422, change
    response = requests.post(control.url, json={"no_such_knob": 1}, timeout=TIMEOUT)
    assert response.status_code == 422


def test_reset_restores_the_instance_defaults(control):
    control.set(rate_limit=2, list_order="created")
    control.reset()
    knobs = control.state()["knobs"]
    assert knobs["rate_limit"] == 100_000 and knobs["list_order"] == "name"
