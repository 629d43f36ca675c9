"""Running a flow: read what changed, map it, decide, write, and record every outcome.

Records are read page by page through the source's record adapter and handled in batches;
each batch commits its run items, links and the source cursor in one transaction, so a
worker that dies loses at most a batch of bookkeeping — and the writes it had made are found
again on resume (HighLevel's upsert, or find-by-identity before creating), never doubled.
Decisions come from sync/engine (pure); this module does the I/O, and sync/batches.py
records each batch.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Iterable, Iterator
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from integrations.errors import (
    AuthError,
    IntegrationError,
    MissingScopeError,
    NotFoundError,
)
from integrations.models import Connection
from integrations.providers.base import RecordAdapter
from integrations.providers.registry import adapter_for, get_provider
from sync import actions
from sync.actions.calls import CallCount
from sync.batches import Batch, BatchBook
from sync.budget import (
    DailyBudgetSpent,
    budget_pace,
    daily_budget_check,
    run_wait,
)
from sync.deciding import Decider
from sync.engine.decide import Outcome
from sync.engine.schedule import run_status
from sync.links import link_lock
from sync.models import PendingChange, RecordLink, Run, RunItem, SyncCursor
from sync.outages import DATABASE_DOWN, through_outages
from sync.runs import error_kind
from sync.triggers import changes_covered
from sync.ways import BACKWARD, FORWARD, way_for
from sync.writes import RecordWrites

logger = logging.getLogger(__name__)

BATCH = 50  # records per committed batch


class FlowRunner(RecordWrites, BatchBook):
    """One run of one flow. `execute()` is all a task calls."""

    def __init__(self, run: Run, *, source: RecordAdapter | None = None, target=None):
        """`source`/`target`: the flow's own two systems' adapters (whichever way a run
        goes), e.g. with test clients; built from the flow's connections when not given."""
        self.run = run
        self.flow = run.flow
        self.dry_run = run.dry_run
        flow_source = source or adapter_for(self.flow.source_connection, self.flow.object_type)
        flow_target = target or adapter_for(self.flow.target_connection, self.flow.object_type)
        # One way, or both for a two-way flow: forward (source → target) first, then back.
        self.ways = {FORWARD: way_for(self.flow, FORWARD, source=flow_source, target=flow_target)}
        if self.ways[FORWARD].two_way:
            self.ways[BACKWARD] = way_for(
                self.flow, BACKWARD, source=flow_source, target=flow_target
            )
        self.deciders = {
            direction: Decider(way=way, dry_run=self.dry_run)
            for direction, way in self.ways.items()
        }
        self.links: dict[str, RecordLink] = {}
        self._last_beat = timezone.now()
        # Every request either side's client sends (reads, writes, actions, retries), as
        # the run's `api_calls`; `_calls_recorded` of them are in the database already.
        self.calls = CallCount()
        self._calls_recorded = 0
        self._handled = 0  # records handled by this worker, for the calls a record costs
        self._written: dict | None = None  # the record the last write left on that side
        self._paused = ""  # what the run says after it waited for the database
        self._go(FORWARD)

    def _go(self, direction: str) -> None:
        """Work one way from now on (the links cache is per way: cleared)."""
        way = self.ways[direction]
        self.way, self.decider, self.direction = way, self.deciders[direction], direction
        self.source, self.target = way.source, way.target
        self.source_provider, self.target_provider = way.source_provider, way.target_provider
        self.target_caps, self.mapping = way.target_caps, way.mapping
        self.mapping_version = way.mapping_version
        self.reads, self.writes = way.reads, way.writes
        self.links.clear()

    # -- entry ----------------------------------------------------------------------------
    def execute(self, records: Iterable[tuple[str, dict | None, str]] | None = None) -> Run:
        """Run over `records` ((source id, record or None for deleted, action)), or over what
        changed since the flow's cursor when None."""
        run = self.run
        now = timezone.now()
        # Claimed with a conditional update: a run redelivered to a second worker, or
        # requeued while it was only slow, is not run twice.
        claimed = Run.objects.filter(pk=run.pk, status=Run.Status.QUEUED).update(
            status=Run.Status.RUNNING,
            started_at=Coalesce("started_at", Value(now)),
            heartbeat_at=now,
        )
        if not claimed:
            run.refresh_from_db()
            return run
        mappings = [self.flow.mapping] + (
            [self.flow.reverse_mapping] if BACKWARD in self.ways else []
        )
        if not self.dry_run and not all(mapping.is_healthy for mapping in mappings):
            return self._finish(
                Run.Status.FAILED,
                "The mapping has problems, so nothing was written: open it and fix them.",
            )
        try:
            with self.calls:
                self.calls.watch(self.way.source.client)
                self.calls.watch(self.way.target.client)
                if records is None:
                    for direction in self.ways:  # forward, then back for two-way flows
                        self._go(direction)
                        through_outages(self._run_changes, on_resume=self._resumed)
                else:
                    self._run_records(records)
        except DailyBudgetSpent as spent:
            return self._wait(spent)
        except (AuthError, MissingScopeError) as error:
            return self._finish(Run.Status.FAILED, f"{error} Reconnect, then run again.")
        except IntegrationError as error:
            return self._finish(Run.Status.FAILED, f"Reading failed: {error}")
        run.refresh_from_db()
        status = run_status(processed=run.processed, failed=run.failed)
        return self._finish(status, "")

    def _finish(self, status: str, message: str) -> Run:
        Run.objects.filter(pk=self.run.pk).update(
            status=status,
            message=message or self._paused,  # a pause for the database is worth knowing
            in_flight=False,
            finished_at=timezone.now(),
            eta_seconds=0,
            api_calls=F("api_calls") + self._unrecorded_calls(),
        )
        self.run.refresh_from_db()
        return self.run

    # -- the daily cap -------------------------------------------------------------------------
    def _check_daily_budget(self) -> None:
        """Between batches of a whole-flow read (its cursor saved): stop before a next batch
        could eat into the reserve of either system's daily cap."""
        per_record = self.calls.count / self._handled if self._handled else 1.0
        systems = (
            (get_provider(self.target_provider).name, self.target),
            (get_provider(self.source_provider).name, self.source),
        )
        daily_budget_check(systems, next_batch_calls=max(per_record, 1.0) * BATCH)

    def _wait(self, spent: DailyBudgetSpent) -> Run:
        Run.objects.filter(pk=self.run.pk).update(
            api_calls=F("api_calls") + self._unrecorded_calls()
        )
        return run_wait(self.run, spent, pace=budget_pace(self.target_caps))

    # -- reading ------------------------------------------------------------------------------
    def _saved_cursor(self, name: str):
        row = SyncCursor.objects.filter(flow=self.flow, name=name).first()
        if row is None or not row.value:
            return self.source.new_cursor()
        return self.source.cursor_from_json(row.value)

    def _run_changes(self) -> None:
        name = self.way.cursor_name
        cursor = self._saved_cursor(name)
        if cursor == self.source.new_cursor():  # a full read: say how much is coming
            with contextlib.suppress(IntegrationError):
                total = self.source.estimate_total()
                if total is not None and self.direction == BACKWARD:
                    total = F("total") + total if self.run.total is not None else total
                Run.objects.filter(pk=self.run.pk).update(total=total)
        reading = self.source.list_changed(cursor)
        batch, cursor = Batch(), None
        for record, cursor in self._prefetching(reading, lambda step: self.source.id_of(step[0])):
            self._handle(batch, self.source.id_of(record), record, "updated")
            if len(batch.items) >= BATCH:
                self._commit(batch, cursor_name=name, cursor=cursor)
                batch = Batch()
                self._check_daily_budget()
        self._commit(batch, cursor_name=name, cursor=reading.cursor)
        self._check_daily_budget()
        deleted_batch, after = Batch(), reading.cursor
        deletions = self._prefetching(
            self.source.list_deleted(reading.cursor), lambda step: step[0].external_id
        )
        for deleted, after in deletions:  # noqa: B007
            self._handle(deleted_batch, deleted.external_id, None, "deleted")
        if deleted_batch.items or after is not reading.cursor:
            self._commit(deleted_batch, cursor_name=name, cursor=after)

    def _resumed(self, waited: float) -> None:
        """After the database came back: go on from the saved cursor (the links this worker
        kept may be of the lost batch: read again)."""
        self.links.clear()
        self._paused = (
            f"Paused {waited:.0f} s while the database was unavailable; "
            "went on from the last saved batch."
        )
        Run.objects.filter(pk=self.run.pk).update(heartbeat_at=timezone.now(), message=self._paused)

    def _run_records(self, records: Iterable[tuple]) -> None:
        """(id, record or None, action[, direction]): the id in the system that changed;
        records of the other way (a two-way flow's target changes) go back."""
        by_way = itertools.groupby(records, key=lambda step: step[3] if len(step) > 3 else FORWARD)
        for direction, steps in by_way:
            if direction not in self.ways:
                raise ValueError(f"Flow {self.flow.pk} does not go {direction}.")
            self._go(direction)
            batch = Batch()
            for source_id, record, action, *_ in self._prefetching(steps, lambda step: step[0]):
                self._handle(batch, source_id, record, action)
                if len(batch.items) >= BATCH:
                    self._commit(batch)
                    batch = Batch()
            self._commit(batch)

    def _prefetching(self, steps: Iterable, source_id_of) -> Iterator:
        """`steps` as they come, with the links of each next BATCH of them read in one query
        instead of one query per record."""
        steps = iter(steps)
        while chunk := list(itertools.islice(steps, BATCH)):
            wanted = {str(source_id_of(step)) for step in chunk} - self.links.keys()
            if wanted:
                self.links.update(dict.fromkeys(wanted))
                key = self.way.read_key
                found = RecordLink.objects.filter(flow=self.flow, **{f"{key}__in": wanted})
                self.links.update((self.way.read_id(link), link) for link in found)
            yield from chunk

    # -- one record ------------------------------------------------------------------------
    def _link(self, source_id: str) -> RecordLink | None:
        if source_id not in self.links:
            self.links[source_id] = RecordLink.objects.filter(
                flow=self.flow, **{self.way.read_key: source_id}
            ).first()
        return self.links[source_id]

    def _beat(self) -> None:
        """Say we are alive between batches too: a batch slowed by the rate budget must not
        look like a dead worker."""
        now = timezone.now()
        if now - self._last_beat > timedelta(seconds=30):
            Run.objects.filter(pk=self.run.pk).update(heartbeat_at=now)
            self._last_beat = now

    def _handle(self, batch: Batch, source_id: str, record: dict | None, action: str) -> None:
        self._beat()
        self._handled += 1
        link = self._link(source_id)
        try:
            with self._held(source_id):
                if record is None and action == "deleted":
                    decision = self.decider.decide_delete(link)
                else:
                    if record is None:
                        record = self._read_now(source_id)  # a thin webhook: read it now
                    if record is not None:
                        record = actions.source_with_extras(
                            self.source_provider, self.source, record, self.reads
                        )
                    decision = (
                        self.decider.decide_delete(link)
                        if record is None
                        else self.decider.decide(record, link)
                    )
                target_id, outcome = self._apply(decision, source_id, record, batch)
        except (SoftTimeLimitExceeded, TimeLimitExceeded):
            raise  # the task's time is up: stop; the cursor and links say where we were
        except DATABASE_DOWN:
            # The database is gone (a restart): not this record's fault. Counted as failed
            # it would become a dead letter once the database is back; stopping leaves the
            # batch uncommitted, so the resumed run handles it again (writes are found).
            raise
        except Exception as error:  # one bad record must not stop the run...
            if isinstance(error, AuthError) and self._reconnect_needed():
                # ...but a connection that must be reconnected (its refresh was refused)
                # fails every record alike: stop, saying so. The cursor stays at the last
                # committed batch, so the run after the reconnect goes on from there.
                raise
            kind = error_kind(error)
            if kind == "internal":
                logger.exception("Flow %s record %s failed", self.flow.pk, source_id)
            uncertain = kind in ("transient", "rate_limited") and link is None
            batch.retries.append((source_id, action, kind, uncertain, str(error)))
            self._item(
                batch,
                source_id,
                self.way.written_id(link) if link else "",
                Outcome.FAILED,
                reason=str(error) or type(error).__name__,
                error_kind=kind,
            )
            return
        self._item(batch, source_id, target_id, outcome, decision)
        if self.decider.held and link is not None and not self.dry_run:
            batch.held.append((link, record, list(self.decider.held)))
        if not self.dry_run and outcome in (Outcome.CREATED, Outcome.UPDATED, Outcome.UNCHANGED):
            batch.links[source_id] = self._new_link(link, source_id, target_id, record, decision)
        elif not self.dry_run and outcome in (Outcome.DELETED, Outcome.ARCHIVED) and link:
            link.deleted_at = timezone.now()
            batch.links[source_id] = link

    def _reconnect_needed(self) -> bool:
        ids = (self.flow.source_connection_id, self.flow.target_connection_id)
        return Connection.objects.filter(
            pk__in=ids, status=Connection.Status.NEEDS_RECONNECT
        ).exists()

    def _held(self, source_id: str):
        """The record held from its read to its write, against another run of this flow
        writing it at the same moment (sync.links.link_lock); a dry run writes nothing."""
        if self.dry_run:
            return contextlib.nullcontext()
        return link_lock(flow_id=self.flow.pk, direction=self.direction, source_id=source_id)

    def _read_now(self, source_id: str) -> dict | None:
        """The record as the source has it now (the newest state wins), or None if it was
        deleted since the change was announced."""
        try:
            return self.source.get(source_id)
        except NotFoundError:
            return None


