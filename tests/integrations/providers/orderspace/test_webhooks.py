"""The Orderspace webhook receiver: HMAC of the raw body, connections found by their key."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from integrations.models import WebhookEvent, WebhookRejection
from integrations.providers.base import WebhookRejected
from integrations.providers.orderspace.webhooks import sign, verify
from tests.factories import ConnectionFactory

URL = reverse("integrations:webhook-receive", args=["orderspace"])
KEY = "UNxdW7ugYl8PCKjVGkoXkHARkCoFT3eXpdpDsF1s"


@pytest.fixture
def web():
    """Django's test client (this folder's `client` fixture is the Orderspace client)."""
    return Client()


def orderspace_connection(key=KEY, **kwargs):
    return ConnectionFactory(
        provider="orderspace",
        settings={},
        credentials={"client_id": "id", "client_secret": "s", "webhook_signing_key": key},
        **kwargs,
    )


def delivery(*events) -> bytes:
    events = events or ({"event": "customer.updated", "data": {"customer": {"id": "cu_dnwz8gnx"}}},)
    # Unusual spacing on purpose: the signature is over these bytes, not re-encoded JSON.
    return json.dumps(list(events), indent=1).encode()


def post(web, body: bytes, signature: str | None):
    headers = {"HTTP_X_ORDERSPACE_SIGNATURE": signature} if signature is not None else {}
    return web.post(URL, body, content_type="application/json", **headers)


def rejections(reason: str) -> int:
    row = WebhookRejection.objects.filter(provider="orderspace", reason=reason).first()
    return row.count if row else 0


def test_a_signed_delivery_is_stored_once_for_its_connection(web, db):
    connection = orderspace_connection()
    orderspace_connection(key="another-site-key")
    body = delivery()

    first = post(web, body, sign(KEY, body))
    again = post(web, body, sign(KEY, body))

    assert first.status_code == 200 and first.json() == {"status": "received"}
    assert again.json() == {"status": "duplicate"}
    event = WebhookEvent.objects.get(provider="orderspace")
    assert event.connection == connection
    assert event.event_type == "customer.updated"
    assert event.payload == {"events": json.loads(body)}


def test_a_batch_of_mixed_events_is_one_row(db):
    orderspace_connection()
    body = delivery(
        {"event": "customer.created", "data": {"customer": {"id": "cu_1"}}},
        {"event": "customer.deleted", "data": {"customer": {"id": "cu_2", "deleted": True}}},
    )

    event = verify(body, {"X-Orderspace-Signature": sign(KEY, body)})

    assert event.event_type == "mixed"
    assert [e["event"] for e in event.payload["events"]] == ["customer.created", "customer.deleted"]
    assert event.event_id.startswith("sha256:")


def test_two_workspaces_sharing_a_site_both_get_it(db):
    first, second = orderspace_connection(), orderspace_connection()
    body = delivery()

    event = verify(body, {"X-Orderspace-Signature": sign(KEY, body)})

    assert set(event.connections) == {first, second}


@pytest.mark.parametrize(
    ("signature", "reason"),
    [
        (None, "bad_signature"),
        ("not base64!", "bad_signature"),
        (sign("wrong-key", delivery()), "bad_signature"),
    ],
)
def test_bad_or_missing_signatures_are_401_and_nothing_is_stored(web, db, signature, reason):
    orderspace_connection()

    response = post(web, delivery(), signature)

    assert response.status_code == 401
    assert rejections(reason) == 1
    assert not WebhookEvent.objects.exists()


def test_a_changed_body_fails_its_signature(web, db):
    orderspace_connection()
    body = delivery()
    tampered = body.replace(b"cu_dnwz8gnx", b"cu_00000000")

    assert post(web, tampered, sign(KEY, body)).status_code == 401


def test_no_connection_with_a_key_is_an_unknown_account(web, db):
    ConnectionFactory(provider="orderspace", credentials={"client_id": "x", "client_secret": "y"})
    body = delivery()

    assert post(web, body, sign(KEY, body)).status_code == 401
    assert rejections("unknown_account") == 1


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", b"[]", b'[{"event": "customer.updated"}]', json.dumps([{}] * 51).encode()],
)
def test_malformed_bodies_are_refused(db, body):
    orderspace_connection()

    with pytest.raises(WebhookRejected) as caught:
        verify(body, {"X-Orderspace-Signature": sign(KEY, body)})

    assert caught.value.reason == "malformed"
