"""Comparing the two sides of a flow without holding either. What the mapping makes of a
source record is kept as one number (an expectation); each target record, as it streams
past, is checked against the expectation of the source record it is linked to.

Which target fields count follows the write mode of the rules writing them, so a record is
"in step" exactly when a run would find nothing to write:
- overwrite: the target holds the mapped value, when the mapping produced one (a rule with
  no value for a record writes nothing, so whatever the target has is not drift);
- if_empty: the target has some value where the mapping has one;
- append: a list (tags) holds at least the mapped items, case aside; appended text is not
  compared (what the target added around it is not drift);
- create_only: not compared, nor are the fields a sync writes through endpoints of their
  own (`leave_out`: HighLevel notes, CS-Cart user groups), which cost a read per record.

An expectation is a 64-bit digest of the overwrite values plus a "shape": which fields have
a value and which list items are wanted, interned, since most records share theirs. They are
kept per link in a `LinkTable`: three arrays, 20 bytes a slot and no Python object per
record (a dict of ints costs about 120 bytes an entry), so memory stays nearly flat in the
number of records.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from mappings.engine.customfields import current_values

# Shapes that are markers, not expectations.
SKIPPED = 0  # the mapping skips or cannot map it: a run would not write it either
DEACTIVATED = 1  # deactivated in the source (Cin7): a delete, for the delete policy
MATCHED = 2  # already met in the target read
FIRST_SHAPE = 3


@dataclass(frozen=True)
class Field:
    name: str  # the target field (a path of the target record)
    read: Callable[[Any], Any]  # target-shaped record or payload -> its value


def _reader(rule) -> Callable[[Any], Any]:
    if rule.custom_field_id is not None:
        field_id = rule.custom_field_id
        return lambda record: current_values(record).get(field_id)
    return rule.read_old


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _digest(pairs: list) -> int:
    text = _canonical(pairs).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _fold(item: Any) -> str:
    return item.strip().casefold() if isinstance(item, str) else _canonical(item)


def _folded(value: Any) -> set[str]:
    items = value if isinstance(value, list) else [] if _empty(value) else [value]
    return {_fold(item) for item in items}


def json_safe(value: Any) -> Any:
    """A value as a JSON field stores it (dates and the like as text)."""
    return json.loads(_canonical(value))


class Projection:
    """The fields of a compiled mapping that say whether a target record is in step, and
    the packed expectation of one mapped payload (see the module docstring).

    An expectation is a non-negative int: the digest of the overwrite values (64 bits), the
    index of the interned list expectations (32 bits), then one bit per overwrite field that
    has a value and one per if_empty field that has one. Records sharing their tags share
    one interned tuple, so holding 100,000 of them costs little more than their ids."""

    def __init__(self, mapping, *, leave_out: Iterable[str] = ()):
        left_out = set(leave_out)
        by_target: dict[str, list] = {}
        for rule in mapping.rules:
            if str(rule.target).split(".")[0].split("[")[0] not in left_out:
                by_target.setdefault(rule.target, []).append(rule)
        self.exact: list[Field] = []
        self.filled: list[Field] = []
        self.lists: list[Field] = []
        for target, rules in by_target.items():
            modes = {rule.mode for rule in rules}
            field = Field(target, _reader(rules[0]))
            if "append" in modes:
                self.lists.append(field)
            elif "overwrite" in modes:
                self.exact.append(field)
            elif "if_empty" in modes:
                self.filled.append(field)
        self._shapes: dict[tuple, int] = {}
        self._shape_list: list[tuple] = []

    @property
    def compared(self) -> list[str]:
        return [f.name for f in (*self.exact, *self.filled, *self.lists)]

    def expect(self, payload: dict) -> tuple[int, int]:
        """(digest, shape) of a mapped payload."""
        pairs, mask = [], 0
        for i, field in enumerate(self.exact):
            value = field.read(payload)
            if value is not None:
                mask |= 1 << i
                pairs.append((field.name, value))
        filled = 0
        for i, field in enumerate(self.filled):
            if not _empty(field.read(payload)):
                filled |= 1 << i
        wanted = []
        for i, field in enumerate(self.lists):
            value = field.read(payload)
            if isinstance(value, list) and value:
                wanted.append((i, tuple(sorted(_folded(value)))))
        key = (mask, filled, tuple(wanted))
        shape = self._shapes.get(key)
        if shape is None:
            shape = self._shapes[key] = FIRST_SHAPE + len(self._shape_list)
            self._shape_list.append(key)
        return _digest(pairs), shape

    def in_step(self, digest: int, shape: int, record: dict) -> bool:
        """Whether the target record holds what the expectation asks for."""
        mask, filled, wanted = self._shape_list[shape - FIRST_SHAPE]
        pairs = [
            (field.name, field.read(record)) for i, field in enumerate(self.exact) if mask >> i & 1
        ]
        if _digest(pairs) != digest:
            return False
        for i, field in enumerate(self.filled):
            if filled >> i & 1 and _empty(field.read(record)):
                return False
        return all(set(items) <= _folded(self.lists[i].read(record)) for i, items in wanted)

    def differences(self, payload: dict, record: dict) -> list[dict]:
        """[{"field", "source", "target"}]: where the target record is not what the mapped
        payload asks for, in the target's terms."""
        rows = []
        for field in self.exact:
            value, have = field.read(payload), field.read(record)
            if value is not None and _canonical(value) != _canonical(have):
                rows.append(_row(field.name, value, have))
        for field in self.filled:
            value, have = field.read(payload), field.read(record)
            if not _empty(value) and _empty(have):
                rows.append(_row(field.name, value, have))
        for field in self.lists:
            value, have = field.read(payload), field.read(record)
            if isinstance(value, list) and not _folded(value) <= _folded(have):
                rows.append(_row(field.name, value, have))
        return rows


