"""Running a flow: read what changed, map it, decide, write, and record every outcome.

Records are read page by page through the source's record adapter and handled in batches;
each batch commits its run items, links and the source cursor in one transaction, so a
worker that dies loses at most a batch of bookkeeping — and the writes it had made are found
again on resume (HighLevel's upsert, or find-by-identity before creating), never doubled.
Decisions come from sync/engine (pure); this module does the I/O.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from django.db import transaction
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
from sync.budget import (
    DailyBudgetSpent,
    budget_pace,
    daily_budget_check,
    run_eta,
    run_wait,
)
from sync.deciding import Decider
from sync.engine.decide import Action, Decision, Outcome, mapped_of, record_hash
from sync.engine.schedule import run_status
from sync.engine.twoway import flatten, value_at
from sync.links import link_lock, links_save
from sync.models import Conflict, PendingChange, RecordLink, Run, RunItem, SyncCursor
from sync.outages import DATABASE_DOWN, through_outages
from sync.runs import error_kind, pending_change_retry
from sync.triggers import changes_covered
from sync.ways import BACKWARD, FORWARD, way_for

logger = logging.getLogger(__name__)

BATCH = 50  # records per committed batch


# --- the work -----------------------------------------------------------------------------------
@dataclass
class Batch:
    items: list[RunItem] = field(default_factory=list)
    links: dict[str, RecordLink] = field(default_factory=dict)
    retries: list[tuple[str, str, str, bool, str]] = field(default_factory=list)
    # target id -> (tags added, tags removed, source id): tag-only updates of HighLevel
    # contacts, written together through the bulk tags endpoint when the batch commits.
    tags: dict[str, tuple[set, set, str]] = field(default_factory=dict)
    # (link, record read, [conflict]): fields held for review (two-way flows).
    held: list[tuple[RecordLink, dict, list[dict]]] = field(default_factory=list)


class FlowRunner:
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

    def _unrecorded_calls(self) -> int:
        count, self._calls_recorded = self.calls.count - self._calls_recorded, self.calls.count
        return count

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

    def _apply(self, decision: Decision, source_id: str, record, batch: Batch):
        """Carry the decision out (or, in a dry run, say what would happen)."""
        if decision.action is Action.NOTHING:
            return decision.target_id, decision.outcome
        if decision.action in (Action.DELETE, Action.DEACTIVATE, Action.ARCHIVE):
            outcome = Outcome.ARCHIVED if decision.action is Action.ARCHIVE else Outcome.DELETED
            if not self.dry_run:
                self._delete(decision)
            return decision.target_id, outcome
        self._written = None
        payload, extras = actions.split_payload(self.target_provider, decision.payload)
        if self.dry_run:
            created = decision.action in (Action.CREATE, Action.UPSERT)
            return decision.target_id, Outcome.CREATED if created else Outcome.UPDATED
        tags = self._tags_only(decision)
        if tags is not None:  # written with the batch, many contacts per call
            batch.tags[decision.target_id] = (*tags, source_id)
            return decision.target_id, Outcome.UPDATED
        if decision.action is Action.UPSERT:
            result = self.target.upsert(payload)
            self._written = result.record
            target_id = self.target.id_of(result.record)
            outcome = Outcome.CREATED if result.created else Outcome.UPDATED
        elif decision.action is Action.CREATE:
            self._written = self.target.create(payload)
            target_id = self.target.id_of(self._written)
            outcome = Outcome.CREATED
        else:
            target_id = decision.target_id
            self._written = self.target.update(target_id, payload)
            outcome = Outcome.UPDATED
        actions.after_write(
            self.flow,
            self.target,
            target_id,
            outcome,
            record,
            extras,
            written=payload,
            source_adapter=self.source,
        )
        return target_id, outcome

    def _tags_only(self, decision: Decision) -> tuple[set, set] | None:
        """(added, removed) when an update of a HighLevel contact changes nothing but its
        tags and the flow has no actions to run after it; else None."""
        if (
            decision.action is not Action.UPDATE
            or self.target_provider != "highlevel"
            or self.flow.actions
            or {row["field"] for row in decision.diff} != {"tags"}
        ):
            return None
        row = decision.diff[0]
        before = {str(t) for t in (row["before"] or [])}
        after = {str(t) for t in (row["after"] or [])}
        return after - before, before - after

    def _delete(self, decision: Decision) -> None:
        if decision.action is Action.ARCHIVE:
            actions.archive(self.flow, self.target, decision.target_id)
        elif decision.action is Action.DEACTIVATE:
            self.target.deactivate(decision.target_id)
        else:
            with contextlib.suppress(NotFoundError):  # already gone: the goal is met
                self.target.delete(decision.target_id)

    # -- bookkeeping ----------------------------------------------------------------------------
    def _item(
        self, batch, source_id, target_id, outcome, decision=None, *, reason="", error_kind=""
    ):
        batch.items.append(
            RunItem(
                run=self.run,
                direction=self.direction,
                source_id=source_id,
                target_id=target_id or "",
                outcome=outcome,
                diff=decision.diff if decision else [],
                reason=reason or (decision.reason if decision else ""),
                error_kind=error_kind or (decision.error_kind if decision else ""),
                mapping_version=self.mapping_version,
            )
        )

    def _new_link(self, link, source_id, target_id, record, decision) -> RecordLink:
        """The link after a record was synced this way: both ids, what was read, what was
        written field by field (provenance), and for two-way flows the images that let the
        echo of this write be recognised when it comes back."""
        way = self.way
        link = link or way.new_link(source_id)
        way.set_written_id(link, target_id)
        way.set_raw_hash(link, record_hash(record))
        if decision.payload and way.forward:
            link.target_hash = record_hash(decision.payload)
        way.set_image(link, way.reading, self.decider.mapped)
        now = timezone.now()
        if decision.payload and decision.action is not Action.NOTHING:
            provenance = dict(link.provenance or {})
            written = dict(provenance.get(way.writing, {}))
            for name, value in flatten(decision.payload).items():
                written[name] = self._synced(value, now)
            provenance[way.writing] = written
            if way.reverse is not None and self._written is not None and not self.decider.partial:
                # Both sides are in step now (unless the written side kept changes of its
                # own: they must still go back). The written side's image, to recognise the
                # echo of this write; the read side's own values of the fields the other way
                # writes, as last synced (its own values: mappings need not round-trip).
                way.set_image(link, way.writing, mapped_of(way.reverse.apply(self._written)))
                read_side = dict(provenance.get(way.reading, {}))
                for name in way.reverse_writes:
                    read_side[name] = self._synced(value_at(record, name), now)
                provenance[way.reading] = read_side
            link.provenance = provenance
        link.last_run = self.run
        link.synced_at = now
        link.deleted_at = None
        self.links[source_id] = link
        return link

    def _synced(self, value, now) -> dict:
        """A field's provenance entry: the value, this run, when, which mapping version."""
        return {
            "value": value,
            "run": self.run.pk,
            "at": now.isoformat(timespec="seconds"),
            "version": self.mapping_version,
        }

    def _eta(self, just_done: int) -> int | None:
        run = Run.objects.only("total", "processed", "started_at", "api_calls").get(pk=self.run.pk)
        # This batch's calls are saved with its records, after this: count them now, or a
        # record is priced at what the earlier batches cost (nothing, after the first).
        run.api_calls += self.calls.count - self._calls_recorded
        return run_eta(
            run,
            done=run.processed + just_done,
            quota=self.target.daily_quota() or self.source.daily_quota(),
            pace_allowed=budget_pace(self.target_caps),
        )

    def _write_tags(self, batch: Batch) -> None:
        """The batch's tag-only changes in as few bulk calls as there are distinct changes;
        contacts HighLevel refused become failed records, retried like any other."""
        if not batch.tags:
            return
        failed: dict[str, str] = {}
        changes = {tid: (added, removed) for tid, (added, removed, _) in batch.tags.items()}
        try:
            actions.bulk_tag_changes(self.target, changes, failed=failed)
        except IntegrationError as error:
            failed = {tid: str(error) for tid in changes}
            kind = error_kind(error)
        else:
            kind = "rejected"
        for item in batch.items:
            if item.target_id in failed and item.target_id in batch.tags:
                item.outcome, item.reason, item.error_kind = "failed", failed[item.target_id], kind
                batch.links.pop(item.source_id, None)
                self.links.pop(item.source_id, None)
                batch.retries.append((item.source_id, "updated", kind, False, item.reason))

    def _hold(self, batch: Batch) -> None:
        """The batch's conflicts for review: one open Conflict per record and field, kept up
        to date while it waits (the constraint lets no second one open)."""
        way = self.way
        for link, _record, held in batch.held:
            if link.pk is None:
                continue
            for conflict in held:
                # Values and times in the flow's own terms (source system, target system).
                source_value, target_value = conflict["read"], conflict["written"]
                source_at, target_at = conflict["read_at"], conflict["written_at"]
                if not way.forward:
                    source_value, target_value = target_value, source_value
                    source_at, target_at = target_at, source_at
                Conflict.objects.update_or_create(
                    link=link,
                    field=conflict["field"],
                    status=Conflict.Status.OPEN,
                    defaults={
                        "flow": self.flow,
                        "direction": self.direction,
                        "source_value": source_value,
                        "target_value": target_value,
                        "last_value": conflict["last"],
                        "source_updated_at": source_at,
                        "target_updated_at": target_at,
                    },
                )

    def _commit(self, batch: Batch, *, cursor_name: str = "", cursor=None) -> None:
        if not self.dry_run:
            self._write_tags(batch)
        counts = {o.value: 0 for o in Outcome}
        for item in batch.items:
            counts[item.outcome] += 1
        with transaction.atomic():
            RunItem.objects.bulk_create(batch.items)
            if not self.dry_run:
                # Two queries a batch, not one a record.
                links_save(flow=self.flow, links=list(batch.links.values()))
                self._hold(batch)
                for source_id, action, kind, uncertain, message in batch.retries:
                    pending_change_retry(
                        flow=self.flow,
                        direction=self.direction,
                        source_id=source_id,
                        action=action,
                        error_kind=kind,
                        create_uncertain=uncertain,
                        message=message,
                    )
                if cursor_name and cursor is not None:
                    SyncCursor.objects.update_or_create(
                        flow=self.flow, name=cursor_name, defaults={"value": cursor.to_json()}
                    )
            Run.objects.filter(pk=self.run.pk).update(
                eta_seconds=self._eta(len(batch.items)),
                processed=F("processed") + len(batch.items),
                created=F("created") + counts["created"],
                updated=F("updated") + counts["updated"],
                unchanged=F("unchanged") + counts["unchanged"],
                skipped=F("skipped") + counts["skipped"],
                deleted=F("deleted") + counts["deleted"] + counts["archived"],
                failed=F("failed") + counts["failed"],
                api_calls=F("api_calls") + self._unrecorded_calls(),
                heartbeat_at=timezone.now(),
            )
        # Committed: later batches find these links in the database. Holding every link
        # of the run would grow with it (100,000 records, 100,000 links in memory).
        self.links.clear()


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
