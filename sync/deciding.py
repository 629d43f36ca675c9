"""Deciding one record of a run: the reads that tell what to write (the link, the target
record, matches by identity) around the pure decisions of sync/engine."""

from __future__ import annotations

from integrations.errors import NotFoundError, ValidationFailedError
from integrations.providers.base import Identity, RecordAdapter
from sync import actions
from sync.engine.decide import (
    Action,
    Decision,
    Mapped,
    Outcome,
    choose_match,
    decide_delete,
    decide_tags_only,
    decide_write,
    mapped_of,
    record_hash,
    unchanged_since_last_sync,
)
from sync.models import Flow, RecordLink


class Decider:
    """Decides a run's records one at a time; `mapped` is what the mapping made of the last
    one on its own, for its link (None when not worked out)."""

    def __init__(
        self,
        *,
        flow: Flow,
        source: RecordAdapter,
        target: RecordAdapter,
        target_caps,
        mapping,
        spec: dict,
        writes,
        dry_run: bool,
    ):
        self.flow, self.source, self.target = flow, source, target
        self.target_caps, self.mapping, self.writes = target_caps, mapping, writes
        self.dry_run = dry_run
        self.target_provider = flow.target_connection.provider
        # A change whose mapped result (tags aside) is what was last written is decided
        # without reading the target: unchanged, or HighLevel tags to add in bulk. Only
        # sound when tags are only ever appended and no action runs after a write.
        tag_rules = [rule for rule in spec["rules"] if rule.get("target") == "tags"]
        self.decide_from_link = not flow.actions and all(
            rule.get("write_mode") == "append" for rule in tag_rules
        )
        self.mapped: Mapped | None = None
        self._alone = None  # the mapping's result for the record against no target record

    def decide(self, record: dict, link: RecordLink | None) -> Decision:
        """What to do with a source record, reading the target only when the link and the
        mapping cannot tell."""
        self.mapped = self._alone = None
        source_hash = record_hash(record)
        if link and unchanged_since_last_sync(source_hash, link.source_hash):
            return Decision(Action.NOTHING, Outcome.UNCHANGED, link.target_id)
        decision = self._from_link(record, link)
        if decision is not None:
            return decision
        current, target_id = None, ""
        if link:
            try:
                current = self.target.get(link.target_id)
                target_id = link.target_id
            except NotFoundError:
                current = None  # deleted in the target since: write it again
        can_upsert = self.target_caps.upsert and current is None
        if current is None and (not can_upsert or self.dry_run):
            target_id, current = self._match(record)
            can_upsert = can_upsert and current is None
        current = actions.current_with_extras(
            self.target_provider, self.target, target_id, current, self.writes
        )
        if current is None and self._alone is not None:
            result = self._alone  # already worked out against no target record
        else:
            result = self.mapping.apply(record, current=current)
        return decide_write(
            result, target_id=target_id, exists=current is not None, can_upsert=can_upsert
        )

    def _from_link(self, record: dict, link: RecordLink | None) -> Decision | None:
        """The decision when the link alone tells it (see `decide_from_link`), else None."""
        if not self.decide_from_link:
            return None
        self._alone = self.mapping.apply(record, current=None)
        self.mapped = mapped_of(self._alone)
        if self.mapped is None or not link or not link.mapped_hash or link.deleted_at:
            return None
        before = Mapped(link.mapped_hash, list(link.mapped_tags))
        decision = decide_tags_only(target_id=link.target_id, before=before, now=self.mapped)
        if decision is None or (
            decision.action is not Action.NOTHING and self.target_provider != "highlevel"
        ):
            return None  # tags to add elsewhere than HighLevel: the full path writes them
        return decision

    def _match(self, record: dict) -> tuple[str, dict | None]:
        identity = self.source.identity_of(record)
        match_by = self.flow.match_by
        if match_by == Flow.MatchBy.EMAIL:
            identity = Identity(email=identity.email)
        elif match_by == Flow.MatchBy.PHONE:
            identity = Identity(phone=identity.phone)
        if not identity:
            return "", None
        found = self.target.find(identity)
        target_id, problem = choose_match([self.target.id_of(r) for r in found])
        if problem:
            raise ValidationFailedError(problem)
        if not target_id:
            return "", None
        current = next(r for r in found if self.target.id_of(r) == target_id)
        return target_id, current

    def decide_delete(self, link: RecordLink | None) -> Decision:
        self.mapped = self._alone = None
        return decide_delete(
            policy=self.flow.delete_policy,
            target_id=link.target_id if link and not link.deleted_at else "",
            delete_mode=self.target_caps.delete_mode.value,
            can_archive=actions.can_archive(self.target_provider),
        )
