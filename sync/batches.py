"""A run's batches: what one batch of records left to record, and committing it.

A batch's run items, links, conflicts held for review, retries and the source cursor are
saved in one transaction (FlowRunner calls `_commit` every BATCH records), so a worker that
dies loses at most one batch of bookkeeping, and the resumed run finds that batch's writes
again. FlowRunner (sync/runner.py) reads, decides and writes; this is the recording half.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.errors import IntegrationError
from sync import actions
from sync.budget import budget_pace, run_eta
from sync.engine.decide import Action, Outcome, mapped_of, record_hash
from sync.engine.twoway import flatten, value_at
from sync.links import links_save
from sync.models import Conflict, RecordLink, Run, RunItem, SyncCursor
from sync.runs import error_kind, pending_change_retry


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


class BatchBook:
    """FlowRunner's bookkeeping: a record's run item and link, a batch's tags, conflicts and
    commit. Uses the runner's run, flow, way, direction, decider, calls and links cache."""

    def _unrecorded_calls(self) -> int:
        count, self._calls_recorded = self.calls.count - self._calls_recorded, self.calls.count
        return count

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
