"""The sync tasks, called directly as a worker would (no ALWAYS_EAGER): changes_process
applies due pending changes against the sandboxes (Ecwid -> HighLevel over real HTTP), and
the beats start runs at the right times, refuse a second run in flight and requeue runs
whose worker died. Enqueueing is checked on the transaction's on-commit callbacks."""

import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from integrations.providers.base import ChangeAction, ChangeEvent, Identity, ObjectType
from integrations.providers.registry import adapter_for
from sync import tasks, triggers
from sync.models import Flow, PendingChange, RecordLink, Run, RunItem
from sync.runner import run_changes
from sync.runs import RunRefused, run_start
from sync.triggers import (
    LEASE,
    pending_change_upsert,
    pending_changes_claim,
    pending_changes_release,
)
from tests.factories import FlowFactory
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID
from tests.sync.conftest import ecwid_to_highlevel
from tests.sync.test_triggers import relay_deliveries, work_inbox

Change = PendingChange.Status
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday, in winter time on both coasts


def _sent(callbacks) -> list[tuple[str, tuple]]:
    """(task name, args) of each `delay_on_commit` (or `send_task` by name) the callbacks hold."""
    sent = []
    for callback in callbacks:
        if callback.func.__name__ == "send_task":
            sent.append((callback.args[0], tuple(callback.keywords["args"])))
        else:
            sent.append((callback.func.__self__.name, callback.args))
    return sent


def _finish(run_id: int) -> None:
    Run.objects.filter(pk=run_id).update(status=Run.Status.SUCCEEDED, in_flight=False)


# --- against the sandboxes ---------------------------------------------------------------------
@pytest.fixture
def flow(sandboxes, workspace, owner):
    """The shared flow, taking its changes from webhooks."""
    ECWID.clear_webhooks()
    return ecwid_to_highlevel(workspace, owner, trigger_webhook=True)


def _customer(name: str = "Webhook") -> tuple[str, str]:
    """A new customer in the Ecwid sandbox, "made in the Ecwid admin": (id, e-mail)."""
    email = f"{uuid.uuid4().hex[:12]}@example.org"
    created = ECWID._admin(
        "POST", "", json={"email": email, "billingPerson": {"name": f"{name} Person"}}
    )
    return str(created["id"]), email


def _in_highlevel(flow: Flow, email: str) -> list[dict]:
    return adapter_for(flow.target_connection, ObjectType.CONTACT).find(Identity(email=email))


def _change(flow: Flow, source_id: str) -> ChangeEvent:
    return ChangeEvent(
        connection_id=flow.source_connection_id,
        object_type=ObjectType.CONTACT,
        external_id=source_id,
        action=ChangeAction.UPDATED,
    )


def _pending(flow: Flow, source_id: str, **fields) -> PendingChange:
    return PendingChange.objects.create(flow=flow, source_id=source_id, **fields)


def test_due_changes_are_applied_and_future_ones_wait(flow):
    due_id, due_email = _customer()
    later_id, later_email = _customer()
    due = _pending(flow, due_id, action="created")
    wait_until = timezone.now() + timedelta(hours=1)
    later = _pending(flow, later_id, action="updated", attempts=1, not_before=wait_until)

    assert tasks.changes_process(flow.pk) == 1
    run = Run.objects.get(flow=flow)
    assert (run.trigger, run.dry_run, run.in_flight) == ("webhook", False, False)
    assert run.status == Run.Status.SUCCEEDED and run.created == 1, run.message
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == Change.DONE
    assert later.status == Change.PENDING and later.not_before == wait_until
    assert [c["email"] for c in _in_highlevel(flow, due_email)] == [due_email]
    assert not _in_highlevel(flow, later_email)

    assert tasks.changes_process(flow.pk) == 0  # nothing due: no run
    assert Run.objects.filter(flow=flow).count() == 1

    PendingChange.objects.filter(pk=later.pk).update(not_before=timezone.now())
    assert tasks.changes_process(flow.pk) == 1
    assert Run.objects.filter(flow=flow).latest("pk").trigger == "retry"  # it had failed once
    assert len(_in_highlevel(flow, later_email)) == 1


