"""Tasks take ids and call the runner or a trigger; they stay thin. Bulk work (backfills,
polls, schedules) and realtime work (webhook changes, retries, the beats) go to different
queues (CELERY_TASK_ROUTES in config/settings.py), so one large backfill never delays
another flow's changes. Beats are scheduled in config/celery.py. Every enqueue is
`delay_on_commit`: outside a transaction (a worker's autocommit) it is sent at once."""

import time

from celery import shared_task

from sync import reconcile, runs, triggers
from sync.outages import DATABASE_DOWN, database_back
from sync.runner import run_changes, run_execute

# changes_process stops taking new chunks after this long and hands the rest to a fresh
# task, so a flood of changes never meets the time limit halfway through a chunk.
CHANGES_BUDGET_SECONDS = 5 * 60


@shared_task(acks_late=True, soft_time_limit=6 * 3600, time_limit=6 * 3600 + 60)
def run_flow(run_id: int) -> str:
    """Bulk queue: one run of a flow, from its cursor."""
    return run_execute(run_id=run_id).status


@shared_task(soft_time_limit=15 * 60, time_limit=16 * 60)
def changes_process(flow_id: int) -> int:
    """Realtime queue: apply the flow's due pending changes, a chunk (and a run) at a time,
    until none is due; returns how many were applied."""
    triggers.changes_task_started(flow_id=flow_id)  # before the first claim
    applied, started = 0, time.monotonic()
    while time.monotonic() - started < CHANGES_BUDGET_SECONDS:
        claim = triggers.pending_changes_claim(flow_id=flow_id)
        if claim is None:
            return applied
        try:
            run_changes(run_id=claim.run_id, change_ids=claim.change_ids)
        except DATABASE_DOWN as error:
            # The database went away mid-chunk (a restart): once it is back, the run says
            # so and its changes are free again at once, not after their lease; applied
            # again they are re-read, and those already written are found unchanged.
            if not database_back():
                raise
            triggers.change_run_fail(run_id=claim.run_id, error=error)
            triggers.pending_changes_unlease(claim=claim)
            continue
        except Exception as error:
            triggers.change_run_fail(run_id=claim.run_id, error=error)
            raise
        triggers.pending_changes_release(claim=claim)
        applied += len(claim.change_ids)
    triggers.changes_enqueue(flow_id=flow_id)  # out of time: a fresh task goes on
    return applied


@shared_task(soft_time_limit=50, time_limit=60)
def flows_poll_due() -> int:
    """Beat, every minute: a poll run of each flow whose interval has passed."""
    run_ids = triggers.flows_poll_due()
    for run_id in run_ids:
        run_flow.delay_on_commit(run_id)
    return len(run_ids)


@shared_task(soft_time_limit=50, time_limit=60)
def flows_schedule_due() -> int:
    """Beat, every minute: the daily run of each flow whose time has come today."""
    run_ids = triggers.flows_schedule_due()
    for run_id in run_ids:
        run_flow.delay_on_commit(run_id)
    return len(run_ids)


@shared_task(soft_time_limit=50, time_limit=60)
def retries_due() -> int:
    """Beat, every minute: flows with pending changes whose wait is over."""
    flow_ids = triggers.flows_with_due_changes()
    for flow_id in flow_ids:
        triggers.changes_enqueue(flow_id=flow_id)
    return len(flow_ids)


@shared_task(soft_time_limit=50, time_limit=60)
def runs_reset_stale() -> int:
    """Beat, every 5 minutes: runs whose worker died resume from their cursor."""
    run_ids = triggers.runs_requeue_stale()
    for run_id in run_ids:
        run_flow.delay_on_commit(run_id)
    return len(run_ids)


@shared_task(soft_time_limit=50, time_limit=60)
def runs_resume_waiting() -> int:
    """Beat, every minute: runs paused for a daily API cap go on once it has reset."""
    run_ids = runs.runs_resume_waiting()
    for run_id in run_ids:
        run_flow.delay_on_commit(run_id)
    return len(run_ids)


@shared_task(soft_time_limit=1800, time_limit=1860)
def runs_prune() -> int:
    """Daily: finished runs past their retention go, with their records."""
    return runs.runs_prune()


@shared_task(soft_time_limit=50, time_limit=60)
def flows_reconcile_due() -> int:
    """Beat, every minute: the nightly reconciliation of each flow whose time has come."""
    flow_ids = reconcile.flows_reconcile_due()
    for flow_id in flow_ids:
        reconcile_run.delay_on_commit(flow_id)
    return len(flow_ids)


@shared_task(soft_time_limit=6 * 3600, time_limit=6 * 3600 + 60)
def reconcile_run(flow_id: int) -> str:
    """Bulk queue: one reconciliation of a flow (nightly, or "Reconcile now"); "refused"
    while another of the flow is running. Not acks_late: a redelivery would read both
    sides again from the start; the next night covers a lost one."""
    report = reconcile.reconcile_run(flow_id=flow_id)
    return report.status if report else "refused"


@shared_task(soft_time_limit=6 * 3600, time_limit=6 * 3600 + 60)
def drift_resync_run(report_id: int, item_ids: list[int] | None = None) -> int:
    """Bulk queue: re-sync a drift report's records (`item_ids`, or every one not yet
    repaired); returns how many records it wrote."""
    return reconcile.drift_resync_by_id(report_id=report_id, item_ids=item_ids)
