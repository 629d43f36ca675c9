"""One reconciliation: both sides read completely, page by page, and compared through the
links into a drift report; then, when the flow says so, the drift repaired (repair.py).

Memory stays flat in the number of records: the source read keeps a digest and a shape per
linked record in arrays (compare.py) and reports unlinked ones at once, the target read
checks each page against them with one query for the page's links, and drift items go to the
database a batch at a time. Neither side's records are held.

Deletes are concluded only from complete reads: a link whose source record is missing from
a finished source read, confirmed by a read of that record (a record created meanwhile is
not a delete). If either read fails part way the report is FAILED and nothing is repaired.
"""

from __future__ import annotations

import itertools
import logging
from datetime import timedelta

from django.db.models import Count, F, Min
from django.utils import timezone

from integrations.errors import IntegrationError, NotFoundError
from integrations.providers.base import RecordAdapter
from integrations.providers.registry import adapter_for
from mappings import engine
from mappings.checks import engine_options, full_spec
from sync import actions
from sync.actions.calls import CallCount
from sync.models import DriftItem, DriftReport, Flow, RecordLink, Run
from sync.reconcile.compare import (
    DEACTIVATED,
    FIRST_SHAPE,
    MATCHED,
    SKIPPED,
    LinkTable,
    Projection,
)
from sync.reconcile.repair import ReconcileRefused, drift_repair, repair_refusal

logger = logging.getLogger(__name__)

PAGE = 100  # records per links query, and drift items per insert
# A report still "running" after this long lost its worker (the task's limit is 6 hours).
STALE_AFTER = timedelta(hours=7)
Kind = DriftItem.Kind
HAND_MADE = "Not created by this flow: reported, never deleted."
NOT_BACK_YET = "Not linked: this two-way flow had not synced it back to the source."
IGNORED = "Deleted in the source; this flow ignores deletes, so it is only reported."


class ReadFailed(Exception):
    """A read of one side stopped part way: nothing may be concluded from it."""


def deactivated(provider: str, record: dict) -> bool:
    """Cin7 cannot delete a customer, only deactivate it ("Deprecated"), and still lists it."""
    return provider == "cin7" and record.get("Status") == "Deprecated"


def drift_report_running(*, flow: Flow) -> DriftReport | None:
    """The flow's reconciliation in progress (one whose worker died long ago does not count)."""
    recent = timezone.now() - STALE_AFTER
    running = flow.drift_reports.filter(status=DriftReport.Status.RUNNING)
    return running.filter(started_at__gte=recent).first()


def _close_stale(flow: Flow) -> None:
    flow.drift_reports.filter(
        status=DriftReport.Status.RUNNING, started_at__lt=timezone.now() - STALE_AFTER
    ).update(
        status=DriftReport.Status.FAILED,
        finished_at=timezone.now(),
        message="It stopped without finishing (its worker died); nothing was repaired.",
    )


def reconcile_flow(
    *,
    flow: Flow,
    repair: bool | None = None,
    run=None,
    source: RecordAdapter | None = None,
    target: RecordAdapter | None = None,
) -> DriftReport:
    """Compare both sides of the flow completely and write a drift report; repair the drift
    through the runner when `repair` (default: the flow's `reconcile_repairs`) and the flow
    is live and enabled. `run`: a queued RECONCILE run to repair with (else one is made)."""
    repair = flow.reconcile_repairs if repair is None else repair
    _close_stale(flow)
    running = drift_report_running(flow=flow)
    if running is not None:
        raise ReconcileRefused(
            f"A reconciliation of this flow is running since {running.started_at:%H:%M} UTC."
        )
    report = DriftReport.objects.create(flow=flow, repairs=repair)
    reconciler = None
    try:
        reconciler = Reconciler(flow, report, source=source, target=target)
        reconciler.compare()
    except Exception as error:
        if not isinstance(error, ReadFailed | IntegrationError | engine.SpecError):
            logger.exception("Flow %s: the reconciliation failed", flow.pk)
        if reconciler is not None:
            reconciler.flush()
            reconciler.save_counts()
        message = _failure_words(error)
        _close_unused(run, Run.Status.FAILED, message)
        return _finish(report, DriftReport.Status.FAILED, message)
    reconciler.save_counts()
    notes = [reconciler.summary(), _repair(report, reconciler, repair=repair, run=run)]
    return _finish(report, DriftReport.Status.DONE, " ".join(n for n in notes if n))


def _repair(report: DriftReport, reconciler: Reconciler, *, repair: bool, run) -> str:
    """Repair what the comparison found, when the flow says so and can; returns a note."""
    if not repair:
        _close_unused(run, Run.Status.CANCELLED, "The reconciliation only reported.")
        return "Report only: nothing was repaired."
    refusal = repair_refusal(report.flow)
    if refusal:
        _close_unused(run, Run.Status.CANCELLED, f"Nothing was repaired: {refusal}")
        return f"Nothing was repaired: {refusal}"
    try:
        done = drift_repair(
            report=report, run=run, source=reconciler.source, target=reconciler.target
        )
    except Exception as error:
        logger.exception("Flow %s: the repair failed", report.flow_id)
        return f"The repair stopped ({error or type(error).__name__}); re-sync the rest."
    if done is None:
        _close_unused(run, Run.Status.SUCCEEDED, "Nothing had drifted.")
        return ""
    return f"Repaired by run {done.pk}."


