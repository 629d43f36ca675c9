"""The cursor helpers on an in-memory system whose records change between page requests:
the failure modes other connectors' users hit (skipped records on shifting offsets, strict
`>` on a boundary time, duplicates when many records share a time) must not happen here."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from integrations.providers.cursors import (
    CursorError,
    Reading,
    SnapshotCursor,
    TimeCursor,
    cursor_from_json,
    floor_time,
    scan_snapshot,
    scan_updated_since,
    snapshot_deleted,
)

T0 = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


@dataclass
class Row:
    id: str
    updated: datetime | None
    name: str


class System:
    """A store with second-precision update times and offset paging; `on_page` runs before
    each page is answered, to change the data under the reader's feet."""

    def __init__(self, count: int, *, timestamps: bool = True, sorted_by_update: bool = True):
        self.now = T0
        self.timestamps = timestamps
        self.sorted = sorted_by_update
        self.rows = {f"r{i:03d}": Row(f"r{i:03d}", T0, f"name {i}") for i in range(count)}
        self.on_page = None
        self.pages = 0

    def touch(self, row_id: str, name: str, *, advance: bool = True) -> None:
        if advance:
            self.now += timedelta(seconds=1)
        self.rows[row_id] = Row(row_id, self.now, name)

    def fetch(self, since, offset):
        if self.on_page:
            self.on_page(self.pages)
        self.pages += 1
        rows = [r for r in self.rows.values() if since is None or r.updated >= since]
        rows.sort(key=(lambda r: (r.updated, r.id)) if self.sorted else (lambda r: r.id))
        return rows[offset : offset + 5]

    def describe(self, row):
        record = {"id": row.id, "name": row.name}
        return row.id, (row.updated if self.timestamps else None), record


def read(system: System, cursor: TimeCursor, *, overlap_rows: int = 0):
    steps = scan_updated_since(
        cursor,
        system.fetch,
        page_size=5,
        describe=system.describe,
        sorted_by_update=system.sorted,
        started_at=system.now,
        page_overlap=overlap_rows,
    )
    reading = Reading(steps, cursor, lambda row: row)
    rows = [row for row, _ in reading]
    return rows, reading.cursor


def test_a_full_read_then_nothing():
    system = System(23)
    rows, cursor = read(system, TimeCursor())
    assert sorted(r.id for r in rows) == sorted(system.rows)
    assert read(system, cursor)[0] == []


def test_records_sharing_one_time_across_many_pages_are_read_once_each():
    system = System(23)  # all 23 carry T0: more than four pages of one second
    rows, _ = read(system, TimeCursor())
    assert len(rows) == 23 and len({r.id for r in rows}) == 23


def test_a_change_in_the_same_second_as_the_cursor_is_not_lost():
    system = System(3)
    _, cursor = read(system, TimeCursor())
    system.touch("r001", "first", advance=True)
    rows, cursor = read(system, cursor)
    assert [r.name for r in rows] == ["first"]
    system.touch("r001", "second", advance=False)  # same second as the cursor's `since`
    rows, cursor = read(system, cursor)
    assert [r.name for r in rows] == ["second"]
    assert read(system, cursor)[0] == []


def test_records_changed_while_reading_are_read_in_this_read_or_the_next():
    system = System(30)
    _, cursor = read(system, TimeCursor())
    for i in range(30):
        system.touch(f"r{i:03d}", f"v1 {i}", advance=False)
    system.now += timedelta(seconds=1)

    def meddle(page):
        if page == 1:
            system.touch("r000", "v2 already read")
            system.touch("r029", "v2 not yet read")

    system.on_page, system.pages = meddle, 0
    rows, cursor = read(system, cursor)
    system.on_page = None
    more, _ = read(system, cursor)
    names = {r.name for r in rows + more}
    assert {"v2 already read", "v2 not yet read"} <= names
    assert {r.id for r in rows + more} == set(system.rows)


