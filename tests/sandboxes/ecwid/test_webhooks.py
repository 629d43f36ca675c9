"""Webhooks out: one thin event per change, signed over `eventCreated.eventId` with the
app's client_secret, `?eventtype=` (lower case) on the URL, retried on failure."""

import base64
import hashlib
import hmac
import json
import time

import pytest

from tests.sandboxes.ecwid.conftest import unique_email
from tests.sandboxes.support import WebhookReceiver


class Receiver(WebhookReceiver):
    """Records (path, headers, raw body); answers `fail_first` 500s before 200s."""

    path = "/hooks/ecwid"

    def record(self, path: str, headers, body: bytes):
        return path, dict(headers.items()), body


@pytest.fixture
def receiver(control):
    receiver = Receiver()
    control.set(webhook_url=receiver.url, webhook_base_delay_ms=50, webhook_max_delay_ms=100)
    yield receiver
    receiver.close()


def _signature(secret: str, body: dict) -> str:
    message = f"{body['eventCreated']}.{body['eventId']}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def test_an_api_change_sends_a_signed_thin_event(api, creds, receiver):
    email = unique_email()
    customer_id = api.post("/customers", json={"email": email}).json()["id"]
    path, headers, raw = receiver.wait_for(1)[0]
    body = json.loads(raw)
    assert path == "/hooks/ecwid?eventtype=customer.created"
    assert set(body) == {"eventId", "eventCreated", "storeId", "entityId", "eventType", "data"}
    assert body["storeId"] == creds["store_id"] and body["entityId"] == customer_id
    assert body["eventType"] == "customer.created"
    assert body["data"] == {"customerEmail": email}
    assert abs(body["eventCreated"] - time.time()) < 5
    assert headers["X-Ecwid-Webhook-Signature"] == _signature(creds["client_secret"], body)
    # The token is not the key: Ecwid signs with the app's client_secret only.
    assert headers["X-Ecwid-Webhook-Signature"] != _signature(creds["secret_token"], body)


def test_admin_changes_fire_created_updated_deleted(control, receiver):
    created = control.admin("POST", json={"email": unique_email()})
    assert created.status_code == 200
    customer_id = created.json()["id"]
    assert control.admin("PUT", f"/{customer_id}", json={"lang": "fr"}).json() == {"updateCount": 1}
    assert control.admin("DELETE", f"/{customer_id}").json() == {"deleteCount": 1}
    events = [json.loads(raw) for _, _, raw in receiver.wait_for(3)]
    assert [e["eventType"] for e in events] == [
        "customer.created",
        "customer.updated",
        "customer.deleted",
    ]
    assert {e["entityId"] for e in events} == {customer_id}
    assert len({e["eventId"] for e in events}) == 3


def test_an_admin_change_can_skip_its_webhook(control, receiver, api):
    customer_id = control.admin(
        "POST", params={"webhooks": "false"}, json={"email": unique_email()}
    )
    assert api.get(f"/customers/{customer_id.json()['id']}").status_code == 200
    control.wait_until_settled()  # nothing queued: nothing can still arrive
    assert receiver.received == []


def test_group_changes_send_customer_group_events(api, receiver):
    group_id = api.post("/customer_groups", json={"name": "Club"}).json()["id"]
    _, _, raw = receiver.wait_for(1)[0]
    assert json.loads(raw)["eventType"] == "customer_group.created"
    assert json.loads(raw)["entityId"] == group_id


def test_a_failed_delivery_is_retried_with_the_same_event(control, api):
    receiver = Receiver(fail_first=2)
    control.set(webhook_url=receiver.url, webhook_base_delay_ms=20, webhook_max_delay_ms=50)
    try:
        api.post("/customers", json={"email": unique_email()})
        deliveries = receiver.wait_for(3)
        assert len({raw for _, _, raw in deliveries}) == 1
        control.wait_until_settled()  # the third answer is logged once it reached the sandbox
        log = control.webhooks(type="customer.created")
        assert [a["status"] for a in log[-1]["attempts"]] == [500, 500, 200]
        assert log[-1]["status"] == "delivered"
    finally:
        receiver.close()


def test_without_a_webhook_url_nothing_is_sent_but_it_is_counted(api, control):
    api.post("/customers", json={"email": unique_email()})
    assert control.stats()["webhooks_unrouted"] == 1
