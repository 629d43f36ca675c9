"""Reading flows, runs and what they left."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Workspace
from integrations.models import Connection
from sync.health import FlowHealth, flow_health
from sync.models import Conflict, Flow, PendingChange, RecordLink, Run, RunItem


def flows_for_workspace(*, workspace: Workspace) -> QuerySet[Flow]:
    return Flow.objects.filter(workspace=workspace).select_related(
        "source_connection", "target_connection", "mapping"
    )


def flow_for_workspace(*, workspace_id: int, flow_id: int) -> Flow:
    """The flow, only through its own workspace (404 otherwise)."""
    return Flow.objects.select_related("source_connection", "target_connection", "mapping").get(
        workspace_id=workspace_id, pk=flow_id
    )


def runs_for_flow(*, flow: Flow) -> QuerySet[Run]:
    return flow.runs.all()


def run_items(*, run: Run, outcome: str = "") -> QuerySet[RunItem]:
    items = run.items.all()
    return items.filter(outcome=outcome) if outcome else items


def dead_letters(*, flow: Flow) -> QuerySet[PendingChange]:
    return flow.pending_changes.filter(status=PendingChange.Status.DEAD).order_by("-updated_at")


def run_for_flow(*, flow: Flow, run_id: int) -> Run:
    return flow.runs.get(pk=run_id)


def run_in_flight(*, flow: Flow) -> Run | None:
    return flow.runs.filter(in_flight=True).first()


# --- health: the rules are in sync/health.py (pure, shared with Diagnostics) ---------------
# A connection whose access was refused: nothing of the flow can run until it is reconnected.
REFUSED = Connection.Status.NEEDS_RECONNECT


@dataclass
class FlowCard:
    """A flow as its card shows it: the newest run, and its health in words."""

    flow: Flow
    last_run: Run | None
    health: FlowHealth
    dead_letters: int
    conflicts: int

    @property
    def last_run_at(self) -> datetime | None:
        """When the newest run started (while in flight) or ended."""
        run = self.last_run
        if run is None:
            return None
        if run.in_flight:
            return run.started_at or run.queued_at
        return run.finished_at or run.queued_at


def flow_cards(*, flows: QuerySet[Flow], now: datetime | None = None) -> list[FlowCard]:
    """One card per flow in four queries however many flows, runs or changes there are: the
    flows, each one's newest run, and two grouped counts."""
    now = now or timezone.now()
    newest = Run.objects.order_by("-queued_at", "-pk")[:1]
    flows = list(
        flows.select_related(
            "source_connection", "target_connection", "mapping", "reverse_mapping"
        ).prefetch_related(Prefetch("runs", queryset=newest, to_attr="latest_runs"))
    )
    if not flows:
        return []
    ids = [flow.pk for flow in flows]
    changes = {
        (row["flow_id"], row["status"]): row
        for row in PendingChange.objects.filter(flow_id__in=ids)
        .exclude(status=PendingChange.Status.DONE)
        .values("flow_id", "status")
        .annotate(
            count=Count("pk"), oldest=Min("received_at"), retrying=Count("pk", Q(attempts__gt=0))
        )
    }
    conflicts = dict(
        Conflict.objects.filter(flow_id__in=ids, status=Conflict.Status.OPEN)
        .values("flow_id")
        .annotate(count=Count("pk"))
        .values_list("flow_id", "count")
    )
    cards = []
    for flow in flows:
        pending = changes.get((flow.pk, PendingChange.Status.PENDING), {})
        dead = changes.get((flow.pk, PendingChange.Status.DEAD), {}).get("count", 0)
        oldest = pending.get("oldest")
        last_run = flow.latest_runs[0] if flow.latest_runs else None
        broken = next(
            (
                c.name
                for c in (flow.source_connection, flow.target_connection)
                if c.status == REFUSED
            ),
            "",
        )
        health = flow_health(
            enabled=flow.enabled,
            paused_reason=flow.paused_reason,
            last_status=last_run.status if last_run else None,
            dead_letters=dead,
            lag_seconds=(now - oldest).total_seconds() if oldest else None,
            retrying=pending.get("retrying", 0),
            conflicts=conflicts.get(flow.pk, 0),
            broken_connection=broken,
        )
        cards.append(FlowCard(flow, last_run, health, dead, conflicts.get(flow.pk, 0)))
    return cards


# --- a run's records, a page at a time --------------------------------------------------------
@dataclass
class ItemsPage:
    items: list[RunItem]
    has_previous: bool
    has_next: bool

    @property
    def first_pk(self) -> int | None:
        return self.items[0].pk if self.items else None

    @property
    def last_pk(self) -> int | None:
        return self.items[-1].pk if self.items else None


def run_items_page(
    *, run: Run, outcome: str = "", after: int | None = None, before: int | None = None, size=50
) -> ItemsPage:
    """`size` records after the item `after` (or before `before`), in the order they were
    processed. Keyset paging: a run of 50,000 records costs the same on its last page as on
    its first, and nothing is counted (the run's counters say how many)."""
    items = run_items(run=run, outcome=outcome)
    if before is not None:
        rows = list(items.filter(pk__lt=before).order_by("-pk")[: size + 1])
        if rows:
            page = rows[:size][::-1]
            later = items.filter(pk__gt=page[-1].pk).exists()
            return ItemsPage(page, has_previous=len(rows) > size, has_next=later)
        after = None  # nothing before it: the first page
    items_after = items.filter(pk__gt=after) if after is not None else items
    rows = list(items_after.order_by("pk")[: size + 1])
    page = rows[:size]
    earlier = bool(page) and after is not None and items.filter(pk__lt=page[0].pk).exists()
    return ItemsPage(page, has_previous=earlier, has_next=len(rows) > size)


def link_ids_for_items(*, flow: Flow, items: list[RunItem]) -> dict[int, int]:
    """{run item pk: record link pk} for the items whose record is linked, in one query. A
    backward item (target → source, two-way flows) names the target system's record first."""
    forward = {i.source_id for i in items if i.direction == Run.Direction.FORWARD}
    backward = {i.source_id for i in items if i.direction == Run.Direction.BACKWARD}
    if not forward and not backward:
        return {}
    rows = RecordLink.objects.filter(flow=flow).filter(
        Q(source_id__in=forward) | Q(target_id__in=backward)
    )
    by_source, by_target = {}, {}
    for pk, source_id, target_id in rows.values_list("pk", "source_id", "target_id"):
        by_source[source_id] = pk
        by_target[target_id] = pk
    found = {}
    for item in items:
        ids = by_source if item.direction == Run.Direction.FORWARD else by_target
        if item.source_id in ids:
            found[item.pk] = ids[item.source_id]
    return found
