"""Cursors: where the last read of a system stopped, as a value that survives a restart.

Two kinds cover the six systems:

- `TimeCursor` for systems with a "changed since" filter. It keeps the newest update time
  read (`since`) and the records read inside the overlap window (`recent`: id -> a marker of
  the version read, the update time or a digest of the record). A read asks from
  `since - overlap`, floored to the system's time precision, so a record that became visible
  late is still caught, and `recent` keeps the overlap from yielding a record twice for the
  same change. Each provider subclasses it to state its overlap and precision.
- `SnapshotCursor` for systems without one (CS-Cart, Orderspace): a digest per record as of
  the last complete read; a read yields what is new or differs, and a complete read that no
  longer finds a record reports it deleted.

Both are frozen, JSON-serialisable (`to_json()` / `cursor_from_json()`), and each yielded
cursor covers exactly the records yielded before it, so saving it with that work is safe.
Their id maps are persistent (`immutables.Map`): the cursor after each record shares all but
one entry with the one before, so a read of N records costs O(N log N), not O(N²).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from immutables import Map

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CursorError(ValueError):
    """A saved cursor that cannot be read back (edited by hand, or from another provider)."""


def record_digest(record: Mapping) -> str:
    """A short, stable digest of a normalised record (key order does not matter)."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _parse_iso(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise CursorError(f"The cursor's {name} {value!r} is not an ISO 8601 time.") from None
    if moment.tzinfo is None:
        raise CursorError(f"The cursor's {name} {value!r} has no time zone.")
    return moment.astimezone(UTC)


def floor_time(moment: datetime, precision: timedelta) -> datetime:
    """Round down to the system's precision: asking for 12:00:00.7 with 1 s precision must
    ask for 12:00:00, or records stamped 12:00:00 are missed."""
    step = precision // timedelta(microseconds=1)
    if step <= 1:
        return moment
    micros = (moment - EPOCH) // timedelta(microseconds=1)
    return EPOCH + timedelta(microseconds=micros - micros % step)


class Cursor:
    kind: ClassVar[str]

    def to_json(self) -> dict:
        raise NotImplementedError


def _frozen(value: Mapping | None) -> Map | None:
    return value if value is None or isinstance(value, Map) else Map(value)


@dataclass(frozen=True)
class TimeCursor(Cursor):
    since: datetime | None = None  # newest update time covered; None = read everything
    # id -> marker of the version read (see time_marker), for records inside the overlap
    # window, or read by an unfinished read of a system that does not sort by update time.
    recent: Mapping[str, str] = field(default_factory=Map)
    kind: ClassVar[str] = "time"
    overlap: ClassVar[timedelta] = timedelta(minutes=2)
    precision: ClassVar[timedelta] = timedelta(seconds=1)
    # Forget markers outside the overlap window every this many records, not after each one.
    PRUNE_EVERY: ClassVar[int] = 512

    def __post_init__(self):
        object.__setattr__(self, "recent", _frozen(self.recent))

    def to_json(self) -> dict:
        return {"kind": self.kind, "since": _iso(self.since), "recent": dict(self.recent)}

    @classmethod
    def from_json(cls, data: Mapping) -> TimeCursor:
        if not isinstance(data, Mapping) or data.get("kind") != cls.kind:
            raise CursorError(f"This is not a {cls.__name__} ({cls.kind!r}) cursor.")
        recent = data.get("recent") or {}
        if not isinstance(recent, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in recent.items()
        ):
            raise CursorError("The cursor's recent records must map ids to markers.")
        return cls(since=_parse_iso(data.get("since"), "since"), recent=dict(recent))

    def query_from(self) -> datetime | None:
        """The time to ask the system for: the overlap before `since`, floored."""
        if self.since is None:
            return None
        return floor_time(self.since - self.overlap, self.precision)

    def seen(self, external_id: str, marker: str) -> bool:
        known = self.recent.get(external_id)
        if known is None:
            return False
        if marker.startswith("~"):  # no update time: the same content is the same version
            return known.partition("|")[2] == marker.partition("|")[2]
        return known == marker

    def after(self, external_id: str, marker: str, updated: datetime | None, *, move: bool):
        """The cursor once this record is read. `move`: the read is in update order, so
        `since` may advance now; otherwise only a finished read moves it (`finished`)."""
        recent = self.recent.set(external_id, marker)
        since = self.since
        if move and updated is not None and (since is None or updated > since):
            since = updated
        moved = replace(self, since=since, recent=recent)
        return moved._pruned() if len(recent) % self.PRUNE_EVERY == 0 else moved

    def finished(self, newest: datetime | None) -> TimeCursor:
        since = self.since
        if newest is not None and (since is None or newest > since):
            since = newest
        return replace(self, since=since)._pruned()

    def _pruned(self) -> TimeCursor:
        """Only records inside the overlap window can be read again: forget the rest, so
        the cursor stays small however many records a read covers."""
        if self.since is None:
            return self
        horizon = _iso(floor_time(self.since - self.overlap, self.precision))
        stale = [k for k, v in self.recent.items() if v.lstrip("~").partition("|")[0] < horizon]
        if not stale:
            return self
        with self.recent.mutate() as recent:
            for key in stale:
                del recent[key]
            return replace(self, recent=recent.finish())


