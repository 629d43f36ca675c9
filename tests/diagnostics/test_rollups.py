"""Hourly rollups of raw ApiCall rows (diagnostics.rollups), on rows written directly with
chosen times, statuses and latencies, and the pruning of raw rows once rolled up."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diagnostics import rollups
from diagnostics.latency import LATENCY_BUCKETS_MS, bucket_index
from diagnostics.models import ApiCall, ApiCallHour
from diagnostics.tasks import api_calls_prune as prune_task
from diagnostics.tasks import api_calls_roll_up as roll_up_task
from integrations.calls import error_kind_of_status
from tests.factories import ConnectionFactory, WorkspaceFactory

NOW = datetime(2026, 3, 10, 14, 25, tzinfo=UTC)
H12 = datetime(2026, 3, 10, 12, tzinfo=UTC)
H13 = datetime(2026, 3, 10, 13, tzinfo=UTC)
H14 = datetime(2026, 3, 10, 14, tzinfo=UTC)  # the current hour at NOW: not over


def _call(
    connection, at, *, workspace=None, status=200, latency=10.0, method="GET", endpoint="/customers"
):
    return ApiCall.objects.create(
        at=at,
        workspace_id=(workspace or connection.workspace).pk,
        connection=connection,
        provider=connection.provider if connection else "ecwid",
        method=method,
        endpoint=endpoint,
        status=status,
        error_kind=error_kind_of_status(status),
        latency_ms=latency,
    )


def _buckets(*latencies) -> list[int]:
    buckets = [0] * (len(LATENCY_BUCKETS_MS) + 1)
    for latency in latencies:
        buckets[bucket_index(latency)] += 1
    return buckets


def _rollup_values():
    return sorted(
        ApiCallHour.objects.values_list(
            "hour",
            "workspace_id",
            "connection_ref",
            "connection_id",
            "provider",
            "method",
            "endpoint",
            "calls",
            "errors",
            "statuses",
            "latency_total_ms",
            "latency_buckets",
        ),
        key=repr,
    )


@pytest.fixture
def store(workspace):
    return ConnectionFactory(workspace=workspace, provider="ecwid")


def test_an_hour_is_rolled_up_exactly(store):
    # Latencies on bucket bounds (10 is the 10 ms bucket, 10.5 the next), between them, and
    # past the last bound (the overflow slot).
    minute = timedelta(minutes=1)
    _call(store, H13 + minute, latency=10.0)
    _call(store, H13 + 2 * minute, latency=10.5)
    _call(store, H13 + 3 * minute, latency=0.4)
    _call(store, H13 + 4 * minute, status=500, latency=250.0)
    _call(store, H13 + 5 * minute, status=503, latency=130_000.0)
    _call(store, H13 + 6 * minute, status=None, latency=5_000.0)
    _call(store, H13 + 7 * minute, status=404, latency=1.0)
    _call(store, H13 + 59 * minute, status=201, latency=2.0, method="POST")
    _call(store, H13 + 8 * minute, endpoint="/customers/{id}", latency=3.0)

    assert rollups.api_calls_roll_up(now=NOW) == 3

    get = ApiCallHour.objects.get(hour=H13, method="GET", endpoint="/customers")
    assert get.workspace_id == store.workspace_id and get.provider == "ecwid"
    assert (get.connection_ref, get.connection_id) == (store.pk, store.pk)
    assert get.calls == 7
    assert get.errors == {"server": 2, "network": 1, "not_found": 1}  # successes are not errors
    assert get.statuses == {"200": 3, "500": 1, "503": 1, "none": 1, "404": 1}
    assert get.latency_total_ms == pytest.approx(10 + 10.5 + 0.4 + 250 + 130_000 + 5_000 + 1)
    expected = _buckets(10.0, 10.5, 0.4, 250.0, 130_000.0, 5_000.0, 1.0)
    assert get.latency_buckets == expected
    assert len(expected) == len(LATENCY_BUCKETS_MS) + 1
    slots = {i for i, n in enumerate(get.latency_buckets) if n}  # the exact slots, by hand:
    assert slots == {0, 5, 6, 14, 21, len(LATENCY_BUCKETS_MS)}
    assert get.latency_buckets[0] == 2  # 0.4 and 1.0 (a bound belongs to its own bucket)

    post = ApiCallHour.objects.get(hour=H13, method="POST")
    assert (post.calls, post.errors, post.statuses) == (1, {}, {"201": 1})
    assert post.latency_buckets == _buckets(2.0)
    item = ApiCallHour.objects.get(hour=H13, endpoint="/customers/{id}")
    assert (item.calls, item.latency_total_ms) == (1, 3.0)


def test_calls_are_grouped_by_hour_connection_and_endpoint(workspace, store):
    other_store = ConnectionFactory(workspace=workspace, provider="ecwid")
    other_workspace_store = ConnectionFactory(workspace=WorkspaceFactory(), provider="ecwid")
    _call(store, H12 + timedelta(minutes=59, seconds=59))
    _call(store, H13)  # the first instant of 13:00 is 13:00's
    _call(store, H13 + timedelta(minutes=30))
    _call(other_store, H13 + timedelta(minutes=30))
    _call(other_workspace_store, H13 + timedelta(minutes=30))

    assert rollups.api_calls_roll_up(now=NOW) == 4
    counts = {
        (row.hour, row.workspace_id, row.connection_ref): row.calls
        for row in ApiCallHour.objects.all()
    }
    assert counts == {
        (H12, workspace.pk, store.pk): 1,
        (H13, workspace.pk, store.pk): 2,
        (H13, workspace.pk, other_store.pk): 1,
        (H13, other_workspace_store.workspace_id, other_workspace_store.pk): 1,
    }


def test_the_current_hour_is_not_rolled_up(store):
    _call(store, H13 + timedelta(minutes=5))
    _call(store, H14 + timedelta(minutes=5))  # 14:05, and it is 14:25: not over
    rollups.api_calls_roll_up(now=NOW)
    assert list(ApiCallHour.objects.values_list("hour", "calls")) == [(H13, 1)]

    rollups.api_calls_roll_up(now=H14 + timedelta(hours=1))  # 15:00: 14:00 is over
    assert set(ApiCallHour.objects.values_list("hour", "calls")) == {(H13, 1), (H14, 1)}


def test_rolling_up_twice_changes_nothing(store):
    for minute, status, latency in ((1, 200, 12.5), (2, 500, 80.25), (3, None, 900.0)):
        _call(store, H13 + timedelta(minutes=minute), status=status, latency=latency)
    _call(store, H12 + timedelta(minutes=7), latency=0.1)
    rollups.api_calls_roll_up(now=NOW)
    first = _rollup_values()
    ids = set(ApiCallHour.objects.values_list("pk", flat=True))

    rollups.api_calls_roll_up(now=NOW)
    assert _rollup_values() == first
    assert ApiCallHour.objects.count() == len(ids) == 2


def test_late_rows_are_rolled_up_again(store):
    _call(store, H13 + timedelta(minutes=5), latency=10.0)
    rollups.api_calls_roll_up(now=NOW)
    assert ApiCallHour.objects.get().calls == 1

    # The recorder wrote a 13:40 call after 13:00 was rolled up (the database was down).
    _call(store, H13 + timedelta(minutes=40), status=429, latency=40.0)
    rollups.api_calls_roll_up(now=NOW + timedelta(minutes=10))
    row = ApiCallHour.objects.get()
    assert (row.calls, row.errors, row.statuses) == (2, {"rate_limited": 1}, {"200": 1, "429": 1})
    assert row.latency_total_ms == 50.0
    assert row.latency_buckets == _buckets(10.0, 40.0)


def test_only_hours_since_the_last_rollup_less_the_lookback_are_read(store):
    """The high-water mark: a run reads raw rows from the latest rolled-up hour less
    LOOKBACK, not the whole table (here, a row far older is not rolled up again)."""
    _call(store, H13 + timedelta(minutes=5))
    rollups.api_calls_roll_up(now=NOW)
    old = H13 - rollups.LOOKBACK - timedelta(hours=1)
    _call(store, old + timedelta(minutes=1))  # too late for any rerun to see
    _call(store, H13 - rollups.LOOKBACK + timedelta(minutes=1))  # within the lookback
    rollups.api_calls_roll_up(now=NOW)
    assert set(ApiCallHour.objects.values_list("hour", flat=True)) == {
        H13,
        H13 - rollups.LOOKBACK,
    }


def test_the_first_run_reads_from_the_oldest_raw_row_in_daily_windows(store):
    days_ago = H13 - timedelta(days=3, hours=5)
    _call(store, days_ago + timedelta(minutes=1))
    _call(store, H13 + timedelta(minutes=1))
    assert rollups.api_calls_roll_up(now=NOW) == 2
    assert set(ApiCallHour.objects.values_list("hour", flat=True)) == {days_ago, H13}


def test_a_deleted_connection_keeps_its_rollup_and_is_not_counted_twice(store):
    _call(store, H13 + timedelta(minutes=5))
    rollups.api_calls_roll_up(now=NOW)
    connection_id = store.pk
    store.delete()  # raw rows keep the calls with no connection (SET_NULL)
    row = ApiCallHour.objects.get()
    assert (row.connection_ref, row.connection_id) == (connection_id, None)

    # Recomputed within the lookback: the calls now count under "no connection" (0), once.
    rollups.api_calls_roll_up(now=NOW)
    assert list(ApiCallHour.objects.values_list("connection_ref", "calls")) == [(0, 1)]


def test_calls_with_no_connection_roll_up_under_ref_zero(workspace):
    _call(None, H13 + timedelta(minutes=1), workspace=workspace)
    rollups.api_calls_roll_up(now=NOW)
    row = ApiCallHour.objects.get()
    assert (row.connection_ref, row.connection_id, row.workspace_id) == (0, None, workspace.pk)


def test_no_calls_no_rollups(db):
    assert rollups.api_calls_roll_up(now=NOW) == 0
    assert not ApiCallHour.objects.exists()


# --- prune ------------------------------------------------------------------------------------
def test_prune_deletes_raw_rows_past_retention_and_keeps_their_rollups(store, settings):
    settings.DIAGNOSTICS_API_CALL_RETENTION_DAYS = 14
    cutoff = rollups.hour_of(NOW - timedelta(days=14))  # 2026-02-24 14:00
    old = [
        _call(store, cutoff - timedelta(days=2), status=500),
        _call(store, cutoff - timedelta(minutes=1)),
    ]
    kept = [
        _call(store, cutoff + timedelta(minutes=1)),  # same day, but within retention
        _call(store, H13 + timedelta(minutes=1)),
        _call(store, H14 + timedelta(minutes=1)),  # the current hour
    ]

    assert rollups.api_calls_prune(now=NOW) == 2

    assert set(ApiCall.objects.values_list("pk", flat=True)) == {call.pk for call in kept}
    # The pruned calls were rolled up first, and their rollups stay.
    by_hour = dict(ApiCallHour.objects.values_list("hour", "calls"))
    assert by_hour[rollups.hour_of(old[0].at)] == 1
    assert by_hour[rollups.hour_of(old[1].at)] == 1
    assert ApiCallHour.objects.get(hour=rollups.hour_of(old[0].at)).errors == {"server": 1}
    assert H14 not in by_hour  # not over: neither rolled up nor pruned

    # Later runs keep the rollups of hours whose raw rows are gone.
    rollups.api_calls_prune(now=NOW + timedelta(days=30))
    assert not ApiCall.objects.filter(at__lt=H14).exists()
    assert dict(ApiCallHour.objects.values_list("hour", "calls")) == {
        **by_hour,
        H14: 1,
    }


def test_prune_uses_the_retention_setting(store, settings):
    settings.DIAGNOSTICS_API_CALL_RETENTION_DAYS = 1
    _call(store, NOW - timedelta(days=1, hours=2))
    _call(store, NOW - timedelta(hours=20))
    assert rollups.api_calls_prune(now=NOW) == 1
    assert ApiCall.objects.count() == 1


def test_prune_deletes_in_chunks(store, monkeypatch):
    monkeypatch.setattr(rollups, "PRUNE_CHUNK", 3)
    start = NOW - timedelta(days=30)
    for i in range(10):
        _call(store, start + timedelta(minutes=i))
    _call(store, H13)

    with CaptureQueriesContext(db_connection) as queries:
        assert rollups.api_calls_prune(now=NOW) == 10
    deletes = [
        q["sql"] for q in queries if q["sql"].startswith('DELETE FROM "diagnostics_apicall"')
    ]
    assert len(deletes) == 4  # 3 + 3 + 3 + 1
    assert ApiCall.objects.count() == 1
    assert ApiCallHour.objects.get(hour=rollups.hour_of(start)).calls == 10


def test_the_tasks_roll_up_and_prune(store, settings):
    settings.DIAGNOSTICS_API_CALL_RETENTION_DAYS = 14
    now = timezone.now()
    _call(store, now - timedelta(days=20))
    _call(store, now - timedelta(hours=2))
    assert roll_up_task() == 2
    assert ApiCallHour.objects.count() == 2
    assert prune_task() == 1
    assert ApiCall.objects.count() == 1 and ApiCallHour.objects.count() == 2