def run_execute(*, run_id: int) -> Run:
    run = Run.objects.select_related(
        "flow__source_connection", "flow__target_connection", "flow__mapping"
    ).get(pk=run_id)
    if run.status != Run.Status.QUEUED:
        return run  # done, running elsewhere, or waiting for the daily reset
    return FlowRunner(run).execute()


def run_changes(*, run_id: int, change_ids: list[int]) -> Run:
    """Apply pending changes (webhooks, retries, replays): each re-read from the source,
    so the newest state wins however the deliveries were ordered."""
    run = Run.objects.select_related(
        "flow__source_connection", "flow__target_connection", "flow__mapping"
    ).get(pk=run_id)
    # Grouped by way (a two-way flow's target changes go back), oldest first in each.
    changes = list(PendingChange.objects.filter(pk__in=change_ids).order_by("-direction", "pk"))
    if not run.dry_run:
        covered = changes_covered(flow=run.flow, changes=changes)
        if covered:  # done without a read: what was last read already holds them
            PendingChange.objects.filter(pk__in=[change.pk for change in covered]).update(
                status=PendingChange.Status.DONE, last_error="", error_kind=""
            )
            changes = [change for change in changes if change not in covered]
            Run.objects.filter(pk=run.pk).update(total=len(changes))

    def records() -> Iterator[tuple[str, dict | None, str, str]]:
        for change in changes:
            yield change.source_id, None, change.action, change.direction

    runner = FlowRunner(run)
    result = runner.execute(records())
    if result.status == Run.Status.FAILED and result.processed == 0:
        return result  # nothing was applied (a broken mapping, no access): they stay pending
    if run.dry_run:
        return result  # nothing was written: the changes still wait for a live run
    # Done: the changes the run recorded an outcome for, other than failed. A run that
    # stopped part way (a connection to reconnect) leaves the rest pending and leased:
    # they are handed out again when the lease runs out.
    applied = set(
        RunItem.objects.filter(run=run)
        .exclude(outcome=RunItem.Outcome.FAILED)
        .values_list("direction", "source_id")
    )
    done = [c.pk for c in changes if (c.direction, c.source_id) in applied]
    PendingChange.objects.filter(pk__in=done).update(
        status=PendingChange.Status.DONE, last_error="", error_kind=""
    )
    return result
