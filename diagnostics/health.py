"""Health in words: what state a flow or a connection is in and why, from plain numbers.
Pure Python; the overview (diagnostics/overview.py) gathers the numbers."""

from __future__ import annotations

from dataclasses import dataclass

from sync import health as sync_health
from sync.health import DEGRADED, FAILING, HEALTHY, PAUSED

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


def flow_health(**numbers) -> Health:
    """A flow: paused, failing, degraded or healthy, by the sync app's own rules (its flow
    cards show the same verdict). Failures since fixed (retried or replayed) do not count."""
    verdict = sync_health.flow_health(**numbers)
    return Health(verdict.state, verdict.reason)


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
    if rate >= ERROR_RATE_FAILING or (status == "failing" and errors_1h):
        return Health(FAILING, f"{errors_1h} of {calls_1h} calls failed in the last hour.")
    if status == "failing":  # failed before the last hour: "0 of 0 calls failed" says nothing
        return Health(FAILING, "Its last test failed: open it for the error, then test again.")
    if rate >= ERROR_RATE_DEGRADED:
        return Health(DEGRADED, f"{errors_1h} of {calls_1h} calls failed in the last hour.")
    if daily_limit and daily_remaining is not None and daily_remaining < daily_limit * DAILY_LOW:
        return Health(
            DEGRADED,
            f"Only {daily_remaining:,} of {daily_limit:,} daily requests are left: backfills "
            "wait for tomorrow.",
        )
    return Health(HEALTHY)
