"""Repairing drift: the drifted records re-synced through the runner, so the flow's policies,
links, actions, conflict handling and idempotency apply exactly as in any run. Each item
becomes one or two records of a RECONCILE run:

- fields differ: the source record read again and written (forward); a two-way flow also
  reads the target record back (backward), so a change made there goes to the source, or
  is held as a conflict, by the flow's policies rather than overwritten;
- only in the source: written (forward). When its link points at a target record that is
  gone, a two-way flow treats that as a delete in the target (backward, delete policy);
- only in the target, deleted in the source: the flow's delete policy (forward);
- only in the target, linked to nothing: left alone by a one-way flow (made by someone
  else: never touched); a two-way flow syncs it back to the source, as its runs would.

An item is repaired when one of its records' run items was written (created, updated,
deleted, archived). Deletes a flow ignores are only reported.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db.models import F, Q, QuerySet, Subquery

from sync.models import DriftItem, DriftReport, Flow, RecordLink, Run, RunItem
from sync.runner import FlowRunner

logger = logging.getLogger(__name__)

Kind = DriftItem.Kind
Outcome = RunItem.Outcome
FORWARD, BACKWARD = Run.Direction.FORWARD, Run.Direction.BACKWARD
REPAIRED = (Outcome.CREATED, Outcome.UPDATED, Outcome.DELETED, Outcome.ARCHIVED)
CHUNK = 500


class ReconcileRefused(Exception):
    """A reconciliation or re-sync that may not start; the message says why."""


def repair_refusal(flow: Flow) -> str:
    """Why the flow's drift cannot be repaired now ("" when it can)."""
    if not flow.is_live:
        return "the flow is in test mode (go live to repair)."
    if not flow.enabled:
        return "the flow is paused."
    mappings = [flow.mapping] + ([flow.reverse_mapping] if _two_way(flow) else [])
    if not all(mapping.is_healthy for mapping in mappings):
        return "the mapping has problems: fix them first."
    return ""


def _two_way(flow: Flow) -> bool:
    return flow.direction == Flow.Direction.TWO_WAY and bool(flow.reverse_mapping_id)


def resync_refusal(report: DriftReport) -> str:
    if report.status != DriftReport.Status.DONE:
        return "This reconciliation did not finish, so its findings are not re-synced."
    refusal = repair_refusal(report.flow)
    return f"Nothing can be re-synced: {refusal}" if refusal else ""


def repairable(report: DriftReport, item_ids: list[int] | None = None) -> QuerySet[DriftItem]:
    """The report's items a re-sync may act on (all, or those of `item_ids`): see the
    module docstring for what each kind becomes."""
    flow = report.flow
    two_way, ignore = _two_way(flow), flow.delete_policy == Flow.DeletePolicy.IGNORE
    target_gone = Q(kind=Kind.ONLY_SOURCE) & ~Q(target_id="")
    take = Q(kind=Kind.DIFFERS) | Q(kind=Kind.ONLY_SOURCE, target_id="")
    if not (two_way and ignore):  # one way: write it again; two-way: a delete
        take |= target_gone
    if not ignore:
        take |= Q(kind=Kind.ONLY_TARGET) & ~Q(source_id="")
    if two_way:
        take |= Q(kind=Kind.ONLY_TARGET, source_id="")
    items = report.items.filter(take)
    return items.filter(pk__in=item_ids) if item_ids is not None else items


def drift_resync(
    *, report: DriftReport, item_ids: list[int] | None = None, source=None, target=None
) -> Run | None:
    """Re-sync the drifted records of a report: those of `item_ids`, or every one not yet
    repaired. Returns the run (None when there was nothing to re-sync)."""
    refusal = resync_refusal(report)
    if refusal:
        raise ReconcileRefused(refusal)
    items = repairable(report, item_ids)
    if item_ids is None:
        items = items.filter(repaired=False)
    return drift_repair(report=report, items=items, source=source, target=target)


