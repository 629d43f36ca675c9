"""Webhooks -> flows: the Ecwid sandbox sends signed deliveries over real HTTP, the receive
view stores them, the inbox worker hands each verified row to the flows (through
integrations.changes, so integrations never imports sync), and each matching flow gets one
pending change per record, whatever arrived twice or out of order."""

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from integrations import tasks as inbox_tasks
from integrations.changes import change_listener_add, change_listener_remove, changes_publish
from integrations.inbox import MAX_ATTEMPTS, webhook_event_store, webhook_target_changes
from integrations.models import WebhookEvent, WebhookEventTarget
from integrations.providers.base import ChangeAction, ChangeEvent, ObjectType
from integrations.providers.ecwid.webhooks import SIGNATURE_HEADER
from sync.models import Flow, PendingChange
from sync.triggers import CHANGES_TASK, changes_received, pending_change_upsert
from tests.factories import ConnectionFactory, FlowFactory
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID

URL = reverse("integrations:webhook-receive", args=["ecwid"])
Row = WebhookEventTarget.Status
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sandbox():
    ECWID.start()
    yield
    ECWID.stop()


@pytest.fixture
def store(sandbox, workspace):
    """A connection to the sandbox store (its client secret signs the deliveries)."""
    ECWID.clear_webhooks()
    return ECWID.make_connection(workspace)


def _flow(store, **fields) -> Flow:
    fields.setdefault("trigger_webhook", True)
    return FlowFactory(workspace=store.workspace, source_connection=store, **fields)


def relay_deliveries(client) -> list[dict]:
    """Post what the sandbox sent (caught by the harness's receiver) to our receive view,
    byte for byte with its signature; returns the view's answers."""
    answers = []
    for body, headers in ECWID.webhook_deliveries():
        event_type = json.loads(body)["eventType"]
        response = client.post(
            f"{URL}?eventtype={event_type}",
            body,
            content_type="application/json",
            headers={SIGNATURE_HEADER: headers[SIGNATURE_HEADER]},
        )
        assert response.status_code == 200, response.content
        answers.append(response.json())
    return answers


def work_inbox() -> None:
    """What the inbox worker does with each stored delivery."""
    for pk in WebhookEvent.objects.order_by("pk").values_list("pk", flat=True):
        inbox_tasks.webhook_event_process(pk)


def _sandbox_customer() -> str:
    created = ECWID._admin("POST", "", json={"email": f"{uuid.uuid4().hex[:12]}@example.org"})
    return str(created["id"])


def _enqueued(callbacks) -> list[int]:
    """The flows whose changes_process was sent (by name, to the realtime route)."""
    flow_ids = []
    for callback in callbacks:
        assert callback.args == (CHANGES_TASK,), callback
        flow_ids.extend(callback.keywords["args"])
    return flow_ids


def _event(connection, external_id="77", action=ChangeAction.UPDATED, at=None, event_id=None):
    return ChangeEvent(
        connection_id=connection.pk,
        object_type=ObjectType.CONTACT,
        external_id=external_id,
        action=action,
        occurred_at=at,
        event_id=event_id or uuid.uuid4().hex,
    )


# --- from the sandbox, over HTTP ---------------------------------------------------------------
def test_a_sandbox_webhook_becomes_one_pending_change_per_matching_flow(
    client, store, django_capture_on_commit_callbacks
):
    live = _flow(store, name="Live")
    testing = _flow(store, name="Testing", mode=Flow.Mode.TEST)
    paused = _flow(store, name="Paused", enabled=False, paused_reason="by hand")
    polled = _flow(store, name="Polled only", trigger_webhook=False, poll_minutes=15)
    elsewhere = FlowFactory(workspace=store.workspace, trigger_webhook=True)  # another store

    customer_id = _sandbox_customer()
    assert relay_deliveries(client) == [{"status": "received"}]
    with django_capture_on_commit_callbacks() as callbacks:
        work_inbox()

    row = WebhookEventTarget.objects.get()
    assert row.connection == store and row.status == Row.PROCESSED
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.PROCESSED
    changes = PendingChange.objects.order_by("flow_id")
    assert [(c.flow, c.source_id, c.action) for c in changes] == [
        (live, customer_id, "created"),
        (testing, customer_id, "created"),
    ]
    assert all(c.origin == "webhook" and c.status == "pending" for c in changes)
    assert all(c.not_before is None and c.occurred_at for c in changes)
    assert sorted(_enqueued(callbacks)) == [live.pk, testing.pk]  # once committed
    for flow in (paused, polled, elsewhere):
        assert not flow.pending_changes.exists()


