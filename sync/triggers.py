"""What starts work on a flow: webhook changes (queued as PendingChanges), polls, daily
schedules, retries, and runs whose worker died. The tasks in `sync.tasks` call these.

Delivery is at least once, in any order: every change of one record collapses into one
pending row per flow, and the runner reads the record again when it applies it, so the
newest state wins whatever arrived twice or late.

Test mode: a test-mode flow's webhook changes are applied as a dry run (shown, nothing
written) and then marked done, so going live later starts from the poll cursor or a
backfill, not from the changes seen while testing. Polls and daily schedules start runs of
live flows only: a dry run writes no cursor, so each one would read the whole source again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from celery import current_app
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from integrations.providers.base import ChangeAction, ChangeEvent
from sync.models import Flow, PendingChange, RecordLink, Run
from sync.runs import STALE_AFTER, RunRefused, run_start, runs_reset_stale

logger = logging.getLogger(__name__)

# Named, not imported: `sync.tasks` calls this module, so importing it back would be a loop.
CHANGES_TASK = "sync.tasks.changes_process"
CHUNK = 100  # pending changes per run
# A claimed change is left alone this long: longer than changes_process's hard time limit,
# so a worker that died holding it gives it up and `retries_due` hands it out again.
LEASE = timedelta(minutes=20)
# A webhook change this much older than the last read of its record is in what was read.
COVERED_MARGIN = timedelta(minutes=5)
# A changes_process task queued this long ago that has not started was lost (its worker was
# killed between taking it and starting it, or the broker dropped it): queue another.
QUEUED_TASK_LOST_AFTER = timedelta(minutes=2)
# Fresh webhook changes have a task of their own; the beat picks up those left this long.
UNCLAIMED_GRACE = timedelta(minutes=1)
# Beats run every minute: a poll due a few seconds after the tick is not put off a minute.
POLL_SLACK = timedelta(seconds=30)

Status = PendingChange.Status


# --- webhooks -> pending changes ------------------------------------------------------------
def changes_received(events: Sequence[ChangeEvent]) -> int:
    """Listener of `integrations.changes`: each event becomes (or joins) a pending change of
    every enabled flow that reads its connection and object type by webhook — a change in a
    flow's source goes forward; one in a two-way flow's target goes back. Returns how many
    it took. Each flow's changes are processed once the caller's transaction commits."""
    connection_ids = {event.connection_id for event in events}
    flows = Flow.objects.filter(
        Q(source_connection_id__in=connection_ids)
        | Q(target_connection_id__in=connection_ids, direction=Flow.Direction.TWO_WAY),
        enabled=True,
        trigger_webhook=True,
    ).order_by("pk")
    taken, flow_ids = 0, []
    for flow in flows:
        ways = [(Run.Direction.FORWARD, flow.source_connection_id)]
        if flow.direction == Flow.Direction.TWO_WAY and flow.reverse_mapping_id:
            ways.append((Run.Direction.BACKWARD, flow.target_connection_id))
        for direction, connection_id in ways:
            wanted = (connection_id, flow.object_type)
            for event in events:
                if (event.connection_id, str(event.object_type)) == wanted:
                    pending_change_upsert(flow=flow, event=event, direction=direction)
                    taken += 1
                    if flow.pk not in flow_ids:
                        flow_ids.append(flow.pk)
    for flow_id in flow_ids:
        changes_enqueue(flow_id=flow_id)
    return taken


def changes_enqueue(*, flow_id: int, now=None) -> bool:
    """Queue the flow's changes_process (by name: routed to the realtime queue by
    CELERY_TASK_ROUTES) once the caller's transaction commits — unless one is queued and has
    not started yet: that one will take this change too. So a burst of webhooks costs a task
    now and then, and each run applies many changes, not one. Returns whether it queued."""
    now = now or timezone.now()
    queued = (
        Flow.objects.filter(pk=flow_id)
        .filter(
            Q(changes_queued_at__isnull=True)
            | Q(changes_queued_at__lt=now - QUEUED_TASK_LOST_AFTER)
        )
        .update(changes_queued_at=now)
    )
    if queued:
        transaction.on_commit(partial(current_app.send_task, CHANGES_TASK, args=(flow_id,)))
    return bool(queued)


def changes_task_started(*, flow_id: int) -> None:
    """changes_process has started: the next change queues a task of its own (this one may
    already be past the claim that would have taken it)."""
    Flow.objects.filter(pk=flow_id).update(changes_queued_at=None)


def pending_change_upsert(
    *, flow: Flow, event: ChangeEvent, direction: str = Run.Direction.FORWARD
) -> PendingChange:
    """One pending change per flow and record: a new one, or the pending one updated. A
    delete wins over an update unless the update is known to be newer; the newest event
    (by occurred_at) is the one kept. A change being applied right now stays claimed: the
    task puts it back when the runner is done (see `pending_changes_release`)."""
    for _ in range(3):  # a concurrent delivery of the same record may create it first
        try:
            with transaction.atomic():
                change = (
                    PendingChange.objects.select_for_update()
                    .filter(
                        flow=flow,
                        direction=direction,
                        source_id=event.external_id,
                        status=Status.PENDING,
                    )
                    .first()
                )
                if change is None:
                    return PendingChange.objects.create(
                        flow=flow,
                        direction=direction,
                        source_id=event.external_id,
                        action=str(event.action),
                        origin=PendingChange.Origin.WEBHOOK,
                        event_id=event.event_id[:200],
                        occurred_at=event.occurred_at,
                    )
                _collapse(change, event)
                change.save(update_fields=["action", "event_id", "occurred_at", "updated_at"])
                return change
        except IntegrityError:
            continue
    raise RuntimeError(f"Could not queue the change of {event.external_id} for flow {flow.pk}")


def _order(event: ChangeEvent, change: PendingChange) -> int | None:
    """1 when the event is known to be newer than the pending change, -1 older, 0 at the
    same time, None when either time is unknown."""
    if event.occurred_at is None or change.occurred_at is None:
        return None
    return (event.occurred_at > change.occurred_at) - (event.occurred_at < change.occurred_at)


def _collapse(change: PendingChange, event: ChangeEvent) -> None:
    order = _order(event, change)
    incoming, deleted = str(event.action), ChangeAction.DELETED
    if incoming == deleted:
        if order != -1:  # unless the pending update is known to be newer (a reactivation)
            change.action = deleted
    elif change.action == deleted:
        if order == 1:  # known to be after the delete (Cin7: a customer reactivated)
            change.action = incoming
    elif change.action != ChangeAction.CREATED:
        change.action = incoming  # created or updated alike: the record is read again
    if order != -1:  # newer, as old, or cannot tell: the latest delivery names the change
        change.event_id = event.event_id[:200]
        if order == 1 or change.occurred_at is None:
            change.occurred_at = event.occurred_at


# --- applying pending changes ---------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    run_id: int
    change_ids: list[int]
    claimed_at: datetime
    dry_run: bool


def pending_changes_claim(*, flow_id: int, limit: int = CHUNK, now=None) -> Claim | None:
    """Claim up to `limit` due pending changes of the flow (not_before unset or passed),
    leasing them (`not_before` = now + LEASE) so no other worker takes them, and create the
    run that applies them; None when there is nothing to do. The run is not `in_flight`:
    it neither waits for nor blocks a bulk run of the flow."""
    now = now or timezone.now()
    with transaction.atomic():
        flow = Flow.objects.select_related("mapping").filter(pk=flow_id, enabled=True).first()
        if flow is None:
            return None
        if flow.is_live and not flow.mapping.is_healthy:
            return None  # the changes wait for the mapping to be fixed (no write without it)
        changes = list(
            PendingChange.objects.select_for_update(skip_locked=True)
            .filter(flow_id=flow_id, status=Status.PENDING)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
            .order_by("pk")
            .values_list("pk", "origin", "attempts")[:limit]
        )
        if not changes:
            return None
        ids = [pk for pk, _, _ in changes]
        PendingChange.objects.filter(pk__in=ids).update(not_before=now + LEASE)
        if any(attempts for _, _, attempts in changes):
            trigger = Run.Trigger.RETRY
        elif any(origin == PendingChange.Origin.REPLAY for _, origin, _ in changes):
            trigger = Run.Trigger.REPLAY
        else:
            trigger = Run.Trigger.WEBHOOK
        run = Run.objects.create(
            flow=flow,
            trigger=trigger,
            dry_run=not flow.is_live,
            in_flight=False,
            mapping_version=flow.mapping.version,
            total=len(ids),
        )
    return Claim(run_id=run.pk, change_ids=ids, claimed_at=now, dry_run=run.dry_run)


def pending_changes_release(*, claim: Claim) -> None:
    """After the runner: a dry run's changes are done (shown, never to be written); a change
    that a webhook touched while it was being applied is pending again, so the newer state
    is read too (the runner marked it done without knowing)."""
    changes = PendingChange.objects.filter(pk__in=claim.change_ids)
    touched = Q(updated_at__gt=claim.claimed_at)
    if claim.dry_run:
        changes.filter(status=Status.PENDING).exclude(touched).update(
            status=Status.DONE, not_before=None
        )
        changes.filter(touched, status=Status.PENDING).update(not_before=None)
    for pk in changes.filter(touched, status=Status.DONE).values_list("pk", flat=True):
        try:
            with transaction.atomic():
                PendingChange.objects.filter(pk=pk).update(status=Status.PENDING, not_before=None)
        except IntegrityError:
            pass  # a newer pending change of this record exists: it covers this one


def changes_covered(*, flow: Flow, changes: list[PendingChange]) -> list[PendingChange]:
    """The webhook changes that a later read of their record already saw: the event happened
    well before the record was last read and synced (a backlog: deliveries a sender retried
    after an outage, a storm whose later events found the record synced since), so reading
    it again would only spend the source's API budget to find the same state. The margin
    covers clock skew between the provider and us and the time a read takes.

    One-way flows only: a two-way link's time may be of the other way, which read the other
    system. Retries and replays always run."""
    if flow.direction != Flow.Direction.ONE_WAY:
        return []
    dated = [
        change
        for change in changes
        if change.occurred_at is not None
        and change.direction == Run.Direction.FORWARD
        and change.origin == PendingChange.Origin.WEBHOOK
        and not change.attempts
    ]
    if not dated:
        return []
    synced = dict(
        RecordLink.objects.filter(
            flow=flow,
            source_id__in=[change.source_id for change in dated],
            deleted_at__isnull=True,
            synced_at__isnull=False,
        ).values_list("source_id", "synced_at")
    )
    return [
        change
        for change in dated
        if change.source_id in synced
        and change.occurred_at < synced[change.source_id] - COVERED_MARGIN
    ]


def pending_changes_unlease(*, claim: Claim) -> None:
    """A claim given up (its run stopped with the database): its changes that still hold
    this claim's lease are due again now."""
    PendingChange.objects.filter(
        pk__in=claim.change_ids, status=Status.PENDING, not_before=claim.claimed_at + LEASE
    ).update(not_before=None)


