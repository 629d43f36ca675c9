"""The webhook inbox, over real HTTP against the Shift4Shop sandbox: one processing row per
connection, unsigned deliveries confirmed by the worker (never in the request), and a cap on
confirmations per store that a flood of forged posts cannot get past."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from integrations import tasks
from integrations.inbox import webhook_event_store, webhook_targets_due
from integrations.models import WebhookEvent, WebhookEventTarget, WebhookRejection
from sandboxes.shift4shop import connection_values
from tests.factories import ConnectionFactory
from tests.integrations.providers.shift4shop.conftest import (  # noqa: F401 - fixtures
    _reset_after_test,
    control,
    described,
    shift4shop,
    store_connection,
)

URL = reverse("integrations:webhook-receive", args=["shift4shop"])
Status = WebhookEventTarget.Status


def _post(client, payload):
    return client.post(URL, json.dumps(payload).encode(), content_type="application/json")


def _store_calls(control) -> int:  # noqa: F811
    """API requests the store has answered (its /_control counters, not our own view)."""
    return control.stats()["requests_total"]


@pytest.fixture
def worker(monkeypatch):
    """Runs the tasks as a worker would, in this process: `enqueued` holds the row tasks the
    event task handed out, `later` the (row, countdown) retries it scheduled."""

    class Worker:
        def __init__(self):
            self.enqueued: list[int] = []
            self.later: list[tuple[int, float]] = []

        def process_events(self):
            for pk in WebhookEvent.objects.order_by("pk").values_list("pk", flat=True):
                tasks.webhook_event_process(pk)

        def process_rows(self, pks=None):
            pks = list(self.enqueued if pks is None else pks)
            self.enqueued.clear()
            self.later.clear()
            for pk in pks:
                tasks.webhook_target_process(pk)

    running = Worker()
    monkeypatch.setattr(tasks.webhook_target_process, "delay", running.enqueued.append)
    monkeypatch.setattr(
        tasks.webhook_target_process,
        "apply_async",
        lambda args, countdown: running.later.append((args[0], countdown)),
    )
    return running


@pytest.fixture
def second_connection(db, described):  # noqa: F811
    """Another workspace's connection to the same store."""
    credentials, settings = connection_values(described)
    return ConnectionFactory(
        provider="shift4shop",
        settings={**settings, "requests_per_second": 1000},
        credentials=credentials,
    )


def test_the_request_calls_nothing_and_the_worker_confirms(
    client,
    store_connection,  # noqa: F811
    control,  # noqa: F811
    worker,
    django_capture_on_commit_callbacks,
):
    record = control.add_customer(BillingFirstName="Hook")
    before = _store_calls(control)
    with django_capture_on_commit_callbacks() as callbacks:
        response = _post(client, [record])
    assert response.status_code == 200 and response.json() == {"status": "received"}
    assert _store_calls(control) == before  # the request asked the store nothing
    assert len(callbacks) == 1  # webhook_event_process, once the rows are committed
    row = WebhookEventTarget.objects.get()
    assert row.connection == store_connection and row.status == Status.UNCONFIRMED

    worker.process_events()
    assert worker.enqueued == [row.pk]  # a row that needs an API call gets its own task
    worker.process_rows()
    row.refresh_from_db()
    # Confirmed, then handed to the flows: no flow reads this store, so it is ignored.
    assert row.status == Status.IGNORED and row.attempts == 1
    assert row.confirmed_payload["customers"][0]["Email"] == record["Email"]
    assert _store_calls(control) == before + 1
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.IGNORED


def test_a_forged_delivery_is_stored_then_rejected_by_the_worker(
    client,
    store_connection,  # noqa: F811
    control,  # noqa: F811
    worker,
):
    forged = {"CustomerID": 987654, "Email": "nobody@example.org"}
    assert _post(client, [forged]).status_code == 200
    worker.process_events()
    worker.process_rows()
    row = WebhookEventTarget.objects.get()
    assert row.status == Status.REJECTED and "no such customer" in row.last_error
    assert row.confirmed_payload is None
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.REJECTED
    assert WebhookRejection.objects.get(provider="shift4shop", reason="unconfirmed").count == 1