def test_a_sandbox_webhook_reaches_highlevel_and_a_redelivery_writes_nothing(
    client, flow, django_capture_on_commit_callbacks
):
    customer_id, email = _customer("Before")
    relay_deliveries(client)
    with django_capture_on_commit_callbacks() as callbacks:
        work_inbox()
    assert [cb.keywords["args"] for cb in callbacks] == [(flow.pk,)]
    assert tasks.changes_process(flow.pk) == 1
    [contact] = _in_highlevel(flow, email)
    link = RecordLink.objects.get(flow=flow, source_id=customer_id)
    assert link.target_id == contact["id"]

    ECWID._admin("PUT", f"/{customer_id}", json={"billingPerson": {"name": "After Person"}})
    deliveries = ECWID.webhook_deliveries()
    for body, headers in deliveries + deliveries:  # delivered twice: one pending change
        client.post(
            "/webhooks/ecwid/",
            body,
            content_type="application/json",
            headers={"X-Ecwid-Webhook-Signature": headers["X-Ecwid-Webhook-Signature"]},
        )
    work_inbox()
    assert PendingChange.objects.filter(flow=flow, status=Change.PENDING).count() == 1
    assert tasks.changes_process(flow.pk) == 1
    [contact] = _in_highlevel(flow, email)
    assert "After" in f"{contact.get('firstName')} {contact.get('lastName')}", contact
    assert Run.objects.filter(flow=flow).latest("pk").updated == 1

    # The same change again (a late redelivery, a replay): the record reads the same, so
    # nothing is written.
    pending_change_upsert(
        flow=flow,
        event=_change(flow, customer_id),
    )
    assert tasks.changes_process(flow.pk) == 1
    again = Run.objects.filter(flow=flow).latest("pk")
    assert (again.unchanged, again.created, again.updated) == (1, 0, 0)


def test_a_test_mode_flow_dry_runs_its_changes_and_marks_them_done(flow):
    flow.mode = Flow.Mode.TEST
    flow.save()
    customer_id, email = _customer()
    change = _pending(flow, customer_id, action="created")
    missing = _pending(flow, "999999999", action="updated")  # fails: would be retried if live

    assert tasks.changes_process(flow.pk) == 2
    run = Run.objects.get(flow=flow)
    assert run.dry_run and run.created == 1, (run.message, list(run.items.values()))
    assert set(PendingChange.objects.values_list("status", flat=True)) == {Change.DONE}
    assert not RecordLink.objects.filter(flow=flow).exists()
    assert not _in_highlevel(flow, email)
    assert change.pk and missing.pk


def test_a_change_touched_while_it_is_applied_is_pending_again(flow):
    customer_id, _ = _customer()
    _pending(flow, customer_id, action="created")
    claim = pending_changes_claim(flow_id=flow.pk)
    assert claim is not None and len(claim.change_ids) == 1
    # A newer delivery arrives while the runner works: it joins the claimed change.
    pending_change_upsert(flow=flow, event=_change(flow, customer_id))
    assert PendingChange.objects.count() == 1
    run_changes(run_id=claim.run_id, change_ids=claim.change_ids)
    assert PendingChange.objects.get().status == Change.DONE  # the runner could not know
    pending_changes_release(claim=claim)
    change = PendingChange.objects.get()
    assert change.status == Change.PENDING and change.not_before is None
    assert tasks.changes_process(flow.pk) == 1
    assert PendingChange.objects.get().status == Change.DONE
    assert Run.objects.filter(flow=flow).latest("pk").unchanged == 1


def test_changes_neither_wait_for_nor_block_a_flow_run(flow):
    bulk = run_start(flow=flow, trigger="manual")
    customer_id, email = _customer()
    _pending(flow, customer_id)
    assert tasks.changes_process(flow.pk) == 1
    bulk.refresh_from_db()
    assert bulk.in_flight and bulk.status == Run.Status.QUEUED
    assert len(_in_highlevel(flow, email)) == 1
    with pytest.raises(RunRefused):
        run_start(flow=flow, trigger="manual")  # the bulk run still holds the flow


def test_a_run_whose_worker_died_is_requeued_and_resumes(flow, django_capture_on_commit_callbacks):
    run = run_start(flow=flow, trigger="poll")
    dead = timezone.now() - timedelta(minutes=11)
    Run.objects.filter(pk=run.pk).update(
        status=Run.Status.RUNNING, started_at=dead, heartbeat_at=dead
    )
    with django_capture_on_commit_callbacks() as callbacks:
        assert tasks.runs_reset_stale() == 1
    assert _sent(callbacks) == [("sync.tasks.run_flow", (run.pk,))]
    run.refresh_from_db()
    assert run.status == Run.Status.QUEUED and run.in_flight
    assert tasks.run_flow(run.pk) == Run.Status.SUCCEEDED
    run.refresh_from_db()
    assert not run.in_flight and run.processed >= ECWID.seeded