def drift_resync_by_id(*, report_id: int, item_ids: list[int] | None = None) -> int:
    """What the task does: `drift_resync` of a report by id; returns how many records the
    run wrote (0 when the report is gone or the re-sync was refused)."""
    report = (
        DriftReport.objects.select_related(
            "flow__source_connection", "flow__target_connection", "flow__mapping"
        )
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        return 0
    try:
        run = drift_resync(report=report, item_ids=item_ids)
    except ReconcileRefused as refused:
        logger.info("Drift report %s: re-sync refused: %s", report_id, refused)
        return 0
    return run.created + run.updated + run.deleted if run else 0


def drift_repair(
    *,
    report: DriftReport,
    items: QuerySet[DriftItem] | None = None,
    run: Run | None = None,
    source=None,
    target=None,
) -> Run | None:
    """Re-sync `items` (default: every repairable one not yet repaired) in one run."""
    flow = report.flow
    if items is None:
        items = repairable(report).filter(repaired=False)
    total = items.count()
    if not total:
        return None
    # The link says "unchanged since the last sync", which is exactly what drifted: make the
    # runner decide from the other side's record as it is, both ways.
    linked = Q(source_id__in=Subquery(items.exclude(source_id="").values("source_id")))
    linked |= Q(target_id__in=Subquery(items.exclude(target_id="").values("target_id")))
    RecordLink.objects.filter(linked, flow=flow).update(
        source_hash="", mapped_hash="", target_record_hash="", target_image_hash=""
    )
    if run is None:
        run = Run.objects.create(
            flow=flow,
            trigger=Run.Trigger.RECONCILE,
            dry_run=False,
            in_flight=False,  # like a run of pending changes: it neither waits nor blocks
            mapping_version=flow.mapping.version,
            total=total,
        )
    DriftReport.objects.filter(pk=report.pk).update(run=run)
    run = FlowRunner(run, source=source, target=target).execute(_records(items, flow))
    _mark(report, items, run)
    return run


def _steps(kind: str, source_id: str, target_id: str, two_way: bool) -> list[tuple]:
    """The runner's (id read, None, action, direction) records repairing one item."""
    if kind == Kind.DIFFERS:
        forward = (source_id, None, "updated", FORWARD)
        return [forward, (target_id, None, "updated", BACKWARD)] if two_way else [forward]
    if kind == Kind.ONLY_SOURCE:
        if two_way and target_id:
            return [(target_id, None, "deleted", BACKWARD)]
        return [(source_id, None, "updated", FORWARD)]
    if source_id:
        return [(source_id, None, "deleted", FORWARD)]
    return [(target_id, None, "updated", BACKWARD)] if two_way else []


def _chunks(items: QuerySet[DriftItem]) -> Iterator[list[tuple]]:
    last = 0
    fields = ("pk", "kind", "source_id", "target_id")
    while chunk := list(items.filter(pk__gt=last).order_by("pk").values_list(*fields)[:CHUNK]):
        yield chunk
        last = chunk[-1][0]


def _records(items: QuerySet[DriftItem], flow: Flow) -> Iterator[tuple]:
    """Every item's steps, a chunk of items at a time: forward ones first, then back."""
    two_way = _two_way(flow)
    for chunk in _chunks(items):
        steps = [s for _, kind, sid, tid in chunk for s in _steps(kind, sid, tid, two_way)]
        yield from (s for s in steps if s[3] == FORWARD)
        yield from (s for s in steps if s[3] == BACKWARD)


def _note(outcome: str, reason: str) -> str:
    if outcome == Outcome.UNCHANGED:
        return "Re-synced: nothing to write, it was in step again."
    label = Outcome(outcome).label if outcome in Outcome.values else outcome
    return f"Re-sync: {label.lower()}" + (f": {reason}" if reason else ".")


def _mark(report: DriftReport, items: QuerySet[DriftItem], run: Run) -> None:
    """Each item repaired when one of its records was written; else the run's word on it."""
    two_way = _two_way(report.flow)
    for chunk in _chunks(items):
        wanted = {}
        for pk, kind, sid, tid in chunk:
            for read_id, _, _, direction in _steps(kind, sid, tid, two_way):
                wanted[(direction, read_id)] = pk
        outcomes: dict[int, list[tuple[str, str]]] = {}
        rows = RunItem.objects.filter(run=run, source_id__in={i for _, i in wanted})
        for direction, read_id, outcome, reason in rows.values_list(
            "direction", "source_id", "outcome", "reason"
        ):
            pk = wanted.get((direction, read_id))
            if pk is not None:
                outcomes.setdefault(pk, []).append((outcome, reason))
        found = list(report.items.filter(pk__in=list(outcomes)))
        for item in found:
            done = [o for o, _ in outcomes[item.pk] if o in REPAIRED]
            item.repaired = bool(done)
            item.note = "" if done else _note(*outcomes[item.pk][-1])[:2000]
        DriftItem.objects.bulk_update(found, ["repaired", "note"])
    DriftReport.objects.filter(pk=report.pk).update(
        repaired=report.items.filter(repaired=True).count(),
        api_calls=F("api_calls") + run.api_calls,
    )