def _close_unused(run, status: str, message: str) -> None:
    """A run handed in for the repair that was not needed is closed, not left queued."""
    if run is not None:
        Run.objects.filter(pk=run.pk, status=Run.Status.QUEUED).update(
            status=status, message=message, in_flight=False, finished_at=timezone.now()
        )


def _failure_words(error: BaseException) -> str:
    if isinstance(error, engine.SpecError):
        return "The mapping has problems, so nothing was compared: open it and fix them."
    return (
        f"The comparison stopped part way ({error or type(error).__name__}), so nothing "
        "was repaired or deleted. It runs again at its next time."
    )


def _finish(report: DriftReport, status: str, message: str) -> DriftReport:
    DriftReport.objects.filter(pk=report.pk).update(
        status=status, message=message, finished_at=timezone.now()
    )
    report.refresh_from_db()
    return report


class Reconciler:
    """Both reads and the comparison of one report."""

    def __init__(self, flow: Flow, report: DriftReport, *, source=None, target=None):
        self.flow, self.report = flow, report
        self.source = source or adapter_for(flow.source_connection, flow.object_type)
        self.target = target or adapter_for(flow.target_connection, flow.object_type)
        self.source_provider = flow.source_connection.provider
        self.started_at = report.started_at
        # What each linked source record expects of its target record, by link id.
        self.expected = LinkTable(RecordLink.objects.filter(flow=flow).count())
        self.items: list[DriftItem] = []
        self.counts = dict.fromkeys(["source", "target", "skipped", "deleted"], 0)
        self.counts.update(dict.fromkeys(Kind.values, 0))
        self.calls = CallCount()

    def compare(self) -> None:
        spec = full_spec(self.flow.mapping)
        self.mapping = engine.compile_mapping(spec, options=engine_options(self.flow.mapping))
        self.reads = engine.used_fields(spec)["source"]
        leave_out = actions.EXTRA_FIELDS.get(self.flow.target_connection.provider, ())
        self.projection = Projection(self.mapping, leave_out=leave_out)
        with self.calls:
            self.calls.watch(self.source.client)
            self.calls.watch(self.target.client)
            self._read_source()
            self._read_target()
            self._only_in_source()
        self.flush()
        self._drop_repeats()

    # -- the source: a digest and a shape per linked record ----------------------------------
    def _read_source(self) -> None:
        """Linked records go into the table; a record no link names is only in the source
        whatever the target holds, so it is reported at once and not kept."""
        try:
            records = (record for record, _ in self.source.list_changed(self.source.new_cursor()))
            while page := list(itertools.islice(records, PAGE)):
                ids = [str(self.source.id_of(record)) for record in page]
                links = RecordLink.objects.filter(flow=self.flow, source_id__in=ids)
                by_source = dict(links.values_list("source_id", "pk"))
                for source_id, record in zip(ids, page, strict=True):
                    self.counts["source"] += 1
                    digest, shape = self._expect(record)
                    link_id = by_source.get(source_id)
                    if link_id is not None:
                        self.expected.put(link_id, digest, shape)
                    elif shape >= FIRST_SHAPE:
                        self._item(Kind.ONLY_SOURCE, source_id, "", note="Never synced.")
        except IntegrationError as error:
            raise ReadFailed(f"reading {self.flow.source_connection} failed: {error}") from error

    def _expect(self, record: dict) -> tuple[int, int]:
        if deactivated(self.source_provider, record):
            return 0, DEACTIVATED
        result = self.mapping.apply(self._with_extras(record), current=None)
        if result.skipped or not result.ok:
            self.counts["skipped"] += 1
            return 0, SKIPPED
        return self.projection.expect(result.payload)

    def _with_extras(self, record: dict) -> dict:
        return actions.source_with_extras(self.source_provider, self.source, record, self.reads)

    # -- the target: each page against the links ------------------------------------------
    def _read_target(self) -> None:
        try:
            records = (record for record, _ in self.target.list_changed(self.target.new_cursor()))
            while page := list(itertools.islice(records, PAGE)):
                ids = [str(self.target.id_of(record)) for record in page]
                links = RecordLink.objects.filter(flow=self.flow, target_id__in=ids)
                by_target = {link.target_id: link for link in links}
                for target_id, record in zip(ids, page, strict=True):
                    self.counts["target"] += 1
                    self._check(target_id, record, by_target.get(target_id))
        except IntegrationError as error:
            raise ReadFailed(f"reading {self.flow.target_connection} failed: {error}") from error

    def _check(self, target_id: str, record: dict, link: RecordLink | None) -> None:
        if link is None:
            two_way = self.flow.direction == Flow.Direction.TWO_WAY
            note = NOT_BACK_YET if two_way and self.flow.reverse_mapping_id else HAND_MADE
            self._item(Kind.ONLY_TARGET, "", target_id, note=note)
            return
        expectation = self.expected.get(link.pk)
        if expectation is None:
            self._maybe_deleted(link)
            return
        digest, shape = expectation
        if shape == MATCHED:
            return  # read twice (it changed during the read): judged the first time
        self.expected.mark(link.pk, MATCHED)
        if shape == SKIPPED:
            return
        if shape == DEACTIVATED:
            if not link.deleted_at:
                self._deleted(link, "Deactivated in the source.")
            return
        if not self.projection.in_step(digest, shape, record):
            self._differs(link, record)

    def _maybe_deleted(self, link: RecordLink) -> None:
        """A linked target record whose source record the complete source read did not
        find: a delete, once a read of the record confirms it is gone."""
        if link.deleted_at:
            return  # its delete was handled already (archived, or deleted and back)
        if link.synced_at and link.synced_at >= self.started_at:
            return  # linked after the source read began: its record is newer than the read
        record = self._source_now(link.source_id)
        if record is None:
            self._deleted(link, "Deleted in the source.")
            return
        if deactivated(self.source_provider, record):
            self._deleted(link, "Deactivated in the source.")

    def _deleted(self, link: RecordLink, note: str) -> None:
        self.counts["deleted"] += 1
        if self.flow.delete_policy == Flow.DeletePolicy.IGNORE:
            note = IGNORED
        self._item(Kind.ONLY_TARGET, link.source_id, link.target_id, note=note)

    def _differs(self, link: RecordLink, record: dict) -> None:
        """The fields that differ, from the source record as it is now (read again: only
        drifted records cost this); none left means it changed back meanwhile."""
        source = self._source_now(link.source_id)
        if source is None:
            return  # deleted since the read: the next reconciliation sees it
        result = self.mapping.apply(self._with_extras(source), current=None)
        if result.skipped or not result.ok:
            return
        fields = self.projection.differences(result.payload, record)
        if fields:
            self._item(Kind.DIFFERS, link.source_id, link.target_id, fields=fields)

    def _source_now(self, source_id: str) -> dict | None:
        """The source record as it is now; None when it is gone."""
        try:
            return self.source.get(source_id)
        except NotFoundError:
            return None
        except IntegrationError as error:
            raise ReadFailed(f"reading {self.flow.source_connection} failed: {error}") from error

    # -- what is left: source records no target record answered -----------------------------
    def _only_in_source(self) -> None:
        left = (key for key, _, shape in self.expected.items() if shape >= FIRST_SHAPE)
        while chunk := list(itertools.islice(left, PAGE)):
            links = RecordLink.objects.filter(pk__in=chunk).order_by("pk")
            for source_id, target_id in links.values_list("source_id", "target_id"):
                note = f"Its linked record {target_id} is gone from the target."
                self._item(Kind.ONLY_SOURCE, source_id, target_id, note=note)

    # -- bookkeeping ------------------------------------------------------------------------
    def _item(self, kind: str, source_id: str, target_id: str, *, note="", fields=None) -> None:
        self.counts[kind] += 1
        self.items.append(
            DriftItem(
                report=self.report,
                kind=kind,
                source_id=source_id,
                target_id=target_id,
                fields=fields or [],
                note=note,
            )
        )
        if len(self.items) >= PAGE:
            self.flush()

    def flush(self) -> None:
        DriftItem.objects.bulk_create(self.items)
        self.items = []

    def _drop_repeats(self) -> None:
        """A record that changed while it was read comes twice (it moved behind the read):
        an unlinked one would be reported twice. Keep the first."""
        repeats = (
            self.report.items.filter(kind=Kind.ONLY_SOURCE, target_id="")
            .values("source_id")
            .annotate(n=Count("pk"), first=Min("pk"))
            .filter(n__gt=1)
        )
        for row in repeats:
            self.report.items.filter(kind=Kind.ONLY_SOURCE, source_id=row["source_id"]).exclude(
                pk=row["first"]
            ).delete()

    def save_counts(self) -> None:
        kinds = dict(self.report.items.values_list("kind").annotate(n=Count("pk")))
        self.counts.update({kind: kinds.get(kind, 0) for kind in Kind.values})
        DriftReport.objects.filter(pk=self.report.pk).update(
            source_count=self.counts["source"],
            target_count=self.counts["target"],
            only_in_source=self.counts[Kind.ONLY_SOURCE],
            only_in_target=self.counts[Kind.ONLY_TARGET],
            differing=self.counts[Kind.DIFFERS],
            api_calls=F("api_calls") + self.calls.count,
        )

    def summary(self) -> str:
        words = []
        if self.counts["deleted"]:
            words.append(f"{self.counts['deleted']} deleted in the source.")
        if self.counts["skipped"]:
            words.append(
                f"{self.counts['skipped']} source records the mapping skips or cannot map "
                "were left out."
            )
        if not any(self.counts[kind] for kind in Kind.values):
            words.append("Both sides are in step.")
        return " ".join(words)
