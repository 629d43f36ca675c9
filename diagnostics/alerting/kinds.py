"""What each kind of alert rule watches: its threshold and time window (default and
bounds), what the numbers mean, and what to do about a breach (said in the notices)."""

from __future__ import annotations

from dataclasses import dataclass

from diagnostics.models import AlertRule

Kind = AlertRule.Kind


@dataclass(frozen=True)
class Bounds:
    default: int
    low: int
    high: int


@dataclass(frozen=True)
class KindSettings:
    threshold: Bounds | None  # None: the kind has no threshold
    threshold_label: str
    window: Bounds | None  # None: the kind reads no time window
    advice: str  # what to do, in the notices


KIND_SETTINGS: dict[str, KindSettings] = {
    Kind.FAILED_RUNS: KindSettings(
        Bounds(3, 2, 100),
        "failed or partly failed runs in a row (the flow is paused at this number)",
        None,
        "Open the flow's latest run to see why it failed and fix the cause. A paused flow "
        "runs again once you press Resume on its page; the next run that succeeds closes "
        "this alert.",
    ),
    Kind.ERROR_RATE: KindSettings(
        Bounds(20, 1, 100),
        "% of a connection's API calls failing",
        Bounds(15, 5, 24 * 60),
        "Open the API calls on the diagnostics page: their error classes say whether the "
        "credentials, the rate limits or the other system is at fault.",
    ),
    Kind.LAG: KindSettings(
        Bounds(30, 5, 7 * 24 * 60),
        "minutes a change may wait before it is applied",
        None,
        "Check on the diagnostics page that the worker is running, and on the flow's page "
        "that its runs succeed and no records keep failing.",
    ),
    Kind.RUN_STUCK: KindSettings(
        Bounds(30, 15, 7 * 24 * 60),
        "minutes a run may go without a sign of life (queued, or running without heartbeat)",
        None,
        "Check on the diagnostics page that the worker is running. A run whose worker "
        "stopped is queued again after 10 minutes; one that stays queued waits for a worker.",
    ),
    Kind.TOKEN_REFRESH_FAILED: KindSettings(
        None,
        "",
        None,
        "Open the connection and reconnect it: syncs through it stop until then.",
    ),
    Kind.MAPPING_DRIFT: KindSettings(
        None,
        "",
        None,
        "Open the mapping: its problem list says which rule or field to fix. The flow does "
        "not write with an unhealthy mapping.",
    ),
    Kind.DAILY_BUDGET: KindSettings(
        Bounds(10, 1, 99),
        "% of the daily API budget left (alert below this)",
        Bounds(24 * 60, 60, 48 * 60),
        "Runs wait for the daily reset when the budget is spent. Spread large backfills "
        "over several days or poll less often.",
    ),
}
WINDOW_LABEL = {
    Kind.ERROR_RATE: "minutes of API calls to look at",
    Kind.DAILY_BUDGET: "minutes: how old the last reading of the budget may be",
}
