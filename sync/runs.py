"""Runs as records: starting one (one in flight per flow), requeuing those whose worker died,
resuming those that waited for the daily budget, and the slow retries of failed records."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.errors import (
    AuthError,
    IntegrationError,
    MissingScopeError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    ValidationFailedError,
)
from sync.engine.schedule import next_retry
from sync.models import DriftReport, Flow, PendingChange, Run

STALE_AFTER = timedelta(minutes=10)  # a running run without a heartbeat this long is dead


class RunRefused(Exception):
    """A run that may not start; the message says why."""


def error_kind(error: BaseException) -> str:
    if isinstance(error, RateLimitedError):
        return "rate_limited"
    if isinstance(error, TransientError):
        return "transient"
    if isinstance(error, MissingScopeError):
        return "scope"
    if isinstance(error, AuthError):
        return "auth"
    if isinstance(error, NotFoundError):
        return "not_found"
    if isinstance(error, ValidationFailedError):
        return "validation"
    if isinstance(error, IntegrationError):
        return "rejected"
    return "internal"


# --- starting ---------------------------------------------------------------------------------
def run_start(*, flow: Flow, trigger: str, dry_run: bool | None = None) -> Run:
    """Queue a run; refused while another run of the flow is in flight (a database
    constraint decides, so two starts at once cannot both win)."""
    if dry_run is None:
        dry_run = not flow.is_live
    if not dry_run and not flow.is_live:
        raise RunRefused("This flow is in test mode: it can only dry-run. Switch it to live.")
    if not flow.enabled:
        why = f": {flow.paused_reason}" if flow.paused_reason else ""
        raise RunRefused(f"This flow is paused{why}.")
    try:
        with transaction.atomic():
            return Run.objects.create(
                flow=flow,
                trigger=trigger,
                dry_run=dry_run,
                in_flight=True,
                mapping_version=flow.mapping.version,
            )
    except IntegrityError:
        waiting = Run.objects.filter(flow=flow, in_flight=True, status=Run.Status.WAITING).first()
        if waiting is not None:
            raise RunRefused(
                f"Run {waiting.pk} of this flow is paused until "
                f"{waiting.resume_after:%Y-%m-%d %H:%M} UTC for the daily API budget; "
                "it continues from where it stopped then."
            ) from None
        raise RunRefused(
            "Another run of this flow is in progress: wait for it to finish."
        ) from None


def runs_reset_stale(*, now=None) -> int:
    """Beat: runs whose worker stopped reporting are requeued from their cursor."""
    now = now or timezone.now()
    stale = Run.objects.filter(status=Run.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    return stale.update(status=Run.Status.QUEUED, message="Resumed after its worker stopped.")


def runs_resume_waiting(*, now=None) -> list[int]:
    """Beat: runs paused for a daily cap whose reset has come are queued again; returns
    their ids for the caller to enqueue (they go on from their cursor)."""
    now = now or timezone.now()
    due = list(
        Run.objects.filter(status=Run.Status.WAITING, resume_after__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    resumed = []
    for pk in due:
        # Conditional: a second beat cannot queue the same run twice.
        if Run.objects.filter(pk=pk, status=Run.Status.WAITING).update(
            status=Run.Status.QUEUED, resume_after=None, message="Resumed after the daily reset."
        ):
            resumed.append(pk)
    return resumed


def pending_change_retry(
    *,
    flow: Flow,
    source_id: str,
    action: str,
    error_kind: str,
    create_uncertain: bool,
    message: str,
    direction: str = Run.Direction.FORWARD,
) -> PendingChange:
    """A record that failed: retried later on the slow schedule, or a dead letter now when
    the error will not go away by itself (validation, scope, mapping)."""
    change = (
        PendingChange.objects.filter(flow=flow, direction=direction, source_id=source_id)
        .exclude(status=PendingChange.Status.DONE)
        .order_by("-pk")
        .first()
    )
    if change is None:
        change = PendingChange(
            flow=flow,
            direction=direction,
            source_id=source_id,
            origin=PendingChange.Origin.RETRY,
        )
    change.action = action
    change.attempts += 1
    change.last_error = message[:2000]
    change.error_kind = error_kind
    change.create_uncertain = change.create_uncertain or create_uncertain
    wait = next_retry(change.attempts, error_kind)
    if wait is None:
        change.status = PendingChange.Status.DEAD
        change.not_before = None
    else:
        change.status = PendingChange.Status.PENDING
        change.not_before = timezone.now() + wait
    change.save()
    return change


def runs_prune(*, now=None, days: int | None = None, chunk: int = 1_000) -> int:
    """Beat, daily: finished runs (with their records) and drift reports older than
    SYNC_RUN_RETENTION_DAYS are deleted, a chunk at a time so no delete holds a lock for
    long; a run in flight or waiting is kept however old. Returns how many runs went."""
    from django.conf import settings

    now = now or timezone.now()
    days = days if days is not None else settings.SYNC_RUN_RETENTION_DAYS
    old = Run.objects.filter(
        in_flight=False,
        queued_at__lt=now - timedelta(days=days),
    ).exclude(status__in=(Run.Status.QUEUED, Run.Status.RUNNING, Run.Status.WAITING))
    deleted = 0
    while ids := list(old.order_by("pk").values_list("pk", flat=True)[:chunk]):
        with transaction.atomic():
            Run.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
    # Drift reports (with their items) of finished reconciliations go at the same age.
    reports = DriftReport.objects.filter(
        started_at__lt=now - timedelta(days=days), status__in=("done", "failed")
    )
    while ids := list(reports.order_by("pk").values_list("pk", flat=True)[:chunk]):
        with transaction.atomic():
            DriftReport.objects.filter(pk__in=ids).delete()
    return deleted
