"""The Diagnostics overview: every flow and connection of a workspace with its health, lag,
last changes, 24-hour counts and rate budget — in a fixed number of queries however many
flows, runs or API calls there are (grouped aggregates and index range scans, no per-row
queries). Diagnostics reads what sync and integrations recorded; it changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from accounts.models import Workspace
from diagnostics import health
from diagnostics.models import ApiCall
from diagnostics.rate_headers import rate_numbers
from integrations.models import Connection
from sync.models import Conflict, Flow, PendingChange, Run, SyncCursor


@dataclass
class FlowRow:
    flow: Flow
    health: health.Health
    last_run: Run | None
    last_success_at: datetime | None
    lag_seconds: float | None  # age of the oldest change not yet applied
    pending: int
    dead_letters: int
    source_changed_at: datetime | None  # the newest change seen in the source
    target_written_at: datetime | None  # the newest write to the target
    synced_24h: int
    failed_24h: int
    conflicts: int  # open, waiting for a decision (two-way flows)
    active_run: Run | None  # queued, running or waiting: with its ETA


@dataclass
class ConnectionRow:
    connection: Connection
    health: health.Health
    calls_1h: int
    errors_1h: int
    rate: dict = field(default_factory=dict)  # the newest X-RateLimit-* headers seen
    burst_remaining: int | None = None
    burst_limit: int | None = None
    daily_remaining: int | None = None
    daily_limit: int | None = None


def flow_rows(*, workspace: Workspace, now: datetime | None = None) -> list[FlowRow]:
    now = now or timezone.now()
    newest_run = Run.objects.filter(flow=OuterRef("pk")).order_by("-queued_at", "-pk")
    flows = list(
        Flow.objects.filter(workspace=workspace)
        .select_related("source_connection", "target_connection", "mapping")
        .annotate(
            last_run_id=Subquery(newest_run.values("pk")[:1]),
            last_success_at=Subquery(
                Run.objects.filter(flow=OuterRef("pk"), status=Run.Status.SUCCEEDED)
                .order_by("-finished_at")
                .values("finished_at")[:1]
            ),
            target_written_at=Subquery(
                Run.objects.filter(flow=OuterRef("pk"), dry_run=False)
                .filter(Q(created__gt=0) | Q(updated__gt=0) | Q(deleted__gt=0))
                .order_by("-finished_at")
                .values("finished_at")[:1]
            ),
        )
        .order_by("name")
    )
    ids = [flow.pk for flow in flows]
    wanted_runs = {flow.last_run_id for flow in flows if flow.last_run_id}
    runs = Run.objects.filter(
        Q(pk__in=wanted_runs)
        | Q(flow_id__in=ids, in_flight=True)
        | Q(flow_id__in=ids, status__in=(Run.Status.QUEUED, Run.Status.RUNNING))
    )
    runs_by_pk = {run.pk: run for run in runs}
    active = {}
    for run in sorted(runs_by_pk.values(), key=lambda r: r.pk):
        if run.status in (Run.Status.QUEUED, Run.Status.RUNNING, Run.Status.WAITING):
            active[run.flow_id] = run
    changes = {
        (row["flow_id"], row["status"]): row
        for row in PendingChange.objects.filter(flow_id__in=ids)
        .exclude(status=PendingChange.Status.DONE)
        .values("flow_id", "status")
        .annotate(
            count=Count("pk"),
            oldest=Min("received_at"),
            retrying=Count("pk", filter=Q(attempts__gt=0)),
        )
    }
    seen = dict(
        PendingChange.objects.filter(flow_id__in=ids)
        .values("flow_id")
        .annotate(newest=Max("received_at"))
        .values_list("flow_id", "newest")
    )
    cursors = dict(
        SyncCursor.objects.filter(flow_id__in=ids)
        .values("flow_id")
        .annotate(advanced=Max("advanced_at"))
        .values_list("flow_id", "advanced")
    )
    conflicts = dict(
        Conflict.objects.filter(flow_id__in=ids, status=Conflict.Status.OPEN)
        .values("flow_id")
        .annotate(count=Count("pk"))
        .values_list("flow_id", "count")
    )
    day = {
        row["flow_id"]: row
        for row in Run.objects.filter(flow_id__in=ids, queued_at__gte=now - timedelta(days=1))
        .values("flow_id")
        .annotate(synced=Sum(F("created") + F("updated") + F("deleted")), failed=Sum("failed"))
    }
    rows = []
    for flow in flows:
        pending = changes.get((flow.pk, PendingChange.Status.PENDING), {})
        dead = changes.get((flow.pk, PendingChange.Status.DEAD), {}).get("count", 0)
        oldest = pending.get("oldest")
        lag = (now - oldest).total_seconds() if oldest else None
        last_run = runs_by_pk.get(flow.last_run_id)
        synced = (day.get(flow.pk) or {}).get("synced") or 0
        failed = (day.get(flow.pk) or {}).get("failed") or 0
        changed = [moment for moment in (seen.get(flow.pk), cursors.get(flow.pk)) if moment]
        rows.append(
            FlowRow(
                flow=flow,
                health=health.flow_health(
                    enabled=flow.enabled,
                    paused_reason=flow.paused_reason,
                    last_status=last_run.status if last_run else None,
                    dead_letters=dead,
                    lag_seconds=lag,
                    retrying=pending.get("retrying", 0),
                    conflicts=conflicts.get(flow.pk, 0),
                ),
                last_run=last_run,
                last_success_at=flow.last_success_at,
                lag_seconds=lag,
                pending=pending.get("count", 0),
                dead_letters=dead,
                source_changed_at=max(changed) if changed else None,
                target_written_at=flow.target_written_at,
                synced_24h=synced,
                failed_24h=failed,
                conflicts=conflicts.get(flow.pk, 0),
                active_run=active.get(flow.pk),
            )
        )
    return rows


def connection_rows(*, workspace: Workspace, now: datetime | None = None) -> list[ConnectionRow]:
    now = now or timezone.now()
    # The newest headers of the last hour (older ones say little of a budget now): bounded on
    # the (connection, -at) index, so a system that never sends any costs an hour of rows,
    # not its whole history.
    newest_rate = (
        ApiCall.objects.filter(connection=OuterRef("pk"), at__gte=now - timedelta(hours=1))
        .exclude(rate_limit={})
        .order_by("-at")
        .values("rate_limit")[:1]
    )
    connections = list(
        Connection.objects.finished()
        .filter(workspace=workspace)
        .annotate(rate=Subquery(newest_rate))
        .order_by("name")
    )
    hour = {
        row["connection_id"]: row
        for row in ApiCall.objects.filter(workspace=workspace, at__gte=now - timedelta(hours=1))
        .values("connection_id")
        .annotate(calls=Count("pk"), errors=Count("pk", filter=~Q(error_kind="")))
    }
    rows = []
    for connection in connections:
        counts = hour.get(connection.pk, {})
        rate = connection.rate if isinstance(connection.rate, dict) else {}
        numbers = rate_numbers(rate)
        row = ConnectionRow(
            connection=connection,
            health=health.Health(health.HEALTHY),  # set below, once the budget is read
            calls_1h=counts.get("calls", 0),
            errors_1h=counts.get("errors", 0),
            rate=rate,
            burst_remaining=numbers.burst_remaining,
            burst_limit=numbers.burst_limit,
            daily_remaining=numbers.daily_remaining,
            daily_limit=numbers.daily_limit,
        )
        row.health = health.connection_health(
            status=connection.status,
            calls_1h=row.calls_1h,
            errors_1h=row.errors_1h,
            daily_remaining=row.daily_remaining,
            daily_limit=row.daily_limit,
        )
        rows.append(row)
    return rows


def health_counts(rows) -> dict[str, int]:
    """How many rows are in each state, worst first, for the page's one-line summary."""
    counts = {
        state: 0 for state in (health.FAILING, health.DEGRADED, health.PAUSED, health.HEALTHY)
    }
    for row in rows:
        counts[row.health.state] += 1
    return counts
