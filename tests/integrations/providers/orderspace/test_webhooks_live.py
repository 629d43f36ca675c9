"""Webhooks from the sandbox to the running app at /webhooks/orderspace/, end to end."""

import json
import time

import pytest
import requests

from integrations.models import WebhookEvent, WebhookRejection
from integrations.providers.orderspace.client import OrderspaceClient
from integrations.providers.orderspace.webhooks import sign
from tests.integrations.providers.orderspace.conftest import FAST, new_fields

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def inbox_events() -> list[dict]:
    rows = WebhookEvent.objects.filter(provider="orderspace").order_by("pk")
    return [event for row in rows for event in row.payload["events"]]


@pytest.fixture
def subscribed(live_server, control, make_connection):
    """A connection that registered the app's receiver as its webhook (http is allowed by a
    knob: live_server does not speak https)."""
    control.set(require_https_webhooks=False)
    connection = make_connection(credentials={"webhook_signing_key": ""})
    client = OrderspaceClient(connection, limit=FAST)
    webhook = client.register_webhook(f"{live_server.url}/webhooks/orderspace/")
    yield connection
    client.delete_webhook(webhook.id)


def test_registering_keeps_the_signing_key_on_the_connection(subscribed):
    subscribed.refresh_from_db()

    credentials = subscribed.get_credentials()
    assert len(credentials["webhook_signing_key"]) == 40
    assert credentials["access_token"]  # the token bought meanwhile was not overwritten
    assert subscribed.settings["webhook_id"].startswith("wh_")


def test_store_side_changes_arrive_verified_in_the_inbox(subscribed, control):
    created = control.act("admin_create_customer", new_fields())
    control.act("admin_update_customer", {"id": created["id"], "internal_note": "VIP"})

    wait_for(lambda: len(inbox_events()) >= 2)
    events = inbox_events()

    assert [e["event"] for e in events] == ["customer.created", "customer.updated"]
    assert events[1]["data"]["customer"]["internal_note"] == "VIP"
    assert {row.connection_id for row in WebhookEvent.objects.all()} == {subscribed.pk}
    assert wait_for(lambda: control.webhooks(status="delivered"))


def test_a_redelivery_is_stored_once_and_a_forgery_not_at_all(subscribed, control, live_server):
    control.act("admin_create_customer", new_fields())
    delivered = wait_for(lambda: control.webhooks(status="delivered"))[0]
    # The same bytes again, as Orderspace's retry sends them (the sandbox sends compact JSON).
    body = json.dumps(delivered["payload"], separators=(",", ":")).encode()
    subscribed.refresh_from_db()
    key = subscribed.get_credentials()["webhook_signing_key"]
    url = f"{live_server.url}/webhooks/orderspace/"

    again = requests.post(
        url,
        data=body,
        headers={"X-Orderspace-Signature": sign(key, body), "Content-Type": "application/json"},
        timeout=10,
    )
    forged = requests.post(
        url,
        data=body,
        headers={
            "X-Orderspace-Signature": sign("guessed", body),
            "Content-Type": "application/json",
        },
        timeout=10,
    )

    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    assert forged.status_code == 401
    assert WebhookEvent.objects.count() == 1
    assert WebhookRejection.objects.get(provider="orderspace", reason="bad_signature").count == 1
