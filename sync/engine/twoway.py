"""Two-way flows on plain values: which of a write's fields go, which belong to the other way,
and which are conflicts. Pure: no Django, no I/O.

A field's *last* value is what the last sync left on the side being written (the link's
provenance). Against it:
- the written side still holds it → the change came from the side read: write it;
- the side read still maps to it → only the written side changed: leave it, the other way
  carries it back;
- both moved, to different values → a conflict, settled by the field's policy: the source
  system owns it, the target system owns it, the newest change wins (update timestamps, with
  a tolerance for clock skew; too close to tell → review), or it is held for review.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SKEW = timedelta(seconds=2)  # update times closer than this cannot say which came last

SOURCE, TARGET = "source", "target"  # the flow's two systems, whichever way a run goes
NEWEST, REVIEW = "newest", "review"


def same(left, right) -> bool:
    """Equal as synced values: lists of names compare without order or case (tags), the rest
    as JSON."""
    names = isinstance(left, list) and isinstance(right, list)
    if names and all(isinstance(v, str) for v in left + right):
        return sorted(v.strip().casefold() for v in left) == sorted(
            v.strip().casefold() for v in right
        )
    return json.dumps(left, sort_keys=True, default=str) == json.dumps(
        right, sort_keys=True, default=str
    )


def newer(read_at: datetime | None, written_at: datetime | None) -> bool | None:
    """Whether the side read changed after the side written: True, False, or None when
    either time is unknown or they are within SKEW of each other."""
    if read_at is None or written_at is None:
        return None
    if abs(read_at - written_at) <= SKEW:
        return None
    return read_at > written_at


@dataclass
class Split:
    write: list[str] = field(default_factory=list)  # fields to write
    theirs: list[str] = field(default_factory=list)  # changed only on the written side
    lost: list[str] = field(default_factory=list)  # conflicts the other side won
    held: list[dict] = field(default_factory=list)  # conflicts for review


def split_changes(
    diff: list[dict],
    *,
    last: Mapping[str, object],
    policy_for: Callable[[str], str],
    reading: str,
    read_is_newer: bool | None,
) -> Split:
    """Sort a write's changed fields ({field, before, after}: `before` on the side written,
    `after` mapped from the side read). `last`: the written side's values as last synced.
    `reading`: which system the run reads (SOURCE or TARGET). `policy_for(field)`: SOURCE,
    TARGET, NEWEST or REVIEW."""
    split = Split()
    for row in diff:
        name, before, after = row["field"], row["before"], row["after"]
        if name not in last:
            split.write.append(name)  # never synced: nothing to compare with
            continue
        previous = last[name]
        if same(before, previous):
            split.write.append(name)
        elif same(after, previous):
            split.theirs.append(name)
        else:
            policy = policy_for(name)
            wins = None
            if policy in (SOURCE, TARGET):
                wins = policy == reading
            elif policy == NEWEST:
                wins = read_is_newer
            if wins is True:
                split.write.append(name)
            elif wins is False:
                split.lost.append(name)
            else:
                split.held.append(
                    {"field": name, "read": after, "written": before, "last": previous}
                )
    return split


def flatten(payload: Mapping, prefix: str = "") -> dict[str, object]:
    """A payload's fields as the mapping names them: nested objects as dotted paths
    ({"billingPerson": {"name": "A"}} → {"billingPerson.name": "A"}); lists are values."""
    flat: dict[str, object] = {}
    for key, value in payload.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def without(payload: Mapping, names) -> dict:
    """A copy of `payload` without the fields at these dotted paths (objects left empty
    by it go too)."""
    names = set(names)
    kept: dict = {}
    for key, value in payload.items():
        if key in names:
            continue
        inner = {name[len(key) + 1 :] for name in names if name.startswith(f"{key}.")}
        if isinstance(value, Mapping) and inner:
            value = without(value, inner)
            if not value:
                continue
        kept[key] = value
    return kept


_ABSENT = object()


def value_at(record: Mapping, path: str):
    """The value at a mapping's dotted field path ("Contacts.0.Name"), None when absent."""
    value = record
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part, _ABSENT)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
        if value is _ABSENT:
            return None
    return value
