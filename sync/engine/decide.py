"""What to do with one record, given what we know: the link, hashes, matches, the mapping's
result. Pure: the runner reads and writes, this only decides."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    DELETED = "deleted"
    ARCHIVED = "archived"
    FAILED = "failed"


class Action(StrEnum):
    """What the runner must do next for a record."""

    NOTHING = "nothing"  # outcome decided: unchanged, skipped or failed
    CREATE = "create"
    UPSERT = "upsert"  # the target matches and writes in one call (HighLevel)
    UPDATE = "update"
    DELETE = "delete"
    DEACTIVATE = "deactivate"
    ARCHIVE = "archive"


@dataclass(frozen=True)
class Decision:
    action: Action
    outcome: Outcome | None = None  # set when action is NOTHING
    target_id: str = ""
    payload: dict = field(default_factory=dict)
    diff: list[dict] = field(default_factory=list)
    reason: str = ""
    error_kind: str = ""


def record_hash(record: Mapping | None) -> str:
    """A stable digest of a record or payload: key order and whitespace do not matter."""
    if record is None:
        return ""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def unchanged_since_last_sync(source_hash: str, link_source_hash: str | None) -> bool:
    """The source record is exactly what we synced last time: nothing to read or write."""
    return bool(link_source_hash) and source_hash == link_source_hash


def diff_of(changes: Iterable) -> list[dict]:
    """The mapping engine's changes as stored per record: [{field, before, after}]."""
    rows = []
    for change in changes:
        data = change._asdict() if hasattr(change, "_asdict") else dict(change)
        rows.append(
            {
                "field": data.get("field") or data.get("target"),
                "before": data.get("before", data.get("old")),
                "after": data.get("after", data.get("new")),
            }
        )
    return rows


@dataclass(frozen=True)
class Mapped:
    """What the mapping makes of a source record on its own (no target record to merge
    with): the digest of everything but its tags, and its tags. Kept on the link after each
    write, so a later change that only adds tags is known without reading the target."""

    digest: str
    tags: list[str]


def mapped_of(result: Any) -> Mapped | None:
    """`Mapped` from the mapping engine's Result for a record against no target record;
    None when the mapping skips or refuses the record."""
    if result.skipped or not result.ok:
        return None
    payload = dict(result.payload)
    tags = payload.pop("tags", None) or []
    tags = [str(tag) for tag in (tags if isinstance(tags, list) else [tags])]
    return Mapped(record_hash(payload), tags)


def decide_tags_only(*, target_id: str, before: Mapped, now: Mapped) -> Decision | None:
    """With tags the mapping only appends: when nothing but the mapped tags changed since
    the last write, add the new ones (unchanged when there are none) — no read of the target
    needed. None when anything else changed: the full path decides."""
    if before.digest != now.digest:
        return None
    known = {tag.strip().casefold() for tag in before.tags}
    added = [tag for tag in dict.fromkeys(now.tags) if tag.strip().casefold() not in known]
    if not added:
        return Decision(Action.NOTHING, Outcome.UNCHANGED, target_id)
    diff = [{"field": "tags", "before": before.tags, "after": [*before.tags, *added]}]
    return Decision(Action.UPDATE, None, target_id, {"tags": added}, diff)


def problems_text(problems: Sequence) -> str:
    reasons = []
    for problem in problems:
        field_name = getattr(problem, "field", "") or ""
        reason = getattr(problem, "reason", str(problem))
        reasons.append(f"{field_name}: {reason}" if field_name else reason)
    return "; ".join(reasons)


def choose_match(candidates: Sequence[str]) -> tuple[str, str]:
    """(target id, problem) from the ids that matched a record's identity: one is a match,
    none means create, several is a clear failure rather than a guess."""
    unique = list(dict.fromkeys(candidates))
    if len(unique) == 1:
        return unique[0], ""
    if not unique:
        return "", ""
    shown = ", ".join(unique[:5]) + ("…" if len(unique) > 5 else "")
    return "", (
        f"{len(unique)} records in the target match this one ({shown}): link one by hand or "
        "tidy the duplicates, then replay."
    )


def decide_write(result: Any, *, target_id: str, exists: bool, can_upsert: bool) -> Decision:
    """What to do with a mapped record. `result` is the mapping engine's Result for the
    record against the target as it is (`exists`), `target_id` the matched/linked record."""
    if result.skipped:
        return Decision(Action.NOTHING, Outcome.SKIPPED, target_id, reason=result.skipped_reason)
    if not result.ok:
        blocking = [p for p in result.problems if getattr(p, "blocking", True)]
        return Decision(
            Action.NOTHING,
            Outcome.FAILED,
            target_id,
            reason=problems_text(blocking) or "The mapping could not map this record.",
            error_kind="mapping",
        )
    diff = diff_of(result.changes)
    if exists:
        if not result.changes:
            return Decision(Action.NOTHING, Outcome.UNCHANGED, target_id)
        return Decision(Action.UPDATE, None, target_id, dict(result.payload), diff)
    action = Action.UPSERT if can_upsert else Action.CREATE
    return Decision(action, None, "", dict(result.payload), diff)


def decide_delete(*, policy: str, target_id: str, delete_mode: str, can_archive: bool) -> Decision:
    """A source record was deleted: follow the flow's delete policy."""
    if not target_id:
        return Decision(Action.NOTHING, Outcome.SKIPPED, reason="It was never synced.")
    if policy == "ignore":
        return Decision(
            Action.NOTHING, Outcome.SKIPPED, target_id, reason="This flow ignores deletes."
        )
    if policy == "archive" and can_archive:
        return Decision(Action.ARCHIVE, None, target_id)
    if delete_mode == "deactivate":
        return Decision(Action.DEACTIVATE, None, target_id)
    return Decision(Action.DELETE, None, target_id)
