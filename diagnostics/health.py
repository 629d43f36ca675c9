"""Health in words: what state a flow or a connection is in and why, from plain numbers.
Pure Python; the overview (diagnostics/overview.py) gathers the numbers."""

from __future__ import annotations

from dataclasses import dataclass

HEALTHY, DEGRADED, FAILING, PAUSED = "healthy", "degraded", "failing", "paused"
LAG_DEGRADED_SECONDS = 15 * 60  # changes waiting longer than this: the sync is behind
ERROR_RATE_DEGRADED = 0.05  # over the last hour, with at least MIN_CALLS calls
ERROR_RATE_FAILING = 0.5
MIN_CALLS = 20
DAILY_LOW = 0.2  # a daily budget with less than this share left


@dataclass(frozen=True)
class Health:
    state: str  # healthy, degraded, failing or paused
    reason: str = ""  # what is wrong and what to do, for a person

    @property
    def label(self) -> str:
        return self.state.capitalize()


def minutes_words(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes // 60} hours"


def flow_health(
    *,
    enabled: bool,
    paused_reason: str = "",
    last_status: str | None,
    dead_letters: int,
    lag_seconds: float | None,
    retrying: int = 0,
    conflicts: int = 0,
) -> Health:
    """A flow: paused, failing (its last run failed), degraded (behind, dead letters,
    records failing and waiting for a retry) or healthy. The first that applies wins, worst
    first. Failures since fixed (retried or replayed) do not count: the runs keep them."""
    if not enabled:
        return Health(PAUSED, paused_reason or "Paused: resume it from the flow page.")
    if last_status == "failed":
        return Health(FAILING, "The last run failed: open it for the reason, fix it, run again.")
    if lag_seconds is not None and lag_seconds > LAG_DEGRADED_SECONDS:
        return Health(
            DEGRADED,
            f"Changes have waited {minutes_words(lag_seconds)}: is the worker running?",
        )
    if dead_letters:
        plural = "s wait" if dead_letters != 1 else " waits"
        return Health(DEGRADED, f"{dead_letters} dead letter{plural} for a replay.")
    if conflicts:
        plural = "s wait" if conflicts != 1 else " waits"
        return Health(DEGRADED, f"{conflicts} conflict{plural} for a decision.")
    if retrying:
        plural = "s fail" if retrying != 1 else " fails"
        return Health(DEGRADED, f"{retrying} record{plural} and waits for a retry: see the runs.")
    if last_status == "partial":
        return Health(DEGRADED, "Some records failed in the last run: see the run.")
    return Health(HEALTHY)


def connection_health(
    *,
    status: str,
    calls_1h: int,
    errors_1h: int,
    daily_remaining: int | None = None,
    daily_limit: int | None = None,
) -> Health:
    """A connection: failing (needs reconnecting, or most calls fail), degraded (many calls
    fail, or the daily budget is nearly spent) or healthy; "disabled" counts as paused."""
    if status == "disabled":
        return Health(PAUSED, "Disabled: nothing is sent to it.")
    if status == "needs_reconnect":
        return Health(FAILING, "Its access was refused: reconnect it.")
    rate = errors_1h / calls_1h if calls_1h >= MIN_CALLS else 0.0
    if status == "failing" or rate >= ERROR_RATE_FAILING:
        return Health(FAILING, f"{errors_1h} of {calls_1h} calls failed in the last hour.")
    if rate >= ERROR_RATE_DEGRADED:
        return Health(DEGRADED, f"{errors_1h} of {calls_1h} calls failed in the last hour.")
    if daily_limit and daily_remaining is not None and daily_remaining < daily_limit * DAILY_LOW:
        return Health(
            DEGRADED,
            f"Only {daily_remaining:,} of {daily_limit:,} daily requests are left: backfills "
            "wait for tomorrow.",
        )
    return Health(HEALTHY)