# --- the beats (no API call) -------------------------------------------------------------------
def test_polls_start_when_due_and_skip_while_a_run_is_in_flight(
    db, django_capture_on_commit_callbacks
):
    flow = FlowFactory(poll_minutes=15)
    FlowFactory(poll_minutes=15, mode=Flow.Mode.TEST)  # a dry run writes no cursor: not polled
    FlowFactory(poll_minutes=15, enabled=False, paused_reason="paused")
    FlowFactory()  # no polling

    def tick(minutes: int) -> list[tuple[str, tuple]]:
        with (
            time_machine.travel(T0 + timedelta(minutes=minutes), tick=False),
            django_capture_on_commit_callbacks() as callbacks,
        ):
            tasks.flows_poll_due()
        return _sent(callbacks)

    [(name, (run_id,))] = tick(0)
    run = Run.objects.get()
    assert name == "sync.tasks.run_flow" and run_id == run.pk
    assert (run.flow, run.trigger, run.dry_run, run.in_flight) == (flow, "poll", False, True)
    assert tick(10) == []
    assert tick(15) == []  # due, but the first run is still in flight: refused
    flow.refresh_from_db()
    assert flow.last_polled_at == T0 + timedelta(minutes=15)
    assert Run.objects.count() == 1
    _finish(run.pk)
    assert tick(20) == []
    assert len(tick(30)) == 1  # 15 minutes after the last try
    assert Run.objects.filter(flow=flow, trigger="poll").count() == 2


def test_a_poll_a_few_seconds_early_is_not_put_off_a_minute(db):
    flow = FlowFactory(poll_minutes=5, last_polled_at=T0)
    with time_machine.travel(T0 + timedelta(minutes=5, seconds=-2), tick=False):
        assert tasks.flows_poll_due() == 1
    assert Run.objects.get().flow == flow


def test_the_daily_schedule_runs_once_a_day_at_its_local_time(
    db, django_capture_on_commit_callbacks
):
    flow = FlowFactory(schedule_time=time(9, 0), schedule_timezone="America/New_York")
    FlowFactory(schedule_time=time(9, 0), schedule_timezone="America/New_York", enabled=False)

    def at(when: datetime) -> int:
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks() as callbacks,
        ):
            started = tasks.flows_schedule_due()
        assert len(callbacks) == started
        return started

    nine_am = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 in New York (UTC-5)
    assert at(nine_am - timedelta(minutes=1)) == 0
    assert at(nine_am) == 1
    run = Run.objects.get()
    assert (run.flow, run.trigger) == (flow, "schedule")
    flow.refresh_from_db()
    assert flow.last_scheduled_on == date(2026, 3, 2)
    _finish(run.pk)
    assert at(nine_am + timedelta(hours=3)) == 0  # once a day
    assert at(nine_am + timedelta(days=1, minutes=-1)) == 0
    assert at(nine_am + timedelta(days=1)) == 1


def test_a_schedule_counts_days_where_the_flow_lives(db):
    """23:30 in Los Angeles is already tomorrow in UTC: the day is Los Angeles's."""
    flow = FlowFactory(schedule_time=time(23, 30), schedule_timezone="America/Los_Angeles")
    with time_machine.travel(datetime(2026, 3, 3, 7, 29, tzinfo=UTC), tick=False):
        assert tasks.flows_schedule_due() == 0
    with time_machine.travel(datetime(2026, 3, 3, 7, 30, tzinfo=UTC), tick=False):
        assert tasks.flows_schedule_due() == 1
    flow.refresh_from_db()
    assert flow.last_scheduled_on == date(2026, 3, 2)
    Run.objects.update(in_flight=False, status=Run.Status.SUCCEEDED)
    with time_machine.travel(datetime(2026, 3, 3, 12, 0, tzinfo=UTC), tick=False):
        assert tasks.flows_schedule_due() == 0  # still March 2nd's run in Los Angeles


def test_a_scheduled_run_is_refused_while_another_is_in_flight(db):
    flow = FlowFactory(schedule_time=time(6, 0))
    busy = run_start(flow=flow, trigger="manual")
    with time_machine.travel(T0, tick=False):
        assert tasks.flows_schedule_due() == 0
    assert list(Run.objects.all()) == [busy]
    flow.refresh_from_db()
    assert flow.last_scheduled_on == T0.date()  # the running run covers today


