"""Webhooks out: delivered to a local receiver, signed both ways, retried on failure."""

import base64
import json
import re
import time
import uuid

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from tests.sandboxes.support import TIMEOUT, WebhookReceiver

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class Receiver(WebhookReceiver):
    """Records (lower-cased headers, raw body); answers `fail_first` 500s first, and waits
    `delay` seconds before answering."""

    path = "/hooks/highlevel"


@pytest.fixture
def receiver(control):
    receiver = Receiver()
    control.set(
        webhook_url=receiver.url,
        webhook_base_delay_ms=20,
        webhook_max_delay_ms=100,
        webhook_timeout_ms=2000,
    )
    yield receiver
    receiver.close()


def _types(receiver: Receiver) -> list[str]:
    return [event["type"] for event in receiver.payloads()]


def _wait_types(receiver: Receiver, wanted: list[str], timeout: float = 5.0) -> None:
    """Woken by each delivery; fails at once if a wrong event arrives."""
    with receiver.arrived:
        receiver.arrived.wait_for(lambda: len(receiver.bodies) >= len(wanted), timeout)
    assert _types(receiver) == wanted


def test_a_created_contact_is_delivered_signed_both_ways(creds, receiver, new_contact):
    contact = new_contact(firstName="Grace", lastName="Hopper", tags=["navy"])
    headers, body = receiver.wait_for(1)[0]
    event = json.loads(body)
    assert event["type"] == "ContactCreate" and event["locationId"] == creds["location_id"]
    assert (
        event["id"] == contact["id"]
        and event["name"] == "Grace Hopper"
        and event["tags"] == ["navy"]
    )
    assert uuid.UUID(event["webhookId"]) and ISO.match(event["timestamp"])
    ed25519_key = serialization.load_der_public_key(base64.b64decode(creds["webhook_public_key"]))
    ed25519_key.verify(base64.b64decode(headers["x-ghl-signature"]), body)
    rsa_key = serialization.load_pem_public_key(creds["webhook_rsa_public_key"].encode())
    rsa_key.verify(
        base64.b64decode(headers["x-wh-signature"]), body, padding.PKCS1v15(), hashes.SHA256()
    )
    with pytest.raises(InvalidSignature):
        ed25519_key.verify(base64.b64decode(headers["x-ghl-signature"]), body + b" ")


def test_the_legacy_signature_can_be_retired(control, receiver, new_contact):
    control.set(webhook_legacy_signature=False)
    new_contact()
    headers, _ = receiver.wait_for(1)[0]
    assert "x-ghl-signature" in headers and "x-wh-signature" not in headers


def test_contact_changes_fire_their_events(api, receiver, new_contact):
    contact_id = new_contact()["id"]
    api.put(f"/contacts/{contact_id}", json={"city": "Boston"})
    api.post(f"/contacts/{contact_id}/tags", json={"tags": ["new-tag"]})
    api.put(
        f"/contacts/{contact_id}", json={"dnd": True, "dndSettings": {"SMS": {"status": "active"}}}
    )
    api.put(f"/contacts/{contact_id}", json={"city": "Boston"})  # no change: no event
    api.delete(f"/contacts/{contact_id}")
    wanted = [
        "ContactCreate",
        "ContactUpdate",
        "ContactTagUpdate",
        "ContactDndUpdate",
        "ContactDelete",
    ]
    _wait_types(receiver, wanted)
    dnd_event = receiver.payloads()[3]
    assert dnd_event["dnd"] is True and dnd_event["dndSettings"] == {"SMS": {"status": "active"}}