def _row(name: str, source: Any, target: Any) -> dict:
    return {"field": name, "source": json_safe(source), "target": json_safe(target)}


class LinkTable:
    """link id -> (digest, shape), open addressing over three arrays (0 marks a free slot;
    link ids start at 1). Sized from the expected number of records when known, so a full
    read does not rehash; it doubles past 70 % full."""

    LOAD = 0.7

    def __init__(self, expected: int = 0):
        self.size = 0
        capacity = 1024
        while capacity * self.LOAD < expected:
            capacity *= 2
        self._allocate(capacity)

    def _allocate(self, capacity: int) -> None:
        self.keys = array("q", [0]) * capacity
        self.digests = array("Q", [0]) * capacity
        self.shapes = array("I", [0]) * capacity
        self._bits = capacity.bit_length() - 1

    def _slot(self, key: int) -> int:
        mask = len(self.keys) - 1
        # Fibonacci hashing: link ids are consecutive, the top bits of the product are not.
        slot = (key * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF) >> (64 - self._bits)
        keys = self.keys
        while keys[slot] and keys[slot] != key:
            slot = (slot + 1) & mask
        return slot

    def put(self, key: int, digest: int, shape: int) -> None:
        if (self.size + 1) > len(self.keys) * self.LOAD:
            self._grow()
        slot = self._slot(key)
        if not self.keys[slot]:
            self.keys[slot] = key
            self.size += 1
        self.digests[slot], self.shapes[slot] = digest, shape

    def get(self, key: int) -> tuple[int, int] | None:
        slot = self._slot(key)
        return (self.digests[slot], self.shapes[slot]) if self.keys[slot] else None

    def mark(self, key: int, shape: int) -> None:
        slot = self._slot(key)
        if self.keys[slot]:
            self.shapes[slot] = shape

    def items(self) -> Iterator[tuple[int, int, int]]:
        for slot, key in enumerate(self.keys):
            if key:
                yield key, self.digests[slot], self.shapes[slot]

    def _grow(self) -> None:
        keys, digests, shapes = self.keys, self.digests, self.shapes
        self._allocate(len(keys) * 2)
        self.size = 0
        for slot, key in enumerate(keys):
            if key:
                self.put(key, digests[slot], shapes[slot])