def test_an_unknown_time_zone_starts_nothing(db):
    FlowFactory(schedule_time=time(0, 0), schedule_timezone="Mars/Olympus_Mons")
    with time_machine.travel(T0, tick=False):
        assert tasks.flows_schedule_due() == 0


def test_retries_are_handed_out_when_their_wait_is_over(db, django_capture_on_commit_callbacks):
    retry = FlowFactory()
    waiting = FlowFactory()
    paused = FlowFactory(enabled=False)
    fresh = FlowFactory()
    with time_machine.travel(T0, tick=False):
        _pending(retry, "1", attempts=1, not_before=T0 - timedelta(seconds=1))
        _pending(waiting, "2", attempts=1, not_before=T0 + timedelta(minutes=5))
        _pending(paused, "3", attempts=1, not_before=T0 - timedelta(hours=1))
        _pending(fresh, "4")  # its own task was enqueued when it arrived
        _pending(fresh, "5", status=Change.DEAD)
        with django_capture_on_commit_callbacks() as callbacks:
            assert tasks.retries_due() == 1
    assert _sent(callbacks) == [("sync.tasks.changes_process", (retry.pk,))]
    with (
        time_machine.travel(T0 + timedelta(minutes=2), tick=False),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        tasks.retries_due()  # the fresh one's task never came: the beat hands it out
    # ...but not the retry's again: its task, queued two minutes ago, will take it.
    assert _sent(callbacks) == [("sync.tasks.changes_process", (fresh.pk,))]
    with (
        time_machine.travel(T0 + timedelta(minutes=2, seconds=1), tick=False),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        tasks.retries_due()  # now that one is overdue (lost with its worker): again
    assert _sent(callbacks) == [("sync.tasks.changes_process", (retry.pk,))]
    idle = FlowFactory(changes_queued_at=timezone.now())
    assert tasks.changes_process(idle.pk) == 0  # a queued task starts (nothing due here)...
    idle.refresh_from_db()
    assert idle.changes_queued_at is None  # ...so the next change queues a task again


def test_one_queued_task_per_flow_takes_a_burst_of_changes(db, django_capture_on_commit_callbacks):
    """A storm of webhooks queues one changes_process per flow until that task starts, not
    one per delivery; the task that starts takes them all in one run."""
    flow = FlowFactory(trigger_webhook=True)
    with django_capture_on_commit_callbacks() as callbacks:
        for n in range(50):
            event = ChangeEvent(
                connection_id=flow.source_connection_id,
                object_type=ObjectType(flow.object_type),
                external_id=str(n),
                action=ChangeAction.UPDATED,
                occurred_at=None,
                event_id=uuid.uuid4().hex,
            )
            triggers.changes_received([event])
    assert _sent(callbacks) == [("sync.tasks.changes_process", (flow.pk,))]
    claim = triggers.pending_changes_claim(flow_id=flow.pk)
    assert len(claim.change_ids) == 50


def test_a_live_flow_whose_mapping_is_broken_keeps_its_changes_waiting(db):
    flow = FlowFactory()
    flow.mapping.problems = [{"kind": "spec", "message": "broken"}]
    flow.mapping.save()
    change = _pending(flow, "1")
    assert tasks.changes_process(flow.pk) == 0
    assert not Run.objects.exists()
    change.refresh_from_db()
    assert change.status == Change.PENDING and change.not_before is None
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert tasks.retries_due() == 0


def test_a_paused_flow_applies_nothing(db):
    flow = FlowFactory(enabled=False, paused_reason="paused")
    _pending(flow, "1")
    assert tasks.changes_process(flow.pk) == 0
    assert not Run.objects.exists()


def test_claims_lease_their_changes_so_no_other_worker_takes_them(db):
    flow = FlowFactory()
    for n in range(5):
        _pending(flow, str(n))
    with time_machine.travel(T0, tick=False):
        first = pending_changes_claim(flow_id=flow.pk, limit=3)
        second = pending_changes_claim(flow_id=flow.pk, limit=3)
        assert pending_changes_claim(flow_id=flow.pk) is None
    assert len(first.change_ids) == 3 and len(second.change_ids) == 2
    assert not set(first.change_ids) & set(second.change_ids)
    assert set(PendingChange.objects.values_list("not_before", flat=True)) == {T0 + LEASE}
    assert Run.objects.filter(in_flight=False, trigger="webhook").count() == 2
    # The worker died: once the lease is over the changes are due again.
    with time_machine.travel(T0 + LEASE + timedelta(seconds=1), tick=False):
        again = pending_changes_claim(flow_id=flow.pk, limit=10)
    assert sorted(again.change_ids) == sorted(first.change_ids + second.change_ids)


def test_stale_runs_are_requeued_but_a_stale_change_run_is_closed(
    db, django_capture_on_commit_callbacks
):
    flow, other = FlowFactory(), FlowFactory()
    dead = T0 - timedelta(minutes=11)
    stale = Run.objects.create(flow=flow, trigger="poll", status="running", heartbeat_at=dead)
    changes = Run.objects.create(
        flow=flow, trigger="webhook", status="running", in_flight=False, heartbeat_at=dead
    )
    alive = Run.objects.create(
        flow=other, trigger="poll", status="running", heartbeat_at=T0 - timedelta(minutes=1)
    )
    with (
        time_machine.travel(T0, tick=False),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        assert tasks.runs_reset_stale() == 1
    assert _sent(callbacks) == [("sync.tasks.run_flow", (stale.pk,))]
    for run in (stale, changes, alive):
        run.refresh_from_db()
    assert stale.status == Run.Status.QUEUED and stale.in_flight
    assert changes.status == Run.Status.FAILED and "tried again" in changes.message
    assert alive.status == Run.Status.RUNNING


def test_a_run_that_raises_is_closed_and_its_changes_come_back(db, monkeypatch):
    flow = FlowFactory()
    change = _pending(flow, "1")

    def broken(**kwargs):
        raise RuntimeError("runner bug")

    monkeypatch.setattr(tasks, "run_changes", broken)
    with pytest.raises(RuntimeError):
        tasks.changes_process(flow.pk)
    run = Run.objects.get()
    assert run.status == Run.Status.FAILED and "RuntimeError" in run.message
    change.refresh_from_db()
    assert change.status == Change.PENDING and change.not_before > timezone.now()
    assert not RunItem.objects.exists()


def test_tasks_go_to_their_queues():
    router = tasks.run_flow.app.amqp.router
    queues = {
        name: router.route({}, f"sync.tasks.{name}")["queue"].name
        for name in (
            "run_flow",
            "changes_process",
            "flows_poll_due",
            "flows_schedule_due",
            "retries_due",
            "runs_reset_stale",
            "runs_resume_waiting",
            "runs_prune",
        )
    }
    assert queues.pop("run_flow") == "bulk"
    assert set(queues.values()) == {"realtime"}
    assert router.route({}, "integrations.tasks.token_refresh")["queue"].name == "celery"


def test_the_beats_are_scheduled():
    beats = tasks.run_flow.app.conf.beat_schedule.values()
    schedule = {entry["task"]: entry["schedule"] for entry in beats}
    assert schedule["sync.tasks.flows_poll_due"] == 60
    assert schedule["sync.tasks.flows_schedule_due"] == 60
    assert schedule["sync.tasks.retries_due"] == 60
    assert schedule["sync.tasks.runs_reset_stale"] == 300
    assert schedule["sync.tasks.runs_resume_waiting"] == 60
    assert schedule["sync.tasks.runs_prune"] == 24 * 3600


def test_old_finished_runs_are_pruned_with_their_records_but_live_ones_kept(db):
    from sync.runs import runs_prune
    from tests.factories import FlowFactory, RunFactory

    flow = FlowFactory()
    long_ago = timezone.now() - timedelta(days=31)
    old = RunFactory(flow=flow)
    RunItem.objects.create(run=old, source_id="1", outcome="created")
    waiting = RunFactory(flow=flow, status="waiting", in_flight=True)
    recent = RunFactory(flow=flow)
    Run.objects.filter(pk__in=[old.pk, waiting.pk]).update(queued_at=long_ago)
    link = RecordLink.objects.create(flow=flow, source_id="1", target_id="a", last_run=old)

    from sync.models import DriftReport

    old_report = DriftReport.objects.create(flow=flow, status="done")
    DriftReport.objects.filter(pk=old_report.pk).update(started_at=long_ago)
    running = DriftReport.objects.create(flow=flow)
    DriftReport.objects.filter(pk=running.pk).update(started_at=long_ago)

    assert runs_prune(chunk=1) == 1
    assert list(DriftReport.objects.values_list("pk", flat=True)) == [running.pk]

    assert set(Run.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
    assert not RunItem.objects.filter(run_id=old.pk).exists()
    link.refresh_from_db()
    assert link.last_run is None  # the link stays: it is what stops a second write
    assert runs_prune() == 0
