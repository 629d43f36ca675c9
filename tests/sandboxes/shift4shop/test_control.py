"""`/_control`: admin-side changes, "Customer New" webhooks, injected faults, persistence."""

import json

import requests

from sandboxes.kit.server import SandboxOptions
from tests.integrations.providers.shift4shop.conftest import start
from tests.sandboxes.shift4shop.conftest import Api, auth_headers
from tests.sandboxes.support import TIMEOUT


def _wait(receiver, count: int, timeout: float = 5.0) -> list[tuple[dict, bytes]]:
    return receiver.wait_for(count, timeout)


def test_an_admin_created_customer_is_posted_unsigned_as_an_array(api, control, receiver):
    control.set(webhook_url=receiver.url)
    customer = control.add_customer(BillingFirstName="Webhook")
    [(headers, body)] = _wait(receiver, 1)
    assert json.loads(body) == [customer]
    assert headers["content-type"] == "application/json"
    assert not [name for name in headers if "signature" in name or "hmac" in name]
    assert api.get(f"/Customers/{customer['CustomerID']}").json() == [customer]
    [delivery] = control.webhooks(type="Customer New")
    assert delivery["status"] == "delivered"


def test_api_creates_fire_it_too_unless_the_knob_says_not(api, control, receiver):
    control.set(webhook_url=receiver.url)
    api.post("/Customers", json={"Email": "hook.one@example.org", "Password": "pw"})
    assert len(_wait(receiver, 1)) == 1
    control.set(webhook_on_api_create=False, webhook_payload_array=False)
    api.post("/Customers", json={"Email": "hook.two@example.org", "Password": "pw"})
    customer = control.add_customer()
    received = _wait(receiver, 2)
    assert json.loads(received[1][1]) == customer  # the object itself, no array
    control.wait_until_settled()  # nothing queued: no third delivery can come
    assert len(receiver.received) == 2


def test_updates_and_deletes_send_nothing_and_a_missed_create_can_be_simulated(control, receiver):
    control.set(webhook_url=receiver.url)
    customer = control.add_customer(params={"webhooks": "false"})
    control.admin("PUT", f"/{customer['CustomerID']}", {"Comments": "changed"})
    control.admin("DELETE", f"/{customer['CustomerID']}")
    control.wait_until_settled()
    assert receiver.received == []
    assert control.stats()["webhooks_suppressed"] == 1


def test_registered_webhooks_get_customer_new_by_event_type(api, control, receiver):
    created = api.post(
        "/Webhooks",
        json={"Name": "CRM", "Url": receiver.url, "EventType": 2, "Format": "JSON"},
    )
    assert created.status_code == 201 and created.json()[0]["Status"] == "201"
    other = api.post("/Webhooks", json={"Url": receiver.url + "/orders", "EventType": 1})
    assert [h["EventType"] for h in api.get("/Webhooks").json()] == [2, 1]
    customer = control.add_customer()
    [(_, body)] = _wait(receiver, 1)
    assert json.loads(body) == [customer]
    control.wait_until_settled()  # the orders hook got nothing, and nothing is on its way
    assert len(receiver.received) == 1
    for entry in (created.json()[0], other.json()[0]):
        assert api.delete(f"/Webhooks/{entry['Value']}").status_code == 200
    assert api.post("/Webhooks", json={"Url": "ftp://x", "EventType": 2}).status_code == 400


def test_without_any_url_the_event_is_counted_as_unrouted(control):
    control.add_customer()
    assert control.stats()["webhooks_unrouted"] == 1


def test_admin_changes_are_validated(control):
    response = requests.post(control.url + "/customers", json={"Email": "x"}, timeout=TIMEOUT)
    assert response.status_code == 422 and "Password is required." in response.json()["errors"]


def test_a_time_zone_that_does_not_exist_is_refused(control):
    response = requests.post(control.url, json={"store_timezone": "Mars/Olympus"}, timeout=5)
    assert response.status_code == 422 and "IANA" in response.json()["errors"][0]
    assert control.state()["knobs"]["store_timezone"] == "America/New_York"


def test_injected_errors_are_status_arrays(api, control):
    control.set(error_rate=1.0, error_status=503)
    response = api.get("/Customers")
    assert response.status_code == 503
    assert response.json()[0]["Status"] == "503"
    assert control.stats()["errors_injected"] == 1


def test_control_is_refused_outside_test_mode(tmp_path):
    app, stop_server = start(SandboxOptions(seed=1, test_mode=False))
    try:
        for path in ("/_control", "/_control/customers"):
            response = requests.post(app.base_url + path, json={}, timeout=TIMEOUT)
            assert response.status_code == 403
    finally:
        stop_server()


def test_state_survives_a_restart_with_a_state_dir(tmp_path):
    options = SandboxOptions(state_dir=tmp_path, seed=5, random_seed=9)
    app, stop_server = start(options, rate_limit=1000)
    described = app.describe()
    api = Api(described["api_url"], auth_headers(described))
    created = api.post("/Customers", json={"Email": "kept@example.org", "Password": "pw"})
    new_id = created.json()[0]["Value"]
    api.delete("/Customers/2")
    stop_server()

    app, stop_server = start(options, rate_limit=1000)
    try:
        again = app.describe()
        assert {k: again[k] for k in ("private_key", "token", "secure_url")} == {
            k: described[k] for k in ("private_key", "token", "secure_url")
        }
        api = Api(again["api_url"], auth_headers(again))
        ids = [r["CustomerID"] for r in api.get("/Customers").json()]
        assert ids == [1, 3, 4, 5, int(new_id)]  # not seeded again; the deletion kept
        third = api.post("/Customers", json={"Email": "next@example.org", "Password": "pw"})
        assert int(third.json()[0]["Value"]) == int(new_id) + 1
    finally:
        stop_server()
