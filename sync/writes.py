"""Carrying a run's decision out on the system it writes to.

Create, update or upsert (HighLevel's upsert finds a contact written by a run that died
before recording it, so a resumed run does not double it), delete, deactivate or archive,
then the flow's actions (tasks, notes, tags) through sync/actions. A tag-only change of a
HighLevel contact waits for its batch: sync/batches.py writes a batch's tags in bulk calls.
"""

from __future__ import annotations

import contextlib

from integrations.errors import NotFoundError
from sync import actions
from sync.batches import Batch
from sync.engine.decide import Action, Decision, Outcome


class RecordWrites:
    """FlowRunner's writes. Uses the runner's flow, source, target and dry_run, and leaves
    the record the last write returned in `_written` (for two-way flows' echo images)."""

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
