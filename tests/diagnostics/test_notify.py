"""Alert notices go out by e-mail and by a signed webhook to a real local receiver, are
retried with backoff and then failed with the error kept, never to a refused address, and
never twice."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connections
from django.utils import timezone

from alerts.models import Alert
from diagnostics import notify
from diagnostics.alerting import alert_rule_create, alert_rules_evaluate
from diagnostics.models import AlertDelivery
from diagnostics.notify import MAX_ATTEMPTS, alert_deliveries_send, alert_delivery_claim
from mappings.models import Mapping
from tests.factories import FlowFactory

claim = alert_delivery_claim

PROBLEMS = [{"rule": "r1", "field": "customField.size", "reason": "size was deleted"}]


class Receiver:
    """What a tiny HTTP server on 127.0.0.1 was sent, and how it answers."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.status = 200
        self.delay = 0.0
        self.url = ""


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            time.sleep(state.delay)
            payload = b'{"error": "receiver down"}' if state.status >= 500 else b""
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_port}/hook"
    yield state
    server.shutdown()
    server.server_close()


def _drifting_flow(workspace):
    flow = FlowFactory(workspace=workspace, name="Shop → CRM")
    Mapping.objects.filter(pk=flow.mapping_id).update(problems=PROBLEMS)
    return flow


def _incident(workspace, *, email_to="", webhook_url=""):
    """A mapping-drift rule, an unhealthy mapping, and the incident that opens: its notices
    are pending."""
    rule, secret = alert_rule_create(
        workspace=workspace, kind="mapping_drift", email_to=email_to, webhook_url=webhook_url
    )
    flow = _drifting_flow(workspace)
    assert alert_rules_evaluate()["opened"] == 1
    return rule, secret, flow


