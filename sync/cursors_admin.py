"""A flow's cursors for people: what each holds, in words, and a safe rewind.

A cursor is read and rebuilt only through the adapter that reads with it
(`adapter.cursor_from_json`, the cursor type's own fields through `dataclasses.replace`),
so what is saved back is what the next run can read. Rewinding moves where the next read
starts; replaying what was read before is safe because every record already synced has a
link (sync.RecordLink) with the hash of what was written: it is recognised, not written twice.

    cursors_describe(flow=...) -> [CursorInfo]
    rewind_time_parse(text, time_zone) -> aware datetime (or RewindRefused)
    rewind_check(flow=..., name=..., to=datetime | None) -> Rewind (or RewindRefused)
    cursor_rewind(flow=..., name=..., to=...) -> what the next run then does, in words
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone

from integrations.providers.base import RecordAdapter
from integrations.providers.cursors import Cursor, CursorError, SnapshotCursor, TimeCursor
from integrations.providers.registry import adapter_for, get_provider
from sync.models import Flow, Run, SyncCursor

EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)  # before this, the overlap would leave the epoch
MAX_TIME_TEXT = 40
IDS_SHOWN = 20
REPLAY_IS_SAFE = (
    "Records changed since then are read again; records already synced are recognised by "
    "their links and not written twice."
)
FULL_READ = (
    "{system} has no “changed since” filter, so this cursor holds no time: rewinding it "
    "means starting a full read again. Every {record} is read once more; those already "
    "synced are recognised by their links and not written twice."
)


class RewindRefused(Exception):
    """A rewind that may not happen; the message says why and what to do."""


@dataclass
class CursorInfo:
    """One saved cursor of a flow, as the cursors page shows it."""

    name: str
    system: str  # the system it reads, by name
    record: str  # what that system calls a record ("customer", "contact")
    kind: str  # "time", "snapshot" or "unreadable"
    advanced_at: datetime
    since: datetime | None = None  # time cursors: the newest update time covered
    asks_from: datetime | None = None  # where the next read starts (the overlap before)
    ids_at_since: list[str] = field(default_factory=list)  # read at exactly `since`
    recent: int = 0  # ids remembered inside the overlap window
    known: int = 0  # snapshot cursors: records of the last complete read
    reading: int | None = None  # ...and of a read cut short, None when none is
    deleted_waiting: int = 0
    parts: list[tuple[str, CursorInfo]] = field(default_factory=list)  # nested cursors
    problem: str = ""
    nested: bool = False

    @property
    def rewinds_to_a_time(self) -> bool:
        return self.kind == "time"

    @property
    def overlap(self) -> str:
        """How far before `since` the next read asks from, in words."""
        if self.since is None or self.asks_from is None:
            return ""
        seconds = round((self.since - self.asks_from).total_seconds())
        return f"{seconds // 60} minutes" if seconds % 60 == 0 else f"{seconds} seconds"

    def sentences(self, flow: Flow) -> list[str]:
        """What the cursor holds, in words (times in the flow's time zone)."""
        words = self._holds(flow)
        if not self.nested:
            words.append(f"Last advanced {when(self.advanced_at, flow)}.")
        return words

    def _holds(self, flow: Flow) -> list[str]:
        if self.kind == "unreadable":
            return [
                f"This cursor cannot be read: {self.problem} The next run would fail on it; "
                "rewind it to the start to replace it."
            ]
        if self.kind == "snapshot":
            words = [
                f"{self.system} has no “changed since” filter: each read compares every "
                f"{self.record} with the last complete read, which found {self.known}."
            ]
            if self.reading is not None:
                words.append(
                    f"A read cut short had seen {self.reading}; the next one goes on from "
                    "the start but yields none of those again unless they changed."
                )
            if self.deleted_waiting:
                words.append(f"{self.deleted_waiting} deleted, not yet reported to the flow.")
            return words
        if self.nested:  # a mark inside the cursor (Ecwid's deleted-customers log)
            return [f"read up to {when(self.since, flow)}." if self.since else "not read yet."]
        if self.since is None:
            return [f"No read of {self.system} has finished yet: the next one reads everything."]
        words = [
            f"Resumes from {when(self.since, flow)}, the newest change read; the next read "
            f"asks {self.system} for every {self.record} changed since "
            f"{when(self.asks_from, flow)} ({self.overlap} earlier, to catch changes that "
            "showed up late)."
        ]
        if self.ids_at_since:
            shown = ", ".join(self.ids_at_since[:IDS_SHOWN])
            more = len(self.ids_at_since) - IDS_SHOWN
            shown += f" and {more} more" if more > 0 else ""
            words.append(
                f"Already read at that moment: {len(self.ids_at_since)} "
                f"{self.record}{'s' if len(self.ids_at_since) != 1 else ''} ({shown}), "
                "skipped when read again unless they change."
            )
        return words


def _adapters(flow: Flow) -> list[RecordAdapter]:
    """The adapters that may have written a cursor of this flow: the source's, and for a
    two-way flow the target's (its way back reads the target)."""
    sides = [flow.source_connection]
    if flow.direction == Flow.Direction.TWO_WAY:
        sides.append(flow.target_connection)
    return [adapter_for(connection, flow.object_type) for connection in sides]


def _read(flow: Flow, value) -> tuple[RecordAdapter, Cursor]:
    """The cursor as the adapter that wrote it reads it back, or CursorError."""
    problem = "This flow has no system that reads this cursor."
    for adapter in _adapters(flow):
        try:
            return adapter, adapter.cursor_from_json(value)
        except CursorError as error:
            problem = str(error)
    raise CursorError(problem)


def _ids_at(cursor: TimeCursor) -> list[str]:
    """The ids remembered as read at exactly the cursor's time (skipped when read again,
    unless they changed)."""
    if cursor.since is None:
        return []
    at = cursor.since.astimezone(UTC).isoformat()
    return sorted(k for k, marker in cursor.recent.items() if marker.partition("|")[0] == at)


def _describe(name: str, cursor: Cursor, adapter: RecordAdapter, advanced_at) -> CursorInfo:
    system = get_provider(adapter.connection.provider).name
    info = CursorInfo(name, system, adapter.label, "unreadable", advanced_at)
    if isinstance(cursor, TimeCursor):
        info.kind = "time"
        info.since, info.asks_from = cursor.since, cursor.query_from()
        info.ids_at_since = _ids_at(cursor)
        info.recent = len(cursor.recent)
    elif isinstance(cursor, SnapshotCursor):
        info.kind = "snapshot"
        info.known = len(cursor.digests)
        info.reading = None if cursor.reading is None else len(cursor.reading)
        info.deleted_waiting = len(cursor.deleted)
    if is_dataclass(cursor):
        for part in fields(cursor):
            inner = getattr(cursor, part.name)
            if isinstance(inner, Cursor):  # Ecwid's mark in its deleted-customers log
                label = part.name.replace("_", " ")
                inner_info = _describe(label, inner, adapter, advanced_at)
                inner_info.nested = True
                info.parts.append((label, inner_info))
    return info


def cursors_describe(*, flow: Flow) -> list[CursorInfo]:
    """Each saved cursor of the flow, read through its adapter; one that cannot be read
    says why (its next run would fail on it: rewinding to the start replaces it)."""
    infos = []
    for row in SyncCursor.objects.filter(flow=flow).order_by("name"):
        try:
            adapter, cursor = _read(flow, row.value)
        except CursorError as error:
            system = get_provider(flow.source_connection.provider).name
            info = CursorInfo(row.name, system, "record", "unreadable", row.advanced_at)
            info.problem = str(error)
            infos.append(info)
            continue
        infos.append(_describe(row.name, cursor, adapter, row.advanced_at))
    return infos


# --- rewinding ------------------------------------------------------------------------------
def rewind_time_parse(text: str, time_zone: str) -> datetime:
    """A date and time typed into the form ("2026-12-06T14:30", "2026-12-06 14:30", with or
    without an offset), read in `time_zone` unless it has an offset of its own."""
    text = (text or "").strip()
    if not text:
        raise RewindRefused("Choose the date and time to rewind to.")
    shown = text if len(text) <= MAX_TIME_TEXT else text[:MAX_TIME_TEXT] + "…"
    try:
        if len(text) > MAX_TIME_TEXT:
            raise ValueError
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RewindRefused(
            f"“{shown}” is not a date and time we can read: write it as 2026-12-06 14:30."
        ) from None
    if moment.tzinfo is None:
        try:
            moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it
        raise RewindRefused("Choose a time from 1970 on, or rewind to the start.") from None


def _in_flight_refusal(flow: Flow) -> str:
    run = Run.objects.filter(flow=flow, in_flight=True).first()
    if run is None:
        return ""
    return (
        f"Run {run.pk} of this flow is {run.get_status_display().lower()}: it reads from this "
        "cursor and saves it as it goes, so a rewind now would be overwritten. Rewind once "
        "it has finished."
    )


@dataclass(frozen=True)
class Rewind:
    """A rewind that may happen: the cursor row, the cursor to save in it, and in words
    what the next run then does."""

    row: SyncCursor
    cursor: Cursor
    words: str


def _rewound(cursor: Cursor, to: datetime | None) -> tuple[Cursor, bool]:
    """The cursor moved back, built by its own type; True when that is a full read."""
    if isinstance(cursor, TimeCursor):
        # Only the time and the ids remembered at it change: anything else the cursor
        # carries (Ecwid's deleted-log mark) stays where it is, so no delete is re-applied.
        return replace(cursor, since=to, recent={}), to is None
    if isinstance(cursor, SnapshotCursor):
        # Every digest forgotten but the ids kept: the next read yields every record again,
        # and one no longer there is still reported deleted. Deletes waiting stay.
        blank = dict.fromkeys(cursor.digests, "")
        return replace(cursor, digests=blank, reading=None), True
    raise CursorError("This cursor is of a kind that cannot be rewound.")


def rewind_check(*, flow: Flow, name: str, to: datetime | None, now=None) -> Rewind:
    """The rewind of the flow's cursor `name` to `to` (None: to the start, a full read),
    or RewindRefused saying why not: a run in flight, no such cursor, a time in the future,
    or later than where the cursor is already (that would skip changes)."""
    now = now or timezone.now()
    refusal = _in_flight_refusal(flow)
    if refusal:
        raise RewindRefused(refusal)
    row = SyncCursor.objects.filter(flow=flow, name=name).first()
    if row is None:
        raise RewindRefused(
            f"This flow has no “{name}” cursor: its next live run reads everything anyway."
        )
    if to is not None and to > now:
        raise RewindRefused(f"{when(to, flow)} is in the future: choose a time before now.")
    if to is not None and to < EARLIEST:
        raise RewindRefused("Choose a time from 1970 on, or rewind to the start.")
    try:
        adapter, cursor = _read(flow, row.value)
    except CursorError:
        if to is not None:
            raise RewindRefused(
                "This cursor cannot be read, so it cannot be moved to a time: rewind it to "
                "the start instead (a full read)."
            ) from None
        # Its next run would fail on it: a fresh cursor from the adapter replaces it.
        adapter = _adapters(flow)[0]
        cursor, full = adapter.new_cursor(), True
    else:
        if isinstance(cursor, TimeCursor) and to is not None:
            if cursor.since is None:
                raise RewindRefused(
                    "This cursor has not finished a first read: its next run reads "
                    "everything anyway."
                )
            if to > cursor.since:
                raise RewindRefused(
                    f"The cursor is at {when(cursor.since, flow)}: moving it to a later "
                    "time would skip changes. Choose a time before that."
                )
        cursor, full = _rewound(cursor, to)
    system = get_provider(adapter.connection.provider).name
    if isinstance(cursor, SnapshotCursor):
        words = FULL_READ.format(system=system, record=adapter.label)
    elif full:
        words = f"The next run reads every {adapter.label} of {system} from the start. " + (
            REPLAY_IS_SAFE.replace("changed since then ", "")
        )
    else:
        words = f"The next run reads what changed in {system} since {when(to, flow)}. "
        words += REPLAY_IS_SAFE
    return Rewind(row, cursor, words)


@transaction.atomic
def cursor_rewind(*, flow: Flow, name: str, to: datetime | None, now=None) -> str:
    """Do the rewind `rewind_check` allows; returns what the next run then does."""
    rewind = rewind_check(flow=flow, name=name, to=to, now=now)
    updated = SyncCursor.objects.filter(pk=rewind.row.pk).update(
        value=rewind.cursor.to_json(), advanced_at=timezone.now()
    )
    # Checked again after the write, in the same transaction: a run that started in the
    # meantime reads the cursor and saves over it, so the rewind is refused (rolled back).
    refusal = _in_flight_refusal(flow)
    if refusal or not updated:
        raise RewindRefused(refusal or f"The “{name}” cursor is gone.")
    return rewind.words


def when(moment: datetime | None, flow: Flow) -> str:
    """A time as the flow's pages show it: in the flow's time zone, named."""
    if moment is None:
        return ""
    try:
        zone = zoneinfo.ZoneInfo(flow.schedule_timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M:%S} ({zone.key})"