def test_task_and_note_events(api, receiver, new_contact):
    contact_id = new_contact()["id"]
    task = api.post(
        f"/contacts/{contact_id}/tasks",
        json={"title": "T", "dueDate": "2026-07-20T10:00:00Z", "completed": False},
    ).json()["task"]
    api.put(f"/contacts/{contact_id}/tasks/{task['id']}/completed", json={"completed": True})
    api.delete(f"/contacts/{contact_id}/tasks/{task['id']}")
    note = api.post(f"/contacts/{contact_id}/notes", json={"body": "Hi"}).json()["note"]
    api.put(f"/contacts/{contact_id}/notes/{note['id']}", json={"body": "Hello"})
    api.delete(f"/contacts/{contact_id}/notes/{note['id']}")
    wanted = [
        "ContactCreate",
        "TaskCreate",
        "TaskComplete",
        "TaskDelete",
        "NoteCreate",
        "NoteUpdate",
        "NoteDelete",
    ]
    _wait_types(receiver, wanted)
    events = receiver.payloads()
    assert events[1]["contactId"] == contact_id and events[1]["title"] == "T"
    assert events[5]["body"] == "Hello" and events[5]["id"] == note["id"]


def test_failed_deliveries_are_retried_with_the_same_webhook_id(receiver, control, new_contact):
    receiver.fail_first = 2
    new_contact()
    received = receiver.wait_for(3)
    ids = {json.loads(body)["webhookId"] for _, body in received}
    assert len(ids) == 1
    control.wait_until_settled()
    log = control.webhooks(type="ContactCreate")[-1]
    assert log["status"] == "delivered" and [a["status"] for a in log["attempts"]] == [
        500,
        500,
        200,
    ]
    stats = control.stats()
    assert (
        stats["webhooks_sent"] == 1
        and stats["webhook_attempts"] == 3
        and stats["webhook_retries"] == 2
    )


def test_a_delivery_gives_up_after_the_last_attempt(control, new_contact):
    receiver = Receiver(fail_first=100)
    control.set(webhook_url=receiver.url, webhook_max_attempts=3, webhook_base_delay_ms=10)
    try:
        new_contact()
        receiver.wait_for(3)
        # Nothing is pending once the sandbox has given up: no fourth attempt can come.
        assert control.wait_until_settled()["stats"]["webhooks_failed"] == 1
        assert control.webhooks(status="failed")[-1]["type"] == "ContactCreate"
        assert len(receiver.received) == 3
    finally:
        receiver.close()


def test_an_unreachable_receiver_is_a_failed_attempt(control, new_contact):
    closed = Receiver()
    url = closed.url
    closed.close()
    control.set(webhook_url=url, webhook_max_attempts=2, webhook_base_delay_ms=10)
    new_contact()
    control.wait_until_settled()
    attempts = control.webhooks(status="failed")[-1]["attempts"]
    assert len(attempts) == 2 and attempts[0]["status"] is None and attempts[0]["error"]


def test_a_slow_receiver_does_not_slow_the_api(api, control, location):
    slow = Receiver(delay=0.6)
    control.set(webhook_url=slow.url)
    try:
        started = time.monotonic()
        response = api.post(
            "/contacts/", json={"locationId": location, "email": "not.blocked@example.org"}
        )
        assert response.status_code == 201 and time.monotonic() - started < 0.45
        slow.wait_for(1, timeout=5)
    finally:
        slow.close()


def test_ui_changes_fire_webhooks_unless_told_not_to(receiver, control, creds):
    url = control.url + "/contacts"
    created = requests.post(
        url, json={"firstName": "Ui", "email": "ui.change@example.org"}, timeout=TIMEOUT
    )
    assert created.status_code == 201
    contact_id = created.json()["contact"]["id"]
    assert created.json()["contact"]["createdBy"]["source"] == "WEB_USER"
    requests.put(f"{url}/{contact_id}?webhooks=false", json={"city": "Quiet"}, timeout=TIMEOUT)
    requests.put(f"{url}/{contact_id}", json={"city": "Loud"}, timeout=TIMEOUT)
    requests.delete(f"{url}/{contact_id}", timeout=TIMEOUT)
    _wait_types(receiver, ["ContactCreate", "ContactUpdate", "ContactDelete"])
    assert receiver.payloads()[1]["city"] == "Loud"


def test_no_url_means_no_delivery(control, new_contact):
    new_contact()
    assert control.stats()["webhooks_unrouted"] == 1
    assert control.webhooks() == []
