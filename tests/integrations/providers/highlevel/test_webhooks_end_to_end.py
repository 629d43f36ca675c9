"""Webhooks from the sandbox to a running ContactBridge (Django's live server): a change
made through the client arrives signed, is verified with the keys stored on the connection
and lands in the inbox once; tampered, replayed and stale deliveries do not."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from integrations.models import WebhookEvent, WebhookRejection
from integrations.providers.highlevel.schemas import ContactInput
from sandboxes.highlevel import connection_values
from tests.factories import ConnectionFactory
from tests.integrations.providers.highlevel.conftest import READ_WRITE, TIMEOUT, unique_email

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiving(hl, control, live_server, workspace):
    """A connection made from the sandbox's describe(), and the sandbox posting its events
    to the live server's receiver."""
    credentials, settings = connection_values(hl)
    connection = ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        settings=settings,
        credentials=credentials,
        scopes=READ_WRITE,
    )
    url = live_server.url + "/webhooks/highlevel/"
    control.set(webhook_url=url, webhook_max_attempts=1)
    return connection, url


def _wait_for(predicate, what: str, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while not (result := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


def _delivered(control, event_type: str, contact_id: str) -> dict:
    def find():
        for delivery in control.webhooks(type=event_type):
            if delivery["payload"].get("id") == contact_id and delivery["status"] != "pending":
                return delivery
        return None

    return _wait_for(find, f"the {event_type} delivery of {contact_id}")


def _rejections(reason: str) -> int:
    row = WebhookRejection.objects.filter(provider="highlevel", reason=reason).first()
    return row.count if row else 0


def test_a_contact_created_through_the_client_arrives_once(receiving, control, make_client):
    connection, _ = receiving
    contact = make_client(connection).create_contact(
        ContactInput(firstName="Hooked", email=unique_email())
    )
    delivery = _delivered(control, "ContactCreate", contact.id)
    assert delivery["status"] == "delivered"
    assert [attempt["status"] for attempt in delivery["attempts"]] == [200]

    event = WebhookEvent.objects.get(provider="highlevel", event_type="ContactCreate")
    assert event.event_id == delivery["webhookId"]
    assert event.connection_id == connection.pk  # matched by location, verified by its keys
    assert event.payload["id"] == contact.id and event.payload["email"] == contact.email
    assert event.status == WebhookEvent.Status.PENDING


def _signed_delivery(hl_app, control, connection, make_client) -> tuple[bytes, dict]:
    """A real delivery's exact bytes and signature headers, as the sandbox sent them."""
    contact = make_client(connection).create_contact(ContactInput(email=unique_email()))
    delivery = _delivered(control, "ContactCreate", contact.id)
    body = hl_app.webhooks.sender.log[delivery["webhookId"]]["_body"]
    return body, hl_app.keys.headers(body)


def test_a_replayed_delivery_is_stored_once(receiving, hl_app, control, make_client):
    connection, url = receiving
    body, headers = _signed_delivery(hl_app, control, connection, make_client)
    for _ in range(2):
        replay = requests.post(
            url, data=body, headers={**headers, "Content-Type": "application/json"}, timeout=TIMEOUT
        )
        assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert WebhookEvent.objects.filter(event_id=json.loads(body)["webhookId"]).count() == 1


def test_a_tampered_body_is_refused_and_not_stored(receiving, hl_app, control, make_client):
    connection, url = receiving
    body, headers = _signed_delivery(hl_app, control, connection, make_client)
    payload = json.loads(body)
    tampered = body.replace(payload["email"].encode(), b"attacker@example.org")
    tampered = tampered.replace(payload["webhookId"].encode(), b"forged-webhook-id")
    answer = requests.post(
        url, data=tampered, headers={**headers, "Content-Type": "application/json"}, timeout=TIMEOUT
    )
    assert answer.status_code == 401
    assert not WebhookEvent.objects.filter(event_id="forged-webhook-id").exists()
    assert WebhookEvent.objects.count() == 1
    assert _rejections("bad_signature") == 1


def test_a_stale_delivery_is_refused(receiving, hl_app, hl):
    _, url = receiving
    old = datetime.now(UTC) - timedelta(minutes=10)
    event = {
        "type": "ContactCreate",
        "locationId": hl["location_id"],
        "id": "c" * 20,
        "webhookId": "stale-webhook-id",
        "timestamp": old.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    body = json.dumps(event, separators=(",", ":")).encode()
    answer = requests.post(
        url,
        data=body,
        headers={**hl_app.keys.headers(body), "Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 401  # correctly signed, but too old
    assert not WebhookEvent.objects.exists()
    assert _rejections("stale") == 1


def test_connection_values_describe_a_working_connection(hl, workspace, make_client):
    credentials, settings = connection_values(hl)
    assert credentials == {"private_integration_token": hl["private_integration_token"]}
    assert settings["base_url"] == hl["base_url"]
    assert settings["location_id"] == hl["location_id"]
    assert settings["webhook_public_key"] == hl["webhook_public_key"]
    assert settings["webhook_rsa_public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    connection = ConnectionFactory(
        workspace=workspace, provider="highlevel", settings=settings, credentials=credentials
    )
    assert make_client(connection).check().account_id == hl["location_id"]
