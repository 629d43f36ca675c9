"""The Ecwid webhook receiver: HMAC of `eventCreated.eventId` with the app's client_secret,
refuse and count, store once; and end to end from the sandbox to a live server."""

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
import requests
from django.urls import reverse

from integrations.models import WebhookEvent, WebhookRejection
from integrations.providers.base import WebhookRejected
from integrations.providers.ecwid import webhooks
from sandboxes.ecwid import connection_values
from tests.factories import ConnectionFactory

URL = reverse("integrations:webhook-receive", args=["ecwid"])
SECRET = "app-client-secret"


@pytest.fixture
def store(db):
    return ConnectionFactory(
        provider="ecwid",
        settings={"store_id": "1003"},
        credentials={"secret_token": "secret_abc", "client_secret": SECRET},
    )


def _event(**overrides) -> dict:
    return {
        "eventId": str(uuid.uuid4()),
        "eventCreated": int(time.time()),
        "storeId": 1003,
        "entityId": 4242,
        "eventType": "customer.updated",
        "data": {"customerEmail": "pat@example.com"},
        **overrides,
    }


def _sign(event: dict, secret: str = SECRET) -> str:
    message = f"{event['eventCreated']}.{event['eventId']}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def _post(client, event: dict | bytes, signature: str | None = None):
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {} if signature is None else {"HTTP_X_ECWID_WEBHOOK_SIGNATURE": signature}
    return client.post(
        URL + "?eventtype=customer.updated", body, content_type="application/json", **headers
    )


def _rejections(reason: str) -> int:
    row = WebhookRejection.objects.filter(provider="ecwid", reason=reason).first()
    return row.count if row else 0


def test_a_signed_event_is_stored_once_for_its_connection(client, store):
    event = _event()
    first = _post(client, event, _sign(event))
    assert first.status_code == 200 and first.json() == {"status": "received"}
    again = _post(client, event, _sign(event))
    assert again.json() == {"status": "duplicate"}
    stored = WebhookEvent.objects.get(provider="ecwid")
    assert stored.event_id == event["eventId"] and stored.event_type == "customer.updated"
    assert stored.payload == event and stored.connection == store


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "not base64!",
        _sign({"eventCreated": 1, "eventId": "other"}),
    ],
)
def test_a_missing_or_wrong_signature_is_401_and_nothing_is_stored(client, store, signature):
    response = _post(client, _event(), signature)
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()
    assert _rejections("bad_signature") == 1


def test_the_api_token_is_not_the_signing_key(client, store):
    event = _event()
    assert _post(client, event, _sign(event, "secret_abc")).status_code == 401


def test_the_body_is_not_signed_so_the_first_body_of_an_event_id_wins(client, store):
    event = _event()
    _post(client, event, _sign(event))
    forged = {**event, "entityId": 1, "eventType": "customer.deleted"}
    assert _post(client, forged, _sign(event)).json() == {"status": "duplicate"}
    assert WebhookEvent.objects.get(provider="ecwid").payload["entityId"] == 4242


def test_an_unknown_store_is_refused(client, store):
    event = _event(storeId=999)
    assert _post(client, event, _sign(event)).status_code == 401
    assert _rejections("unknown_account") == 1


def test_a_store_without_a_client_secret_cannot_verify(client, db):
    ConnectionFactory(provider="ecwid", settings={"store_id": "1003"})
    event = _event()
    response = _post(client, event, _sign(event))
    assert response.status_code == 401 and "client secret" in response.json()["error"]
    assert _rejections("no_secret") == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"eventId": "x", "storeId": 1003, "eventType": "customer.updated"}).encode(),
        json.dumps(_event(eventCreated="2025-01-01")).encode(),
        json.dumps(_event(storeId="store")).encode(),
    ],
)
def test_malformed_bodies_are_refused(client, store, body):
    assert _post(client, body, "c2ln").status_code == 400
    assert _rejections("malformed") == 1


@pytest.mark.parametrize(
    ("age_hours", "accepted"), [(0, True), (20, True), (47, True), (50, False), (-1, False)]
)
def test_ecwids_retries_stay_acceptable_for_its_retry_horizon(client, store, age_hours, accepted):
    event = _event(eventCreated=int(time.time() - age_hours * 3600))
    response = _post(client, event, _sign(event))
    assert (response.status_code == 200) is accepted
    assert _rejections("stale") == (0 if accepted else 1)


