"""The host's throttle (a knob: CS-Cart documents none), injected errors, and `/_control`."""

import time

import requests

from tests.sandboxes.support import TIMEOUT


def _customers(api):
    return api.get("/users", params={"user_type": "C", "items_per_page": 1})


def test_no_rate_limit_by_default(api, control):
    for _ in range(30):
        assert _customers(api).status_code == 200
    assert control.stats().get("rate_limited", 0) == 0


def test_the_throttle_refuses_with_429_retry_after_and_an_html_page(api, control):
    control.set(rate_limit=3, rate_window_s=1.0)
    statuses = [_customers(api).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = _customers(api)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["Content-Type"].startswith("text/html")
    time.sleep(1.05)
    assert _customers(api).status_code == 200
    assert control.stats()["rate_limited"] == 2


def test_the_refusal_status_and_retry_after_are_knobs(api, control):
    control.set(
        rate_limit=1, rate_window_s=5.0, rate_limit_status=509, rate_limit_retry_after=False
    )
    assert _customers(api).status_code == 200
    refused = _customers(api)
    assert refused.status_code == 509 and "Retry-After" not in refused.headers


def test_a_storm_refuses_the_next_requests_even_without_a_limit(api, control):
    control.set(rate_limit_storm=2)
    assert [_customers(api).status_code for _ in range(3)] == [429, 429, 200]


def test_injected_errors_use_cs_carts_error_body(api, control):
    control.set(error_rate=1.0, error_status=503)
    response = _customers(api)
    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable", "status": 503}
    assert control.stats()["errors_injected"] == 1


def test_bad_knobs_are_refused_and_reset_restores_defaults(control):
    response = requests.post(control.url, json={"rate_limit": -1, "nope": 1}, timeout=TIMEOUT)
    assert response.status_code == 422
    control.set(default_items_per_page=3)
    control.reset()
    assert control.state()["knobs"]["default_items_per_page"] == 10


def test_store_side_changes_show_up_in_the_api_and_send_nothing(api, control):
    created = control.act(
        "store_create_user", {"email": "admin.made@example.org", "firstname": "A"}
    )
    user_id = str(created["user_id"])
    assert api.get(f"/users/{user_id}").json()["firstname"] == "A"
    control.act("store_update_user", {"user_id": user_id, "firstname": "B"})
    assert api.get(f"/users/{user_id}").json()["firstname"] == "B"
    control.act("store_delete_user", user_id)
    assert api.get(f"/users/{user_id}").json()["users"] == []
    # CS-Cart has no user webhooks: nothing was queued or attempted.
    deliveries = requests.get(control.url + "/webhooks", timeout=TIMEOUT).json()["deliveries"]
    assert deliveries == []
    assert "webhook_attempts" not in control.stats()


def test_control_is_refused_outside_test_mode():
    from sandboxes.kit.server import SandboxOptions
    from tests.integrations.providers.cscart.conftest import start

    app, stop_server = start(options=SandboxOptions(seed=1, test_mode=False))
    try:
        response = requests.get(app.describe()["control_url"], timeout=TIMEOUT)
        assert response.status_code == 403
    finally:
        stop_server()