def test_a_verified_row_no_flow_wants_is_ignored(client, store, django_capture_on_commit_callbacks):
    _flow(store, name="Polled only", trigger_webhook=False, poll_minutes=5)
    _sandbox_customer()
    assert relay_deliveries(client) == [{"status": "received"}]
    with django_capture_on_commit_callbacks() as callbacks:
        work_inbox()
    assert WebhookEventTarget.objects.get().status == Row.IGNORED
    assert WebhookEvent.objects.get().status == WebhookEvent.Status.IGNORED
    assert not PendingChange.objects.exists() and not callbacks


def test_a_redelivered_and_a_repeated_change_collapse_into_one(client, store):
    flow = _flow(store)
    customer_id = _sandbox_customer()
    ECWID.change_outside(customer_id, 1)
    ECWID.change_outside(customer_id, 2)
    deliveries = ECWID.webhook_deliveries()
    assert len(deliveries) == 3  # created, updated, updated
    for body, headers in deliveries + deliveries[1:]:  # Ecwid resends what it thinks failed
        client.post(
            URL,
            body,
            content_type="application/json",
            headers={SIGNATURE_HEADER: headers[SIGNATURE_HEADER]},
        )
    assert WebhookEvent.objects.count() == 3  # the inbox keeps one row per eventId
    work_inbox()
    change = PendingChange.objects.get(flow=flow)
    assert change.source_id == customer_id and change.action == "created"
    assert change.event_id == json.loads(deliveries[-1][0])["eventId"]


def test_a_delete_after_an_update_leaves_a_delete(client, store):
    flow = _flow(store)
    customer_id = _sandbox_customer()
    ECWID.change_outside(customer_id, 1)
    ECWID.remove_outside(customer_id)
    relay_deliveries(client)
    work_inbox()
    change = PendingChange.objects.get(flow=flow)
    assert (change.source_id, change.action) == (customer_id, "deleted")
    assert set(WebhookEventTarget.objects.values_list("status", flat=True)) == {Row.PROCESSED}


# --- the collapse rules ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        # (action, minutes after T0), in arrival order -> the pending action
        (("updated", 0), ("deleted", 1), "deleted"),
        (("deleted", 1), ("updated", 0), "deleted"),  # a late, older update
        (("updated", 0), ("deleted", None), "deleted"),  # cannot tell: the delete wins
        (("deleted", None), ("updated", 5), "deleted"),
        (("deleted", 0), ("updated", 0), "deleted"),  # at the same time: the delete wins
        (("deleted", 0), ("updated", 5), "updated"),  # known to be newer: reactivated
        (("updated", 5), ("deleted", 0), "updated"),  # a late delete from before it
        (("created", 0), ("updated", 1), "created"),
        (("updated", 0), ("created", 1), "created"),
    ],
)
def test_pending_changes_collapse_per_record(db, first, second, expected):
    flow = FlowFactory(trigger_webhook=True)

    def at(minutes):
        return None if minutes is None else T0 + timedelta(minutes=minutes)

    one = pending_change_upsert(
        flow=flow, event=_event(flow.source_connection, action=first[0], at=at(first[1]))
    )
    two = pending_change_upsert(
        flow=flow, event=_event(flow.source_connection, action=second[0], at=at(second[1]))
    )
    assert one.pk == two.pk and PendingChange.objects.count() == 1
    two.refresh_from_db()
    assert two.action == expected


def test_the_newest_event_names_the_change_whatever_the_arrival_order(db):
    flow = FlowFactory(trigger_webhook=True)
    source = flow.source_connection
    pending_change_upsert(flow=flow, event=_event(source, at=T0, event_id="b"))
    pending_change_upsert(flow=flow, event=_event(source, at=T0 - timedelta(hours=1), event_id="a"))
    change = PendingChange.objects.get()
    assert (change.event_id, change.occurred_at) == ("b", T0)
    pending_change_upsert(flow=flow, event=_event(source, at=T0 + timedelta(hours=1), event_id="c"))
    change.refresh_from_db()
    assert (change.event_id, change.occurred_at) == ("c", T0 + timedelta(hours=1))