def time_marker(updated: datetime | None, record: Mapping, read_at: datetime) -> str:
    """What identifies the version of a record read: its update time and a digest of its
    content (two changes inside one tick of a seconds-precision clock carry the same time
    but differ in content). A system that gives no update time gets `~<when read>|digest`:
    the content decides, the read time only says when the marker can be forgotten."""
    digest = record_digest(record)
    return f"{_iso(updated)}|{digest}" if updated is not None else f"~{_iso(read_at)}|{digest}"


def scan_updated_since(
    cursor: TimeCursor,
    fetch_page: Callable[[datetime | None, int], list],
    *,
    page_size: int,
    describe: Callable[[Any], tuple[str, datetime | None, Mapping]],
    sorted_by_update: bool,
    started_at: datetime,
    page_overlap: int = 0,
) -> Iterator[tuple[Any, TimeCursor]]:
    """Read everything changed since the cursor, page by page.

    `fetch_page(since, offset)` returns one page of raw items; `describe(item)` gives
    (id, update time or None, normalised record). When the system sorts by update time
    (`sorted_by_update`), each next page asks again from the newest time read (keyset on
    time), so a record changed during the read moves behind us and is read again rather
    than shifting offsets; otherwise pages go by offset, re-reading `page_overlap` items of
    the previous page so a record deleted meanwhile cannot make us skip its neighbour, and
    `since` moves to `started_at` only when the read is complete.
    """
    since = cursor.query_from()
    offset = 0
    newest: datetime | None = None
    while True:
        page = fetch_page(since, offset)
        last_stamp: datetime | None = None
        same_stamp = 0
        for item in page:
            external_id, updated, record = describe(item)
            if updated is not None:
                newest = updated if newest is None or updated > newest else newest
                if last_stamp is not None and updated == last_stamp:
                    same_stamp += 1
                else:
                    last_stamp, same_stamp = updated, 1
            marker = time_marker(updated, record, started_at)
            if cursor.seen(external_id, marker):
                continue
            cursor = cursor.after(external_id, marker, updated, move=sorted_by_update)
            yield item, cursor
        if len(page) < page_size:
            break
        if sorted_by_update and last_stamp is not None:
            next_since = floor_time(last_stamp, cursor.precision)
            if since is not None and next_since <= since:
                offset += len(page)  # a whole page with one time: go on by offset
            else:
                # Ask again from the last time read; records at exactly that time come back
                # and are skipped through `recent`.
                since, offset = next_since, 0
        else:
            offset += max(len(page) - page_overlap, 1)
    end = started_at if not sorted_by_update else newest
    yield from _final(cursor, cursor.finished(end))


