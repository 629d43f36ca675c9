"""A flow's health in words: paused, failing, degraded or healthy, and what to do. Pure
Python from plain numbers: the flow cards (sync/selectors.py) and Diagnostics' overview
(diagnostics/overview.py, which reads sync) both use these rules, so the two never disagree."""

from __future__ import annotations

from dataclasses import dataclass

HEALTHY, DEGRADED, FAILING, PAUSED = "healthy", "degraded", "failing", "paused"
LAG_DEGRADED_SECONDS = 15 * 60  # changes waiting longer than this: the sync is behind
FAILED_RUN, PARTIAL_RUN = "failed", "partial"  # Run.Status values, without importing models


@dataclass(frozen=True)
class FlowHealth:
    state: str  # healthy, degraded, failing or paused: {% status_badge %} has words for each
    reason: str = ""  # what is wrong and what to do, for a person


def minutes_words(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes // 60} hours"


def _waits(count: int, noun: str) -> str:
    """ "1 dead letter waits", "2 dead letters wait"."""
    return f"{count} {noun}{' waits' if count == 1 else 's wait'}"


def flow_health(
    *,
    enabled: bool,
    paused_reason: str = "",
    last_status: str | None,
    dead_letters: int,
    lag_seconds: float | None,
    retrying: int = 0,
    conflicts: int = 0,
    broken_connection: str = "",
) -> FlowHealth:
    """Paused, failing, degraded or healthy: the first that applies wins, worst first."""
    if not enabled:
        return FlowHealth(PAUSED, paused_reason or "Paused: resume it from the flow page.")
    if broken_connection:
        return FlowHealth(
            FAILING, f"“{broken_connection}” refused our access: reconnect it, then run again."
        )
    if last_status == FAILED_RUN:
        return FlowHealth(
            FAILING, "The last run failed: open it for the reason, fix it, run again."
        )
    if lag_seconds is not None and lag_seconds > LAG_DEGRADED_SECONDS:
        waited = minutes_words(lag_seconds)
        return FlowHealth(DEGRADED, f"Changes have waited {waited}: is the worker running?")
    if dead_letters:
        return FlowHealth(DEGRADED, f"{_waits(dead_letters, 'dead letter')} for a replay.")
    if conflicts:
        return FlowHealth(DEGRADED, f"{_waits(conflicts, 'conflict')} for a decision.")
    if retrying:
        plural = "s wait" if retrying != 1 else " waits"
        return FlowHealth(DEGRADED, f"{retrying} failed record{plural} for a retry: see the runs.")
    if last_status == PARTIAL_RUN:
        return FlowHealth(DEGRADED, "Some records failed in the last run: see the run.")
    return FlowHealth(HEALTHY)