def test_an_unsorted_offset_read_does_not_skip_a_neighbour_of_a_deleted_record():
    system = System(20, timestamps=False, sorted_by_update=False)
    system.on_page = lambda page: system.rows.pop("r002", None) if page == 1 else None
    rows, _ = read(system, TimeCursor(), overlap_rows=1)
    assert set(system.rows) <= {r.id for r in rows}  # r005 is not skipped
    assert len(rows) == len({r.id for r in rows})


def test_without_update_times_the_cursor_moves_to_the_reads_start_and_forgets_old_markers():
    system = System(4, timestamps=False, sorted_by_update=False)
    _, cursor = read(system, TimeCursor())
    assert cursor.since == T0
    system.now += timedelta(hours=1)
    system.touch("r001", "changed")
    _, later = read(system, cursor)
    assert later.since == system.now
    assert set(later.recent) == {"r001"}


def test_the_overlap_reads_back_but_yields_nothing_twice():
    class Late(TimeCursor):
        overlap = timedelta(seconds=30)

    system = System(3)
    rows, cursor = read(system, Late())
    assert len(rows) == 3
    assert cursor.query_from() == T0 - timedelta(seconds=30)
    assert read(system, cursor)[0] == []


def test_time_cursors_round_trip_and_refuse_garbage():
    cursor = TimeCursor(since=T0, recent={"a": "x"})
    assert TimeCursor.from_json(cursor.to_json()) == cursor
    assert cursor_from_json(TimeCursor, '{"kind": "time", "since": null}') == TimeCursor()
    for bad in (
        {"kind": "snapshot"},
        {"kind": "time", "since": "yesterday"},
        {"kind": "time", "since": "2026-01-01T00:00:00"},
        {"kind": "time", "recent": {"a": 1}},
        [],
    ):
        with pytest.raises(CursorError):
            TimeCursor.from_json(bad)
    with pytest.raises(CursorError):
        cursor_from_json(TimeCursor, "{not json")


def test_floor_time_rounds_down_to_the_precision():
    moment = datetime(2026, 1, 1, 0, 0, 0, 700_000, tzinfo=UTC)
    assert floor_time(moment, timedelta(seconds=1)) == moment.replace(microsecond=0)
    assert floor_time(moment, timedelta(milliseconds=1)) == moment


def _snapshot(cursor, rows):
    steps = scan_snapshot(cursor, rows, describe=lambda r: (r["id"], r))
    reading = Reading(steps, cursor, lambda r: r)
    return [r for r, _ in reading], reading.cursor


def test_a_snapshot_yields_new_and_changed_records_and_reports_missing_ones_deleted():
    rows = [{"id": str(i), "name": f"n{i}"} for i in range(5)]
    first, cursor = _snapshot(SnapshotCursor(), rows)
    assert len(first) == 5
    assert _snapshot(cursor, rows)[0] == []
    rows[1] = {"id": "1", "name": "changed"}
    del rows[3]
    changed, cursor = _snapshot(cursor, rows)
    assert changed == [{"id": "1", "name": "changed"}]
    deleted = [external_id for external_id, _ in snapshot_deleted(cursor)]
    assert deleted == ["3"]
    assert SnapshotCursor.from_json(cursor.to_json()) == cursor


def test_a_snapshot_read_cut_short_resumes_without_repeating_itself():
    rows = [{"id": str(i), "name": f"n{i}"} for i in range(5)]
    steps = scan_snapshot(SnapshotCursor(), rows, describe=lambda r: (r["id"], r))
    reading = Reading(steps, SnapshotCursor(), lambda r: r)
    _, halfway = next(reading), next(reading)
    resumed, done = _snapshot(SnapshotCursor.from_json(reading.cursor.to_json()), rows)
    assert [r["id"] for r in resumed] == ["2", "3", "4"]
    assert done.reading is None and set(done.digests) == {"0", "1", "2", "3", "4"}
    assert halfway