def _verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does (the recipe in diagnostics/notify.py's docstring), written out
    here without the module's own helpers."""
    timestamp = headers["x-contactbridge-timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    fresh = abs(time.time() - int(timestamp)) < 300
    return fresh and hmac.compare_digest(
        "sha256=" + expected.hexdigest(), headers["x-contactbridge-signature"]
    )


def test_an_incident_is_mailed_once_then_its_end(workspace, mailoutbox):
    _, _, flow = _incident(workspace, email_to="ops@example.com, boss@example.com")
    assert alert_deliveries_send() == 1
    assert alert_deliveries_send() == 0
    alert_rules_evaluate()
    assert alert_deliveries_send() == 0
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ops@example.com", "boss@example.com"]
    assert mail.subject == "[ContactBridge] Alert: Flow “Shop → CRM”: mapping unhealthy"
    assert "size was deleted" in mail.body
    assert "Since: " in mail.body and "What to do: Open the mapping" in mail.body
    assert f"/w/{workspace.pk}/diagnostics/" in mail.body
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("sent", 1) and delivery.sent_at

    Mapping.objects.filter(pk=flow.mapping_id).update(problems=[])
    alert_rules_evaluate()
    assert alert_deliveries_send() == 1
    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject.startswith("[ContactBridge] Resolved: ")
    assert "What to do: nothing" in mailoutbox[1].body


def test_the_webhook_is_signed_and_the_receiver_can_verify_it(workspace, receiver):
    rule, secret, flow = _incident(workspace, webhook_url=receiver.url)
    assert alert_deliveries_send() == 1
    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert headers["content-type"] == "application/json"
    assert headers["x-contactbridge-signature"].startswith("sha256=")
    assert _verify(secret, headers, body)
    assert not _verify(secret, headers, body.replace(b"opened", b"resolved"))
    assert not _verify("another-secret", headers, body)
    payload = json.loads(body)
    delivery = AlertDelivery.objects.get()
    assert payload == {
        "id": delivery.pk,
        "event": "opened",
        "rule": {"id": rule.pk, "kind": "mapping_drift"},
        "workspace": workspace.pk,
        "subject": f"flow:{flow.pk}",
        "title": "Flow “Shop → CRM”: mapping unhealthy",
        "message": payload["message"],
        "opened_at": delivery.incident.opened_at.isoformat(),
        "resolved_at": None,
        "value": 1.0,
    }
    assert "size was deleted" in payload["message"]
    assert delivery.status == "sent"

    Mapping.objects.filter(pk=flow.mapping_id).update(problems=[])
    alert_rules_evaluate()
    assert alert_deliveries_send() == 1
    headers, body = receiver.requests[1]
    assert _verify(secret, headers, body)
    resolved = json.loads(body)
    assert resolved["event"] == "resolved" and resolved["resolved_at"] is not None


def test_a_failing_receiver_is_retried_with_backoff_then_the_delivery_fails(workspace, receiver):
    receiver.status = 500
    _incident(workspace, webhook_url=receiver.url)
    now = timezone.now()
    assert alert_deliveries_send(now=now) == 0
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "answered 500" in delivery.last_error and "receiver down" in delivery.last_error
    assert delivery.next_attempt_at > now
    # Not due yet: nothing is sent.
    alert_deliveries_send(now=now + (delivery.next_attempt_at - now) / 2)
    assert len(receiver.requests) == 1

    waits = [delivery.next_attempt_at - now]
    for _ in range(MAX_ATTEMPTS - 1):
        now = delivery.next_attempt_at
        alert_deliveries_send(now=now)
        delivery.refresh_from_db()
        waits.append(delivery.next_attempt_at - now)
    assert len(receiver.requests) == MAX_ATTEMPTS
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)
    assert "answered 500" in delivery.last_error
    assert waits[0] < waits[1] < waits[2] < waits[3]  # backoff grows
    alert = Alert.objects.get(kind="alert_delivery_failed", resolved_at=None)
    assert "answered 500" in alert.message

    alert_deliveries_send(now=now + timedelta(days=1))
    assert len(receiver.requests) == MAX_ATTEMPTS


def test_a_receiver_refusing_the_notice_is_not_retried(workspace, receiver):
    receiver.status = 401
    _incident(workspace, webhook_url=receiver.url)
    alert_deliveries_send()
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "answered 401" in delivery.last_error and "Not retried" in delivery.last_error


def test_a_private_address_is_refused_when_private_addresses_are_off(workspace, receiver, settings):
    _incident(workspace, webhook_url=receiver.url)  # saved while they were allowed
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    assert alert_deliveries_send() == 0
    assert receiver.requests == []
    delivery = AlertDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "address not allowed" in delivery.last_error


def test_a_claim_is_won_by_one_caller_only(workspace):
    _incident(workspace, email_to="ops@example.com")
    delivery = AlertDelivery.objects.get()
    now = timezone.now()
    assert alert_delivery_claim(pk=delivery.pk, attempts=0, now=now)
    assert not alert_delivery_claim(pk=delivery.pk, attempts=0, now=now)
    assert alert_deliveries_send(now=now) == 0  # held by the first claim


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sends_do_not_send_twice(workspace, receiver, monkeypatch):
    receiver.delay = 0.3
    _incident(workspace, webhook_url=receiver.url)
    results = []
    # Both workers have listed the delivery as due before either claims it: the race the
    # claim exists for.
    both_listed = threading.Barrier(2, timeout=10)

    def claim_when_both_listed(**kwargs):
        both_listed.wait()
        return claim(**kwargs)

    monkeypatch.setattr(notify, "alert_delivery_claim", claim_when_both_listed)

    def send():
        try:
            results.append(alert_deliveries_send())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [0, 1]
    assert len(receiver.requests) == 1
    assert AlertDelivery.objects.get().status == "sent"


def test_a_send_out_of_time_leaves_the_rest_for_the_next_beat(workspace, mailoutbox):
    _incident(workspace, email_to="ops@example.com")
    assert alert_deliveries_send(seconds=-1) == 0
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts, len(mailoutbox)) == ("pending", 0, 0)
    assert alert_deliveries_send() == 1