def test_a_done_or_dead_change_does_not_absorb_a_new_one(db):
    flow = FlowFactory(trigger_webhook=True)
    old = PendingChange.objects.create(flow=flow, source_id="77", status=PendingChange.Status.DEAD)
    new = pending_change_upsert(flow=flow, event=_event(flow.source_connection))
    assert new.pk != old.pk and new.status == PendingChange.Status.PENDING


def test_only_the_flows_object_type_is_taken(db, django_capture_on_commit_callbacks):
    flow = FlowFactory(trigger_webhook=True)
    task = ChangeEvent(
        connection_id=flow.source_connection_id,
        object_type=ObjectType.TASK,
        external_id="t1",
        action=ChangeAction.CREATED,
    )
    with django_capture_on_commit_callbacks() as callbacks:
        assert changes_received([task]) == 0
        assert changes_received([task, _event(flow.source_connection)]) == 1
    assert _enqueued(callbacks) == [flow.pk]


# --- the inbox's hand-over -----------------------------------------------------------------------
def test_a_confirmed_row_is_read_from_what_the_store_vouched_for(db):
    """Shift4Shop cannot sign: the posted body is a hint, the read-back is the truth."""
    connection = ConnectionFactory(provider="shift4shop", settings={"secure_url": "s.example"})
    posted = {"event": "Customer New", "customers": [{"CustomerID": 1}], "confirmed": False}
    event, _ = webhook_event_store(
        provider="shift4shop",
        event_id="s4s-1",
        event_type="Customer New",
        payload=posted,
        connections=[connection],
    )
    row = event.targets.get()
    assert [c.external_id for c in webhook_target_changes(row)] == ["1"]
    assert [c.record for c in webhook_target_changes(row)] == [None]  # not confirmed
    vouched = copy.deepcopy(posted)
    vouched["customers"] = [{"CustomerID": 2, "Email": "real@example.org"}]
    vouched["confirmed"] = True
    row.confirmed_payload = vouched
    [change] = webhook_target_changes(row)
    assert change.external_id == "2" and change.record["Email"] == "real@example.org"
    assert event.payload == posted  # the stored event itself is left as it came


def test_a_listener_that_fails_leaves_the_row_to_be_tried_again(db, monkeypatch):
    connection = ConnectionFactory(provider="ecwid")
    payload = {"eventType": "customer.updated", "entityId": 5, "eventCreated": 1_700_000_000}
    event, _ = webhook_event_store(
        provider="ecwid",
        event_id="fails",
        event_type="customer.updated",
        payload=payload,
        connections=[connection],
    )
    FlowFactory(workspace=connection.workspace, source_connection=connection, trigger_webhook=True)

    def broken(events):
        raise RuntimeError("listener bug")

    change_listener_add(broken)
    later = []
    monkeypatch.setattr(
        inbox_tasks.webhook_target_process,
        "apply_async",
        lambda args, countdown: later.append(countdown),
    )
    try:
        inbox_tasks.webhook_event_process(event.pk)
        row = event.targets.get()
        assert row.status == Row.PENDING and "RuntimeError" in row.last_error
        assert later and later[0] > 0
        assert not PendingChange.objects.exists()  # the good listener's work rolled back too
        for _ in range(MAX_ATTEMPTS):
            WebhookEventTarget.objects.filter(pk=row.pk).update(not_before=None)
            inbox_tasks.webhook_target_process(row.pk)
        row.refresh_from_db()
        assert row.status == Row.FAILED
    finally:
        change_listener_remove(broken)
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.FAILED


def test_publishing_nothing_asks_no_listener(db):
    calls = []

    def listener(events):
        calls.append(events)
        return len(events)

    change_listener_add(listener)
    change_listener_add(listener)  # registering twice (a reloaded app) is once
    try:
        assert changes_publish([]) == 0 and not calls
        assert changes_publish([_event(ConnectionFactory())]) == 1 and len(calls) == 1
    finally:
        change_listener_remove(listener)
