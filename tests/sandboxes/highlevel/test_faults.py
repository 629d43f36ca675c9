"""Fault injection and counters through /highlevel/_control."""

import time

import pytest
import requests

from sandboxes.kit.server import SandboxOptions
from tests.sandboxes.highlevel.conftest import start
from tests.sandboxes.support import TIMEOUT


def _list(api, location):
    return api.get("/contacts/", params={"locationId": location, "limit": 1})


def test_error_rate_one_answers_the_configured_5xx(api, control, location):
    control.set(error_rate=1.0)
    response = _list(api, location)
    assert response.status_code == 500
    assert (
        response.json()["statusCode"] == 500
        and response.json()["message"] == "Internal Server Error"
    )
    assert "X-RateLimit-Remaining" in response.headers
    control.set(error_status=503)
    assert _list(api, location).status_code == 503
    assert control.stats()["errors_injected"] == 2


def test_faults_are_deterministic(api, control, location):
    def run() -> list[int]:
        control.set(error_rate=0.5)
        statuses = [_list(api, location).status_code for _ in range(12)]
        control.reset()
        return statuses

    first, second = run(), run()
    assert first == second
    assert 200 in first and 500 in first


def test_latency(api, control, location):
    control.set(latency_ms=150)
    started = time.monotonic()
    assert _list(api, location).status_code == 200
    assert time.monotonic() - started >= 0.15


def test_a_timeout_stalls_past_the_client_but_the_write_still_happens(api, control, location):
    control.set(timeout_rate=1.0, timeout_ms=700)
    email = "timed.out.write@example.org"
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.post("/contacts/", json={"locationId": location, "email": email}, timeout=0.2)
    control.set(timeout_rate=0.0)
    # The stalled request finishes its write after the stall: wait for it, not a fixed time.
    deadline = time.monotonic() + 5
    while True:
        params = {"locationId": location, "email": email}
        found = api.get("/contacts/search/duplicate", params=params).json()["contact"]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert found and found["email"] == email
    assert control.stats()["timeouts_injected"] == 1


def test_the_token_endpoint_can_fail_too(creds, control):
    control.set(error_rate=1.0, error_status=502)
    response = requests.post(creds["token_url"], data={}, timeout=TIMEOUT)
    assert response.status_code == 502 and response.json()["traceId"]


def test_counters_per_route_and_status(api, control, location, new_contact):
    contact_id = new_contact()["id"]
    control.reset()
    _list(api, location)
    api.get(f"/contacts/{contact_id}")
    api.get(f"/contacts/{contact_id}")
    api.get("/contacts/noSuchContact0000001")
    stats = control.stats()
    assert stats["requests_by_route"] == {"GET /contacts/": 1, "GET /contacts/{contactId}": 3}
    assert stats["responses_by_status"] == {"200": 3, "400": 1}
    assert stats["requests_total"] == 4


def test_knobs_are_checked(control):
    for body in (
        {"error_rate": 2},
        {"no_such_knob": 1},
        {"create_status": 202},
        {"webhook_url": "ftp://x"},
    ):
        response = requests.post(control.url, json=body, timeout=TIMEOUT)
        assert response.status_code == 422, body
    assert control.state()["config"]["error_rate"] == 0.0


def test_reset_restores_the_instance_defaults(control):
    control.set(latency_ms=5, burst_limit=3, duplicate_priority=["phone"], rate_limit_storm=4)
    control.reset()
    state = control.state()
    assert state["config"]["latency_ms"] == 0 and state["config"]["duplicate_priority"] == [
        "email",
        "phone",
    ]
    assert state["config"]["burst_limit"] == 100_000  # this suite's instance default
    assert state["rate_limit_storm_remaining"] == 0 and state["stats"]["requests_total"] == 0


def test_the_control_endpoint_is_refused_outside_test_mode():
    app, stop_server = start(options=SandboxOptions(seed=0, random_seed=2, test_mode=False))
    try:
        response = requests.get(app.base_url + "/_control", timeout=TIMEOUT)
        assert response.status_code == 403
        assert (
            requests.post(
                app.base_url + "/_control", json={"error_rate": 1}, timeout=TIMEOUT
            ).status_code
            == 403
        )
        assert requests.post(app.base_url + "/_control/reset", timeout=TIMEOUT).status_code == 403
    finally:
        stop_server()
