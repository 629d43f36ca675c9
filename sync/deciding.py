"""Deciding one record of a run: the reads that tell what to write (the link, the written
side's record, matches by identity) around the pure decisions of sync/engine, one way of a
flow at a time (sync/ways.py)."""

from __future__ import annotations

from dataclasses import replace

from integrations.errors import NotFoundError, ValidationFailedError
from integrations.providers.base import Identity
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
from sync.engine.twoway import newer, split_changes, without
from sync.models import Flow, RecordLink
from sync.ways import Way, image_digest


class Decider:
    """Decides a run's records one at a time. After each: `mapped` is what the mapping made
    of the record on its own (None when not worked out), `held` the conflicts it holds for
    review (two-way flows)."""

    def __init__(self, *, way: Way, dry_run: bool):
        self.way, self.flow = way, way.flow
        self.source, self.target = way.source, way.target
        self.target_caps, self.mapping, self.writes = way.target_caps, way.mapping, way.writes
        self.dry_run = dry_run
        self.target_provider = way.target_provider
        # A change whose mapped result (tags aside) is what was last written is decided
        # without reading the target: unchanged, or HighLevel tags to add in bulk. Only
        # sound one way, when tags are only ever appended and no action runs after a write.
        tag_rules = [rule for rule in way.spec["rules"] if rule.get("target") == "tags"]
        self.decide_from_link = (
            not way.two_way
            and not self.flow.actions
            and all(rule.get("write_mode") == "append" for rule in tag_rules)
        )
        self.mapped: Mapped | None = None
        self.held: list[dict] = []
        # Two-way: the write leaves fields the written side changed itself (theirs, lost or
        # held): that side is then not in step with the side read.
        self.partial = False
        self._alone = None  # the mapping's result for the record against no target record

    def decide(self, record: dict, link: RecordLink | None) -> Decision:
        """What to do with a record read, reading the written side only when the link and
        the mapping cannot tell."""
        self.mapped, self.held, self._alone, self.partial = None, [], None, False
        way = self.way
        if link and unchanged_since_last_sync(record_hash(record), way.raw_hash(link)):
            return Decision(Action.NOTHING, Outcome.UNCHANGED, way.written_id(link))
        decision = self._from_link(record, link) if link and not link.deleted_at else None
        if decision is None and (way.two_way or self.decide_from_link):
            self._work_out_alone(record)  # for the link this record will get
        if decision is not None:
            return decision
        current, target_id = None, ""
        if link and way.written_id(link):
            try:
                current = self.target.get(way.written_id(link))
                target_id = way.written_id(link)
            except NotFoundError:
                current = None  # deleted on that side since: write it again
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
        decision = decide_write(
            result, target_id=target_id, exists=current is not None, can_upsert=can_upsert
        )
        if way.two_way and link and current is not None and decision.action is Action.UPDATE:
            decision = self._two_way(decision, record, current, link)
        return decision

    def _work_out_alone(self, record: dict) -> None:
        if self._alone is None:
            self._alone = self.mapping.apply(record, current=None)
            self.mapped = mapped_of(self._alone)

    def _from_link(self, record: dict, link: RecordLink) -> Decision | None:
        """The decision when the link alone tells it, else None. Two-way: the record maps to
        what was last synced (often our own write coming back: an echo) → unchanged. One
        way (see `decide_from_link`): unchanged, or HighLevel tags to add in bulk."""
        way = self.way
        if way.two_way:
            self._work_out_alone(record)
            image = way.read_image(link)
            if self.mapped is not None and image and image_digest(self.mapped) == image:
                return Decision(Action.NOTHING, Outcome.UNCHANGED, way.written_id(link))
            return None
        if not self.decide_from_link:
            return None
        self._work_out_alone(record)
        if self.mapped is None or not link.mapped_hash:
            return None
        before = Mapped(link.mapped_hash, list(link.mapped_tags))
        decision = decide_tags_only(target_id=link.target_id, before=before, now=self.mapped)
        if decision is None or (
            decision.action is not Action.NOTHING and self.target_provider != "highlevel"
        ):
            return None  # tags to add elsewhere than HighLevel: the full path writes them
        return decision

    def _two_way(self, decision: Decision, record, current, link: RecordLink) -> Decision:
        """Keep the written side's own changes (they go the other way) and settle the fields
        both sides changed by the flow's policies; hold the rest for review."""
        way, flow = self.way, self.flow
        last = {
            name: entry.get("value")
            for name, entry in (link.provenance or {}).get(way.writing, {}).items()
            if isinstance(entry, dict)
        }
        read_at, written_at = self.source.updated_of(record), self.target.updated_of(current)
        split = split_changes(
            decision.diff,
            last=last,
            policy_for=lambda name: flow.field_policies.get(name) or flow.conflict_policy,
            reading=way.reading,
            read_is_newer=newer(read_at, written_at),
        )
        self.held = [{**held, "read_at": read_at, "written_at": written_at} for held in split.held]
        self.partial = bool(split.theirs or split.lost or split.held)
        keep = set(split.write)
        dropped = set(split.theirs) | set(split.lost) | {h["field"] for h in split.held}
        payload = without(decision.payload, dropped)
        diff = [row for row in decision.diff if row["field"] in keep]
        if not diff:
            reason = "Held for review: both systems changed it." if split.held else ""
            outcome = Outcome.SKIPPED if split.held else Outcome.UNCHANGED
            return Decision(Action.NOTHING, outcome, decision.target_id, reason=reason)
        return replace(decision, payload=payload, diff=diff)

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
        self.mapped, self.held, self._alone, self.partial = None, [], None, False
        written = self.way.written_id(link) if link and not link.deleted_at else ""
        policy = self.flow.delete_policy
        can_archive = actions.can_archive(self.target_provider)
        if policy == Flow.DeletePolicy.ARCHIVE and not can_archive:
            # Archiving is what a HighLevel target can do; the way back into a store keeps
            # the customer rather than deleting it for an archive policy.
            return Decision(
                Action.NOTHING,
                Outcome.SKIPPED,
                written,
                reason="This flow archives deletes; the store's record is kept.",
            )
        return decide_delete(
            policy=policy,
            target_id=written,
            delete_mode=self.target_caps.delete_mode.value,
            can_archive=can_archive,
        )
