"""Retry timing, run status, progress and the daily-budget plan of a backfill. Pure."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

# Slow, per-record retries after the client's own fast ones gave up: about 1 min, 5 min,
# 30 min, 2 h and 6 h, then the record is a dead letter waiting for a person.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
# Errors worth retrying later; the rest (validation, missing scope, mapping) wait for a fix.
RETRYABLE_KINDS = frozenset({"transient", "rate_limited", "network", "server"})


def next_retry(attempts: int, error_kind: str) -> timedelta | None:
    """The wait before the next try after `attempts` failed tries, or None: give up."""
    if error_kind not in RETRYABLE_KINDS or attempts > len(RETRY_DELAYS):
        return None
    return RETRY_DELAYS[max(attempts, 1) - 1]


def run_status(*, processed: int, failed: int, cancelled: bool = False) -> str:
    """A run with failed records is partial, never succeeded; with nothing but failures,
    failed."""
    if cancelled:
        return "cancelled"
    if failed and failed >= processed:
        return "failed"
    if failed:
        return "partial"
    return "succeeded"


def eta_seconds(*, remaining: int, calls_per_record: float, calls_per_second: float) -> int | None:
    """Seconds left at the budget's pace; None when it cannot be told."""
    if remaining <= 0:
        return 0
    if calls_per_second <= 0 or calls_per_record <= 0:
        return None
    return math.ceil(remaining * calls_per_record / calls_per_second)


@dataclass(frozen=True)
class BackfillPlan:
    records_today: int  # how many records may be written before the daily reset
    records_per_day: int  # after that, per full day
    days: int  # days the backfill spans, today included
    finish_at: datetime | None


def plan_backfill(
    *,
    records: int,
    calls_per_record: float,
    daily_cap: int,
    used_today: int,
    now: datetime,
    resets_at: datetime,
    reserve: float = 0.2,
    calls_per_second: float,
) -> BackfillPlan:
    """Spread a backfill over days so it never takes more than (1 - reserve) of a day's cap
    (HighLevel: 200,000 calls a day per location; 20 % stays for realtime changes), and say
    when it will finish."""
    allowance = math.floor(daily_cap * (1 - reserve))
    today_calls = max(allowance - used_today, 0)
    today = min(records, math.floor(today_calls / calls_per_record))
    per_day = max(math.floor(allowance / calls_per_record), 1)
    left = records - today
    if left <= 0:
        seconds = today * calls_per_record / max(calls_per_second, 1e-9)
        return BackfillPlan(today, per_day, 1, now + timedelta(seconds=seconds))
    full_days, last = divmod(left, per_day)
    days_after = full_days + (1 if last else 0)
    last_day_records = last or per_day
    seconds_last_day = last_day_records * calls_per_record / max(calls_per_second, 1e-9)
    finish = resets_at + timedelta(days=days_after - 1, seconds=seconds_last_day)
    return BackfillPlan(today, per_day, 1 + days_after, finish)
