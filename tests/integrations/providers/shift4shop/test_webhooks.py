""" "Customer New" webhooks: unsigned, so confirmed by reading the customer back; stored once."""

import json
import time

import pytest
from django.urls import reverse

from integrations.models import WebhookEvent, WebhookRejection
from integrations.providers.shift4shop.sandbox import connection_values
from tests.factories import ConnectionFactory

URL = reverse("integrations:webhook-receive", args=["shift4shop"])


def _post(client, payload):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(URL, body, content_type="application/json")


def _rejections(reason: str) -> int:
    row = WebhookRejection.objects.filter(provider="shift4shop", reason=reason).first()
    return row.count if row else 0


@pytest.fixture
def record(control) -> dict:
    return control.add_customer(BillingFirstName="Hook")


def test_a_real_customer_is_stored_with_the_stores_record(client, store_connection, record):
    response = _post(client, [record])
    assert response.status_code == 200 and response.json() == {"status": "received"}
    event = WebhookEvent.objects.get()
    assert event.provider == "shift4shop" and event.event_type == "Customer New"
    assert event.connection == store_connection
    assert event.payload["customers"] == [record]
    assert event.event_id.endswith(f":customer-new:{record['CustomerID']}")


def test_a_redelivery_is_stored_once(client, store_connection, record):
    assert _post(client, [record]).json() == {"status": "received"}
    assert _post(client, [record]).json() == {"status": "duplicate"}
    assert WebhookEvent.objects.count() == 1


def test_a_bare_object_and_a_batch_are_accepted(client, store_connection, record, control):
    second = control.add_customer()
    assert _post(client, record).status_code == 200
    assert _post(client, [record, second]).status_code == 200
    batch = WebhookEvent.objects.get(
        event_id__endswith=f"{record['CustomerID']}-{second['CustomerID']}"
    )
    assert [c["CustomerID"] for c in batch.payload["customers"]] == [
        record["CustomerID"],
        second["CustomerID"],
    ]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"CustomerID": 987654}, "unconfirmed"),  # no such customer: forged
        ({"Email": "someone.else@example.org"}, "unconfirmed"),  # not the store's record
        ({"CustomerID": "12"}, "malformed"),
        ({"Email": ""}, "malformed"),
    ],
)
def test_what_the_store_does_not_confirm_is_refused_and_not_stored(
    client, store_connection, record, change, reason
):
    response = _post(client, [{**record, **change}])
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()
    assert _rejections(reason) == 1


def test_bodies_that_are_not_customers_are_refused(client, store_connection):
    for body in (b"not json", b"[]", b'{"OrderID": 5}', b"[1, 2]"):
        assert _post(client, body).status_code == 401
    assert _rejections("malformed") == 4


def test_without_a_connection_to_the_store_nothing_is_accepted(client, db, record):
    assert _post(client, [record]).status_code == 401
    assert _rejections("unconfirmed") == 1


def test_a_store_we_cannot_ask_makes_the_delivery_unverifiable(
    client, db, described, record, control
):
    credentials, settings = connection_values(described)
    ConnectionFactory(
        provider="shift4shop",
        settings={**settings, "requests_per_second": 1000},
        credentials={**credentials, "token": "revoked"},
    )
    assert _post(client, [record]).status_code == 401
    assert _rejections("unverifiable") == 1


def test_delivered_from_the_sandbox_to_the_running_app(live_server, transactional_db, described):
    from tests.integrations.providers.shift4shop.conftest import Control

    credentials, settings = connection_values(described)
    connection = ConnectionFactory(
        provider="shift4shop",
        settings={**settings, "requests_per_second": 1000},
        credentials=credentials,
    )
    control = Control(described["base_url"])
    control.set(webhook_url=f"{live_server.url}{URL}")
    customer = control.add_customer(BillingFirstName="Live")
    [delivery] = control.wait_for_webhooks(1)
    assert delivery["attempts"][-1]["status"] == 200
    deadline = time.monotonic() + 5
    while not WebhookEvent.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    event = WebhookEvent.objects.get()
    assert event.connection == connection
    assert event.payload["customers"][0]["Email"] == customer["Email"]
