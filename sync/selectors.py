"""Reading flows, runs and what they left."""

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Workspace
from sync.models import Flow, PendingChange, Run, RunItem


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


def flows_with_latest_run(*, workspace: Workspace) -> QuerySet[Flow]:
    """The flow list in a fixed number of queries: each flow's newest run prefetched, and
    its dead letters counted."""
    latest = Run.objects.order_by("-queued_at", "-pk")[:1]
    return (
        flows_for_workspace(workspace=workspace)
        .annotate(dead_count=Count("pending_changes", filter=Q(pending_changes__status="dead")))
        .prefetch_related(Prefetch("runs", queryset=latest, to_attr="latest_runs"))
    )


def run_for_flow(*, flow: Flow, run_id: int) -> Run:
    return flow.runs.get(pk=run_id)


def run_in_flight(*, flow: Flow) -> Run | None:
    return flow.runs.filter(in_flight=True).first()