def _final(before: Cursor, after: Cursor) -> Iterator[tuple[None, Cursor]]:
    """A scan ends with (None, cursor) when finishing moved the cursor; `Reading` turns that
    into its final `.cursor`, so callers never see a step without a record."""
    if after != before:
        yield None, after


class Reading(Iterator):
    """What `list_changed()` returns: iterate for `(record, cursor_after_it)`; `.cursor` is
    the cursor after everything read so far, and after the last step the finished one."""

    def __init__(self, steps: Iterator, cursor: Cursor, convert: Callable[[Any], Any]):
        self._steps = iter(steps)
        self._convert = convert
        self.cursor = cursor

    def __next__(self):
        while True:
            item, cursor = next(self._steps)
            self.cursor = cursor
            if item is not None:
                return self._convert(item), cursor


@dataclass(frozen=True)
class SnapshotCursor(Cursor):
    digests: Mapping[str, str] = field(default_factory=Map)  # as of the last complete read
    reading: Mapping[str, str] | None = None  # the read in progress: id -> digest
    deleted: tuple[str, ...] = ()  # missing from the last complete read, not yet reported
    kind: ClassVar[str] = "snapshot"

    def __post_init__(self):
        object.__setattr__(self, "digests", _frozen(self.digests))
        object.__setattr__(self, "reading", _frozen(self.reading))

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "digests": dict(self.digests),
            "reading": dict(self.reading) if self.reading is not None else None,
            "deleted": list(self.deleted),
        }

    @classmethod
    def from_json(cls, data: Mapping) -> SnapshotCursor:
        if not isinstance(data, Mapping) or data.get("kind") != cls.kind:
            raise CursorError(f"This is not a {cls.__name__} ({cls.kind!r}) cursor.")
        digests, reading = data.get("digests") or {}, data.get("reading")
        deleted = data.get("deleted") or []
        for name, value in (("digests", digests), ("reading", reading or {})):
            if not isinstance(value, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise CursorError(f"The cursor's {name} must map ids to digests.")
        if not isinstance(deleted, list) or not all(isinstance(i, str) for i in deleted):
            raise CursorError("The cursor's deleted ids must be a list of strings.")
        return cls(
            digests=dict(digests),
            reading=dict(reading) if reading is not None else None,
            deleted=tuple(deleted),
        )


def scan_snapshot(
    cursor: SnapshotCursor,
    items: Iterable,
    *,
    describe: Callable[[Any], tuple[str, Mapping]],
) -> Iterator[tuple[Any, SnapshotCursor]]:
    """Read everything; yield what is new or differs from the last complete read. A read
    cut short resumes from the start but yields nothing it already yielded."""
    reading = cursor.reading if cursor.reading is not None else Map()
    for item in items:
        external_id, record = describe(item)
        digest = record_digest(record)
        known = reading.get(external_id) or cursor.digests.get(external_id)
        reading = reading.set(external_id, digest)
        if known == digest:
            continue
        cursor = replace(cursor, reading=reading)
        yield item, cursor
    missing = tuple(sorted(key for key in cursor.digests if key not in reading))
    # replace(), not SnapshotCursor(...): a subclass keeps its class and its own fields.
    done = replace(cursor, digests=reading, reading=None, deleted=(*cursor.deleted, *missing))
    yield from _final(cursor, done)


def snapshot_deleted(cursor: SnapshotCursor) -> Iterator[tuple[str, SnapshotCursor]]:
    """The ids a complete read no longer found, each with the cursor that forgets it."""
    pending = list(cursor.deleted)
    while pending:
        external_id = pending.pop(0)
        cursor = replace(cursor, deleted=tuple(pending))
        yield external_id, cursor


def cursor_from_json(cursor_class: type, data: Any) -> Cursor:
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise CursorError("The cursor is not JSON.") from None
    return cursor_class.from_json(data)