def change_run_fail(*, run_id: int, error: BaseException) -> None:
    """The runner raised before finishing: the run says so; its changes keep their lease
    and are handed out again when it runs out."""
    Run.objects.filter(pk=run_id, status__in=[Run.Status.QUEUED, Run.Status.RUNNING]).update(
        status=Run.Status.FAILED,
        in_flight=False,
        finished_at=timezone.now(),
        message=f"The run stopped unexpectedly ({type(error).__name__}); "
        "its changes are tried again later.",
    )


def flows_with_due_changes(*, now=None) -> list[int]:
    """Flows with pending changes whose wait (retry backoff, a dead worker's lease) is over,
    or fresh ones whose task never came. For the `retries_due` beat."""
    now = now or timezone.now()
    waited = Q(not_before__isnull=True, received_at__lte=now - UNCLAIMED_GRACE)
    due = Q(not_before__lte=now) | waited
    flow_ids = (
        PendingChange.objects.filter(due, status=Status.PENDING, flow__enabled=True)
        .values_list("flow_id", flat=True)
        .distinct()
    )
    flows = Flow.objects.filter(pk__in=list(flow_ids)).select_related("mapping").order_by("pk")
    return [flow.pk for flow in flows if not flow.is_live or flow.mapping.is_healthy]


# --- polls and schedules --------------------------------------------------------------------
def _start(flow: Flow, trigger: str) -> int | None:
    try:
        return run_start(flow=flow, trigger=trigger).pk
    except RunRefused as refused:
        # Another run is in flight: it reads from the same cursor, so it does this run's work.
        logger.info("Flow %s: %s run skipped: %s", flow.pk, trigger, refused)
        return None


