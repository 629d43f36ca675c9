"""The nightly reconciliation: which flows are due (the beat), and one flow's run of it."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from sync.models import DriftReport, Flow
from sync.reconcile.repair import ReconcileRefused
from sync.reconcile.report import reconcile_flow

logger = logging.getLogger(__name__)


def _today_if_due(flow: Flow, now: datetime) -> date | None:
    """Today's date where the flow lives, if its reconcile time has come today and it has
    not reconciled today; else None."""
    try:
        local = now.astimezone(ZoneInfo(flow.schedule_timezone))
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("Flow %s: unknown time zone %r", flow.pk, flow.schedule_timezone)
        return None
    if local.time() < flow.reconcile_time or flow.last_reconciled_on == local.date():
        return None
    return local.date()


def flows_reconcile_due(*, now=None) -> list[int]:
    """Claim today's reconciliation of every enabled live flow whose `reconcile_time` (in
    its time zone) has come; returns their ids for the caller to enqueue. The claim is a
    conditional update, so a second beat (or a slow one) cannot start a flow's twice."""
    now = now or timezone.now()
    due = []
    flows = Flow.objects.filter(enabled=True, mode=Flow.Mode.LIVE, reconcile_time__isnull=False)
    for flow in flows.order_by("pk"):
        today = _today_if_due(flow, now)
        if today is None:
            continue
        claimed = Flow.objects.filter(
            pk=flow.pk, last_reconciled_on=flow.last_reconciled_on
        ).update(last_reconciled_on=today)
        if claimed:
            due.append(flow.pk)
    return due


def reconcile_run(*, flow_id: int) -> DriftReport | None:
    """What the task does: one reconciliation of the flow, per its settings; None when the
    flow is gone or a reconciliation of it is already running."""
    flow = (
        Flow.objects.select_related("source_connection", "target_connection", "mapping")
        .filter(pk=flow_id)
        .first()
    )
    if flow is None:
        return None
    try:
        return reconcile_flow(flow=flow)
    except ReconcileRefused as refused:
        logger.info("Flow %s: reconciliation skipped: %s", flow_id, refused)
        return None