def test_only_the_connections_whose_secret_matches_get_the_event(db):
    good = ConnectionFactory(
        provider="ecwid", settings={"store_id": 1003}, credentials={"client_secret": SECRET}
    )
    ConnectionFactory(
        provider="ecwid", settings={"store_id": "1003"}, credentials={"client_secret": "other"}
    )
    event = _event()
    body = json.dumps(event).encode()
    verified = webhooks.verify(body, {webhooks.SIGNATURE_HEADER: _sign(event)})
    assert verified.connections == [good]
    with pytest.raises(WebhookRejected):
        webhooks.verify(body, {webhooks.SIGNATURE_HEADER: _sign(event, "neither")})


# --- end to end: the sandbox posts to a live server --------------------------------------------
def _wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_sandbox_webhooks_reach_the_inbox(live_server, described, control):
    credentials, settings = connection_values(described)
    connection = ConnectionFactory(provider="ecwid", settings=settings, credentials=credentials)
    control.set(webhook_url=f"{live_server.url}{URL}", webhook_base_delay_ms=50)
    customer_id = control.admin("POST", json={"email": f"{uuid.uuid4().hex}@example.org"})
    customer_id = customer_id.json()["id"]
    control.admin("PUT", f"/{customer_id}", json={"lang": "fr"})
    _wait_for(lambda: WebhookEvent.objects.filter(provider="ecwid").count() == 2)
    events = WebhookEvent.objects.filter(provider="ecwid").order_by("pk")
    assert [e.event_type for e in events] == ["customer.created", "customer.updated"]
    assert all(e.connection == connection and e.payload["entityId"] == customer_id for e in events)
    log = control.webhooks()
    assert [d["status"] for d in log] == ["delivered", "delivered"]
    # Ecwid appends `?eventtype=<type>` (lower-case name): the receiver routes on the path
    # alone, verifies and stores the delivery all the same.
    assert log[0]["url"] == f"{live_server.url}{URL}?eventtype=customer.created"
    assert log[1]["url"].endswith("?eventtype=customer.updated")

    # Ecwid resends an event it thinks failed: the inbox keeps one row per eventId.
    delivery = log[0]["payload"]
    answer = requests.post(
        f"{live_server.url}{URL}?eventtype=customer.created",
        data=json.dumps(delivery),
        headers={
            "Content-Type": "application/json",
            webhooks.SIGNATURE_HEADER: _sign(delivery, credentials["client_secret"]),
        },
        timeout=10,
    )
    assert answer.json() == {"status": "duplicate"}
    assert WebhookEvent.objects.filter(provider="ecwid").count() == 2


def test_sandbox_webhooks_with_the_wrong_secret_are_refused(live_server, described, control):
    credentials, settings = connection_values(described)
    ConnectionFactory(
        provider="ecwid", settings=settings, credentials={**credentials, "client_secret": "old"}
    )
    control.set(webhook_url=f"{live_server.url}{URL}", webhook_max_attempts=1)
    control.admin("POST", json={"email": f"{uuid.uuid4().hex}@example.org"})
    _wait_for(lambda: control.webhooks(status="failed"))
    assert control.webhooks()[0]["attempts"][0]["status"] == 401
    assert not WebhookEvent.objects.filter(provider="ecwid").exists()
    assert _rejections("bad_signature") == 1


@pytest.mark.parametrize("store_id", ["²", "٣٤", "1" * 5000, "12a", "-5", " 12"])
def test_a_store_id_that_is_not_a_plain_number_is_refused_before_any_lookup(db, store_id):
    body = json.dumps(
        {"eventId": "e1", "eventCreated": 1, "storeId": store_id, "eventType": "customer.updated"}
    ).encode()
    with pytest.raises(WebhookRejected) as rejected:
        webhooks.verify(body, {})
    assert rejected.value.reason == "malformed" and rejected.value.status == 400
    assert "store number" in str(rejected.value)


def test_a_body_nested_too_deep_is_refused_as_malformed():
    with pytest.raises(WebhookRejected) as rejected:
        webhooks.verify(b"[" * 100_000 + b"]" * 100_000, {})
    assert rejected.value.status == 400 and "nested" in str(rejected.value)
