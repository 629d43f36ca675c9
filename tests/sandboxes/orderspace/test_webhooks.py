"""Webhook subscriptions and deliveries: JSON arrays of ≤50 events, HMAC-signed, retried."""

import base64
import hashlib
import hmac
import json

import pytest

from tests.integrations.providers.orderspace.conftest import new_fields
from tests.sandboxes.support import WebhookReceiver


class Receiver(WebhookReceiver):
    """Records (headers, raw body) and answers with the next queued status (else 200)."""

    def record(self, path: str, headers, body: bytes):
        return dict(headers), body

    def events(self) -> list[dict]:
        return [event for batch in self.payloads() for event in batch]


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def subscription(api, control, receiver):
    control.set(require_https_webhooks=False)
    response = api.post(
        "/webhooks",
        json={
            "webhook": {
                "endpoint": receiver.url,
                "events": ["customer.created", "customer.updated", "customer.deleted"],
            }
        },
    )
    assert response.status_code == 200, response.text
    webhook = response.json()["webhook"]
    yield webhook
    api.delete(f"/webhooks/{webhook['id']}")


def signed_by(key: str, headers: dict, body: bytes) -> bool:
    expected = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
    return headers["X-Orderspace-Signature"] == expected


def test_endpoints_must_be_https_and_events_known(api):
    plain = api.post(
        "/webhooks", json={"webhook": {"endpoint": "http://x.test/h", "events": ["order.created"]}}
    )
    unknown = api.post(
        "/webhooks", json={"webhook": {"endpoint": "https://x.test/h", "events": ["contact.made"]}}
    )

    assert plain.status_code == 422
    assert plain.json() == {"message": "Validation failed: Endpoint must be a https url"}
    assert unknown.status_code == 422


def test_webhook_crud_returns_a_signing_key(api):
    created = api.post(
        "/webhooks",
        json={"webhook": {"endpoint": "https://x.test/h", "events": ["customer.created"]}},
    ).json()["webhook"]
    updated = api.put(
        f"/webhooks/{created['id']}", json={"webhook": {"events": ["customer.deleted"]}}
    ).json()["webhook"]
    listed = api.get("/webhooks").json()["webhooks"]
    deleted = api.delete(f"/webhooks/{created['id']}").json()

    assert created["id"].startswith("wh_")
    assert len(created["signing_key"]) == 40
    assert updated["events"] == ["customer.deleted"]
    assert updated["signing_key"] == created["signing_key"]
    assert created["id"] in {w["id"] for w in listed}
    assert deleted == {"webhook": {"id": created["id"], "deleted": True}}
    assert api.get(f"/webhooks/{created['id']}").status_code == 404


def test_an_api_create_is_delivered_as_a_signed_array(api, create, subscription, receiver):
    customer = create(new_fields())

    headers, body = receiver.wait_for(1)[0]

    assert signed_by(subscription["signing_key"], headers, body)
    assert json.loads(body) == [{"event": "customer.created", "data": {"customer": customer}}]


def test_admin_changes_fire_created_updated_and_deleted(control, subscription, receiver):
    created = control.act("admin_create_customer", new_fields())
    control.act("admin_update_customer", {"id": created["id"], "phone": "0117 496 0000"})
    control.act("admin_delete_customer", created["id"])

    receiver.wait_for(1)
    control.wait_until_settled()  # every event delivered, none still batching
    events = receiver.events()

    assert [e["event"] for e in events] == [
        "customer.created",
        "customer.updated",
        "customer.deleted",
    ]
    assert events[1]["data"]["customer"]["phone"] == "0117 496 0000"
    assert events[2]["data"] == {
        "customer": {"id": created["id"], "company_name": created["company_name"], "deleted": True}
    }


def test_events_close_together_travel_in_one_delivery(control, subscription, receiver):
    control.set(webhook_batch_ms=300)
    for _ in range(3):
        control.act("admin_create_customer", new_fields())

    deliveries = receiver.wait_for(1)
    control.wait_until_settled()  # the batch has left: a second delivery could not follow

    assert len(receiver.received) == 1
    assert len(json.loads(deliveries[0][1])) == 3
    assert control.webhooks()[0]["type"] == "customer.created"


def test_a_full_batch_leaves_at_once(control, subscription, receiver):
    control.set(webhook_batch_ms=5000, webhook_batch_max=2)
    created = control.act("admin_create_customer", new_fields())
    control.act("admin_delete_customer", created["id"])

    delivery = receiver.wait_for(1, timeout=2)[0]

    assert [e["event"] for e in json.loads(delivery[1])] == [
        "customer.created",
        "customer.deleted",
    ]
    assert control.webhooks()[0]["type"] == "mixed"


def test_a_refused_delivery_is_retried_with_the_same_body(control, subscription, receiver):
    control.set(webhook_base_delay_ms=20)
    receiver.statuses = [500, 503]
    control.act("admin_create_customer", new_fields())

    deliveries = receiver.wait_for(3)
    control.wait_until_settled()  # the sandbox logs an attempt once it has been answered

    assert len({body for _, body in deliveries}) == 1
    assert control.webhooks()[0]["status"] == "delivered"
    assert control.stats()["webhook_retries"] == 2


def test_the_admin_webhook_goes_to_webhook_url_signed_with_the_described_key(
    described, control, receiver
):
    control.set(webhook_url=receiver.url)
    control.act("admin_create_customer", new_fields())

    headers, body = receiver.wait_for(1)[0]

    assert signed_by(described["webhook_signing_key"], headers, body)


def test_nothing_is_sent_without_subscribers(control):
    control.act("admin_create_customer", new_fields())

    assert control.stats()["webhooks_unrouted"] == 1