def test_connections_sharing_one_store_each_get_a_row(
    client,
    store_connection,  # noqa: F811
    second_connection,
    control,  # noqa: F811
    worker,
):
    record = control.add_customer()
    assert _post(client, [record]).json() == {"status": "received"}
    assert _post(client, [record]).json() == {"status": "duplicate"}
    event = WebhookEvent.objects.get()
    rows = event.targets.order_by("connection_id")
    assert [r.connection for r in rows] == [store_connection, second_connection]
    assert event.connection is None  # the old one-connection view: not one any more

    worker.process_events()
    worker.process_rows()
    assert set(event.targets.values_list("status", flat=True)) == {Status.IGNORED}  # no flow
    for row in event.targets.all():
        assert row.confirmed_payload["customers"][0]["CustomerID"] == record["CustomerID"]


def test_the_cap_holds_under_a_flood_of_forged_posts(
    client,
    store_connection,  # noqa: F811
    second_connection,
    control,  # noqa: F811
    worker,
    settings,
):
    settings.WEBHOOK_CONFIRMATIONS_PER_MINUTE = 3
    settings.RATE_BUDGET_REDIS_URL = ""  # the database budget, so that time can be travelled
    before = _store_calls(control)
    for n in range(15):
        forged = {"CustomerID": 900_000 + n, "Email": f"forged{n}@example.org"}
        assert _post(client, [forged]).status_code == 200
    assert _store_calls(control) == before  # fifteen posts, no call
    assert WebhookEventTarget.objects.count() == 30  # two connections to the one store

    worker.process_events()
    worker.process_rows()
    # Three read-backs for the store, shared by its two connections; the rest wait.
    assert _store_calls(control) == before + 3
    assert WebhookEventTarget.objects.filter(status=Status.REJECTED).count() == 3
    waiting = WebhookEventTarget.objects.filter(status=Status.UNCONFIRMED)
    assert waiting.count() == 27
    assert set(waiting.values_list("attempts", flat=True)) == {0}  # waiting is no attempt
    assert len(worker.later) == 27 and all(0 < wait <= 60 for _, wait in worker.later)

    # A duplicate task within the minute finds the rows not due: nothing is spent.
    scheduled = [pk for pk, _ in worker.later]
    worker.process_rows(scheduled)
    assert _store_calls(control) == before + 3 and not worker.later

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert len(webhook_targets_due()) == 27  # the sweep would hand them all out
        worker.process_rows(scheduled)
    assert _store_calls(control) == before + 6
    assert WebhookEventTarget.objects.filter(status=Status.REJECTED).count() == 6


def test_rows_are_claimed_once(store_connection, worker):  # noqa: F811
    event, _ = webhook_event_store(
        provider="shift4shop",
        event_id="claimed-once",
        event_type="Customer New",
        payload={},
        connections=[store_connection],
    )
    [row] = event.targets.all()
    tasks.webhook_event_process(event.pk)
    tasks.webhook_event_process(event.pk)  # a redelivered task finds nothing to do
    worker.process_rows([row.pk])
    row.refresh_from_db()
    event.refresh_from_db()
    assert row.status == Status.IGNORED and row.attempts == 1  # no change in it, no flow
    assert event.status == WebhookEvent.Status.IGNORED and event.attempts == 1


def test_an_event_for_no_connection_is_ignored(db):
    event, _ = webhook_event_store(
        provider="highlevel", event_id="nobody", event_type="ContactCreate", payload={}
    )
    tasks.webhook_event_process(event.pk)
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.IGNORED and not event.targets.exists()


def test_a_redelivered_event_is_stored_once_and_counted_as_a_duplicate(db):
    first, created = webhook_event_store(
        provider="highlevel", event_id="twice", event_type="ContactCreate", payload={"a": 1}
    )
    assert created and first.duplicates == 0
    again, created_again = webhook_event_store(
        provider="highlevel", event_id="twice", event_type="ContactCreate", payload={"a": 2}
    )
    assert not created_again and again.pk == first.pk
    assert again.duplicates == 1 and again.last_duplicate_at is not None
    assert again.payload == {"a": 1}  # the first delivery's body is the one kept
    assert WebhookEvent.objects.filter(event_id="twice").count() == 1