def flows_poll_due(*, now=None) -> list[int]:
    """Start a poll of every live flow whose last poll is `poll_minutes` old; returns the
    ids of the runs started. A flow whose run is still in flight skips this poll."""
    now = now or timezone.now()
    started = []
    flows = Flow.objects.filter(enabled=True, mode=Flow.Mode.LIVE, poll_minutes__isnull=False)
    for flow in flows.select_related("mapping").order_by("pk"):
        if flow.last_polled_at and flow.last_polled_at > now - (
            timedelta(minutes=flow.poll_minutes) - POLL_SLACK
        ):
            continue
        # A conditional update: a second beat (or a slow one) cannot poll the flow twice.
        if not Flow.objects.filter(pk=flow.pk, last_polled_at=flow.last_polled_at).update(
            last_polled_at=now
        ):
            continue
        run_id = _start(flow, Run.Trigger.POLL)
        if run_id:
            started.append(run_id)
    return started


def _local_date_if_due(flow: Flow, now: datetime) -> date | None:
    """Today's date where the flow is scheduled, if its time has come today and it has not
    run today; else None."""
    try:
        local = now.astimezone(ZoneInfo(flow.schedule_timezone))
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("Flow %s: unknown time zone %r", flow.pk, flow.schedule_timezone)
        return None
    if local.time() < flow.schedule_time or flow.last_scheduled_on == local.date():
        return None
    return local.date()


