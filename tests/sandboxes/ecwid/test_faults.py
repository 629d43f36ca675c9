"""Rate limit (429 + Retry-After per token), injected errors and `/_control` itself."""

import requests

from sandboxes.ecwid import EcwidSandbox, connection_values
from sandboxes.kit.server import SandboxOptions
from tests.sandboxes.ecwid.conftest import Api
from tests.sandboxes.support import TIMEOUT


def test_the_rate_limit_is_per_token_and_refused_with_retry_after(api, control, creds):
    control.set(rate_limit=3, rate_window_seconds=30)
    statuses = [api.get("/customers").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get("/customers")
    assert refused.json()["errorCode"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    other = Api(creds["api_url"], control.issue_token("read_customers"))
    assert other.get("/customers").status_code == 200  # a different token has its own budget
    assert control.stats()["rate_limited"] == 2


def test_a_storm_refuses_the_next_requests(api, control):
    control.set(rate_limit_storm=2)
    assert [api.get("/profile").status_code for _ in range(3)] == [429, 429, 200]


def test_injected_errors_use_the_configured_status(api, control):
    control.set(error_rate=1.0, error_status=503)
    response = api.get("/customers")
    assert response.status_code == 503 and response.json() == {
        "errorMessage": "Service Unavailable"
    }
    assert control.stats()["errors_injected"] == 1


def test_bad_knobs_are_refused_all_or_nothing(control):
    response = requests.post(control.url, json={"rate_limit": 5, "error_rate": 3}, timeout=TIMEOUT)
    assert response.status_code == 422
    assert control.state()["knobs"]["rate_limit"] == 100_000


def test_reset_restores_this_instances_defaults(control):
    control.set(rate_limit=1, max_limit=5)
    control.reset()
    knobs = control.state()["knobs"]
    assert knobs["rate_limit"] == 100_000 and knobs["max_limit"] == 100


def test_control_is_refused_outside_test_mode():
    app = EcwidSandbox(SandboxOptions(test_mode=False))
    from sandboxes.kit.server import start_in_thread, stop

    httpd, server, _ = start_in_thread([app])
    try:
        for method, path in (("GET", "/_control"), ("POST", "/_control/customers")):
            response = requests.request(method, app.base_url + path, json={}, timeout=TIMEOUT)
            assert response.status_code == 403
    finally:
        stop(httpd, server)


def test_connection_values_turn_describe_into_credentials_and_settings(creds):
    credentials, settings = connection_values(creds)
    assert credentials == {
        "secret_token": creds["secret_token"],
        "client_secret": creds["client_secret"],
    }
    assert settings == {"store_id": str(creds["store_id"]), "base_url": creds["base_url"]}
    assert creds["api_url"] == f"{creds['base_url']}/api/v3/{creds['store_id']}"
