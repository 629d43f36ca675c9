"""The webhook receiver while the database or the broker is gone: 503 + Retry-After (never
Django's 500 page, never a 4xx the sender would not retry) until the delivery can be stored,
and a stored delivery is acknowledged even when it cannot be enqueued — the sweep hands it
out. The database "goes away" through Django's execute_wrapper: every query (or only the
inbox insert) fails as PostgreSQL's do when the server restarts. tests/reliability/ does
it to a real PostgreSQL."""

import json
import logging
import time
import uuid
from datetime import timedelta

import kombu.exceptions
import pytest
from django.db import InterfaceError, OperationalError, connection
from django.urls import reverse
from django.utils import timezone

from integrations import tasks
from integrations.inbox import LEASE, webhook_targets_due
from integrations.models import WebhookEvent, WebhookEventTarget, WebhookRejection
from sandboxes.ecwid.events import SIGNATURE_HEADER, signature
from tests.factories import ConnectionFactory

URL = reverse("integrations:webhook-receive", args=["ecwid"]) + "?eventtype=customer.updated"
SECRET = "app-client-secret"


@pytest.fixture
def store(db):
    return ConnectionFactory(
        provider="ecwid",
        settings={"store_id": "1003"},
        credentials={"secret_token": "secret_abc", "client_secret": SECRET},
    )


def _delivery() -> tuple[bytes, dict]:
    event = {
        "eventId": str(uuid.uuid4()),
        "eventCreated": int(time.time()),
        "storeId": 1003,
        "entityId": 4242,
        "eventType": "customer.updated",
        "data": {"customerEmail": "pat@example.com"},
    }
    header = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")
    sig = signature(SECRET, event["eventCreated"], event["eventId"])
    return json.dumps(event).encode(), {header: sig}


def _post(client, delivery):
    body, headers = delivery
    return client.post(URL, body, content_type="application/json", **headers)


def _gone(error_class, only: str = ""):
    """An execute_wrapper: the query fails as it does when the server is gone (only those
    whose SQL holds `only`, when given)."""

    def wrapper(execute, sql, params, many, context):
        if only in sql:
            raise error_class("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    return wrapper


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content[:200]
    assert response["Retry-After"] == "10"
    assert response["Content-Type"] == "application/json"
    assert "again later" in response.json()["error"]


@pytest.mark.parametrize("error_class", [OperationalError, InterfaceError])
def test_a_database_gone_before_the_verifier_is_503_and_the_retry_succeeds(
    client, store, caplog, error_class
):
    delivery = _delivery()
    with caplog.at_level(logging.WARNING), connection.execute_wrapper(_gone(error_class)):
        response = _post(client, delivery)
    _assert_unavailable(response)
    # Not the body's fault: no "verifier_error" 400 (a 4xx is never retried) and no count.
    assert "database is unavailable" in caplog.text
    assert not WebhookRejection.objects.exists()
    assert not WebhookEvent.objects.exists()

    retried = _post(client, delivery)  # the sender's retry, the database back
    assert retried.status_code == 200
    assert retried.json() == {"status": "received"}
    assert WebhookEvent.objects.count() == 1


def test_a_database_gone_while_storing_is_503_and_nothing_is_half_stored(client, store):
    delivery = _delivery()
    with connection.execute_wrapper(_gone(OperationalError, only="integrations_webhookevent")):
        _assert_unavailable(_post(client, delivery))
    assert not WebhookEvent.objects.exists()
    assert not WebhookEventTarget.objects.exists()

    assert _post(client, delivery).json() == {"status": "received"}
    assert _post(client, delivery).json() == {"status": "duplicate"}
    event = WebhookEvent.objects.get()
    assert event.duplicates == 1
    assert event.targets.count() == 1


def test_a_refused_body_while_the_database_is_gone_is_503_not_500(client, store):
    """Counting a refusal needs the database too: no 500 page either."""
    with connection.execute_wrapper(_gone(OperationalError)):
        response = client.post(URL, b"not json", content_type="text/plain")
    _assert_unavailable(response)


def test_a_stored_delivery_the_broker_cannot_take_is_acknowledged_and_swept(
    client, store, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(tasks.webhook_event_process, "delay_on_commit", broker_down)
    with caplog.at_level(logging.ERROR):
        response = _post(client, _delivery())
    assert response.status_code == 200
    assert response.json() == {"status": "received"}
    assert "could not be enqueued" in caplog.text
    target = WebhookEventTarget.objects.get()
    assert target.status == WebhookEventTarget.Status.PENDING
    # Not handed out now; the sweep (every 5 minutes) takes it once its grace has passed.
    assert target.pk not in webhook_targets_due()
    later = timezone.now() + LEASE + timedelta(seconds=1)
    assert webhook_targets_due(now=later) == [target.pk]
