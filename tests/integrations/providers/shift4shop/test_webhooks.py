""" "Customer New" webhooks: unsigned, so confirmed by reading the customer back (in the
request with `verify()`, or later in the worker with `confirm()`); stored once."""

import json
import time

import pytest
from django.urls import reverse

from integrations.errors import IntegrationError
from integrations.models import WebhookEvent, WebhookRejection
from integrations.providers.base import WebhookRejected
from integrations.providers.shift4shop import webhooks
from sandboxes.shift4shop import connection_values
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


def _verify(payload, confirm: bool = True):
    return webhooks.verify(json.dumps(payload).encode(), {}, confirm=confirm)


def test_the_endpoint_stores_a_delivery_once_unconfirmed(client, store_connection, record):
    # The request only checks the shape; the worker reads it back (integrations.inbox).
    assert _post(client, [record]).json() == {"status": "received"}
    assert _post(client, [record]).json() == {"status": "duplicate"}
    event = WebhookEvent.objects.get()
    assert event.event_type == "Customer New" and event.payload["confirmed"] is False
    assert event.payload["customers"] == [record]


def test_a_real_customer_is_confirmed_with_the_stores_record(store_connection, record):
    verified = _verify([record])
    assert verified.connections == [store_connection] and not verified.needs_confirmation
    assert verified.payload["customers"] == [record] and verified.payload["confirmed"]
    assert verified.event_id.endswith(f":customer-new:{record['CustomerID']}")
    assert _verify(record).event_id == verified.event_id  # a bare object: the same event


def test_a_batch_is_confirmed_as_one_event(store_connection, record, control):
    second = control.add_customer()
    verified = _verify([record, second])
    assert verified.event_id.endswith(f"{record['CustomerID']}-{second['CustomerID']}")
    assert [c["CustomerID"] for c in verified.payload["customers"]] == [
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
def test_what_the_store_does_not_confirm_is_refused(store_connection, record, change, reason):
    with pytest.raises(WebhookRejected) as refused:
        _verify([{**record, **change}])
    assert refused.value.reason == reason
    if reason == "unconfirmed":
        with pytest.raises(WebhookRejected, match="no such customer"):
            webhooks.confirm(store_connection, {"customers": [{**record, **change}]})


def test_without_a_connection_to_the_store_nothing_is_confirmed(db, record):
    with pytest.raises(WebhookRejected) as refused:
        _verify([record])
    assert refused.value.reason == "unconfirmed"


def test_a_store_we_cannot_ask_makes_the_delivery_unverifiable(db, described, record):
    credentials, settings = connection_values(described)
    revoked = ConnectionFactory(
        provider="shift4shop",
        settings={**settings, "requests_per_second": 1000},
        credentials={**credentials, "token": "revoked"},
    )
    with pytest.raises(WebhookRejected) as refused:
        _verify([record])
    assert refused.value.reason == "unverifiable"
    # In the worker, the typed error goes through: a store that is briefly unreachable is
    # retried later, not taken for a forgery.
    with pytest.raises(IntegrationError):
        webhooks.confirm(revoked, {"customers": [record]})


def test_a_forged_batch_costs_at_most_one_read_past_its_first_lie(db, described, record):
    from tests.integrations.providers.shift4shop.conftest import Control

    credentials, settings = connection_values(described)
    connection = ConnectionFactory(
        provider="shift4shop",
        settings={**settings, "requests_per_second": 1000},
        credentials=credentials,
    )
    control = Control(described["base_url"])
    before = control.stats()["requests_total"]
    forged = [{**record, "Email": "forged@example.com"}] + [record] * 5
    with pytest.raises(WebhookRejected):
        webhooks.confirm(connection, {"customers": forged})
    assert control.stats()["requests_total"] - before == 1
    with pytest.raises(WebhookRejected, match="at most 10"):
        webhooks.confirm(connection, {"customers": [record] * 11})


def test_bodies_that_are_not_customers_are_refused(client, store_connection):
    for body in (b"[]", b'{"OrderID": 5}', b"[1, 2]"):
        assert _post(client, body).status_code in (400, 401)
    assert _rejections("malformed") == 3
    assert not WebhookEvent.objects.exists()


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