def flows_schedule_due(*, now=None) -> list[int]:
    """Start the daily run of every live flow whose `schedule_time` (in its time zone) has
    come today and that has not run today; returns the ids of the runs started."""
    now = now or timezone.now()
    started = []
    flows = Flow.objects.filter(enabled=True, mode=Flow.Mode.LIVE, schedule_time__isnull=False)
    for flow in flows.select_related("mapping").order_by("pk"):
        today = _local_date_if_due(flow, now)
        if today is None:
            continue
        if not Flow.objects.filter(pk=flow.pk, last_scheduled_on=flow.last_scheduled_on).update(
            last_scheduled_on=today
        ):
            continue
        run_id = _start(flow, Run.Trigger.SCHEDULE)
        if run_id:
            started.append(run_id)
    return started


# --- runs whose worker died -----------------------------------------------------------------
def runs_requeue_stale(*, now=None) -> list[int]:
    """Runs whose worker stopped reporting: a flow's run (in flight) is queued again, to
    resume from its cursor and links; returns their ids for the caller to enqueue. A run of
    pending changes is closed as failed instead: its changes come back when their lease
    runs out, and running it as a whole-flow run would read far more than it was for."""
    now = now or timezone.now()
    stale = dict(
        Run.objects.filter(
            status=Run.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER
        ).values_list("pk", "in_flight")
    )
    if not stale:
        return []
    runs_reset_stale(now=now)
    reset = Run.objects.filter(pk__in=list(stale), status=Run.Status.QUEUED)
    reset.filter(in_flight=False).update(
        status=Run.Status.FAILED,
        finished_at=now,
        message="Its worker stopped; its changes are tried again later.",
    )
    return list(reset.filter(in_flight=True).order_by("pk").values_list("pk", flat=True))
