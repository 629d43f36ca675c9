"""Retry timing, run status, ETA and the daily-budget plan of a backfill."""

from datetime import UTC, datetime, timedelta

from sync.engine.schedule import eta_seconds, next_retry, plan_backfill, run_status

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
RESET = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)


def test_transient_errors_are_retried_on_the_slow_schedule_then_given_up():
    waits = [next_retry(n, "transient") for n in range(1, 7)]
    assert waits[:5] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
    ]
    assert waits[5] is None


def test_permanent_errors_are_not_retried():
    for kind in ("validation", "scope", "auth", "mapping", "internal"):
        assert next_retry(1, kind) is None


def test_a_run_with_failed_records_is_never_succeeded():
    assert run_status(processed=10, failed=0) == "succeeded"
    assert run_status(processed=10, failed=1) == "partial"
    assert run_status(processed=3, failed=3) == "failed"
    assert run_status(processed=0, failed=0) == "succeeded"


def test_eta_follows_the_budget():
    assert eta_seconds(remaining=100, calls_per_record=1, calls_per_second=10) == 10
    assert eta_seconds(remaining=0, calls_per_record=1, calls_per_second=10) == 0
    assert eta_seconds(remaining=5, calls_per_record=1, calls_per_second=0) is None


def test_a_backfill_within_todays_budget_finishes_today():
    plan = plan_backfill(
        records=1000,
        calls_per_record=1,
        daily_cap=200_000,
        used_today=0,
        now=NOW,
        resets_at=RESET,
        calls_per_second=10,
    )
    assert plan.days == 1 and plan.records_today == 1000
    assert plan.finish_at == NOW + timedelta(seconds=100)


def test_a_large_backfill_is_spread_over_days_keeping_a_fifth_for_realtime():
    plan = plan_backfill(
        records=1_000_000,
        calls_per_record=1,
        daily_cap=200_000,
        used_today=50_000,
        now=NOW,
        resets_at=RESET,
        calls_per_second=10,
    )
    assert plan.records_today == 110_000  # 160,000 allowed a day, 50,000 already used
    assert plan.records_per_day == 160_000
    # 890,000 left: 5 full days of 160,000 and 90,000 on the sixth after today.
    assert plan.days == 7
    assert plan.finish_at == RESET + timedelta(days=5, seconds=9_000)
