"""The pure decisions: plain rows in, breaches out. One function per kind, tested without
the database; diagnostics.alerting.detectors reads the rows they are given."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from diagnostics.rate_headers import rate_numbers

# AlertIncident.Level's values (diagnostics.models), spelled out so this module needs no Django.
WARNING = "warning"
BREACH = "breach"


@dataclass(frozen=True)
class Breach:
    subject: str  # "flow:12", "connection:3"
    title: str  # "Flow “Shop → CRM”: runs failing"
    message: str  # what is wrong, in a sentence or two
    value: float
    level: str = BREACH
    flow_id: int | None = None
    connection_id: int | None = None


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _since(when: datetime) -> str:
    return f"{when:%Y-%m-%d %H:%M} UTC"


def failed_runs_breaches(rows: Iterable[dict], *, threshold: int) -> dict[str, Breach]:
    """rows: {"flow_id", "name", "streak", "last_message"}, the streak being the flow's
    failed or partly failed runs since its last successful one. At the threshold: a breach
    (the flow is paused); one short of it: a warning."""
    breaches = {}
    for row in rows:
        streak, name = row["streak"], row["name"]
        last = f" The last one said: {row['last_message'][:300]}" if row["last_message"] else ""
        if streak >= threshold:
            level = BREACH
            message = (
                f"Flow “{name}” failed {streak} runs in a row, so it is paused and runs no "
                f"more until someone resumes it.{last}"
            )
        elif threshold >= 2 and streak == threshold - 1:
            level = WARNING
            runs = "its last run" if streak == 1 else f"{streak} runs in a row"
            message = (
                f"Flow “{name}” failed {runs}. If the next run fails too, the "
                f"flow will be paused automatically.{last}"
            )
        else:
            continue
        subject = f"flow:{row['flow_id']}"
        breaches[subject] = Breach(
            subject,
            f"Flow “{name}”: runs failing",
            message,
            streak,
            level=level,
            flow_id=row["flow_id"],
        )
    return breaches


def error_rate_breaches(
    rows: Iterable[dict], *, percent: int, min_calls: int, window_minutes: int
) -> dict[str, Breach]:
    """rows: {"connection_id", "name", "calls", "errors"} over the window. A window with
    fewer than `min_calls` calls is not judged."""
    breaches = {}
    for row in rows:
        calls, errors = row["calls"], row["errors"]
        if calls < max(min_calls, 1) or errors * 100 <= percent * calls:
            continue
        rate = round(errors * 100 / calls, 1)
        subject = f"connection:{row['connection_id']}"
        breaches[subject] = Breach(
            subject,
            f"Connection “{row['name']}”: API errors",
            f"{errors} of the last {calls} API calls of “{row['name']}” failed in "
            f"{window_minutes} minutes ({rate:g} %, above {percent} %).",
            rate,
            connection_id=row["connection_id"],
        )
    return breaches


def lag_breaches(rows: Iterable[dict], *, minutes: int, now: datetime) -> dict[str, Breach]:
    """rows: {"flow_id", "name", "oldest", "waiting"}: the received_at of a flow's oldest
    pending change, and how many are pending."""
    breaches = {}
    for row in rows:
        age = _minutes(now - row["oldest"])
        if age <= minutes:
            continue
        subject = f"flow:{row['flow_id']}"
        breaches[subject] = Breach(
            subject,
            f"Flow “{row['name']}”: changes waiting",
            f"{row['waiting']} change(s) of flow “{row['name']}” are waiting; the oldest "
            f"arrived {age} minutes ago ({_since(row['oldest'])}), over the {minutes} allowed.",
            age,
            flow_id=row["flow_id"],
        )
    return breaches


def run_stuck_breaches(rows: Iterable[dict], *, minutes: int, now: datetime) -> dict[str, Breach]:
    """rows: {"flow_id", "name", "run_id", "status", "queued_at", "started_at",
    "heartbeat_at"} of queued and running runs. A run is stuck when its latest sign of life
    (queued, started, heartbeat) is older than `minutes`; the worst run per flow counts."""
    breaches: dict[str, Breach] = {}
    for row in rows:
        signs = [row[k] for k in ("queued_at", "started_at", "heartbeat_at") if row[k]]
        if not signs:
            continue
        last = max(signs)
        idle = _minutes(now - last)
        subject = f"flow:{row['flow_id']}"
        if idle <= minutes or (subject in breaches and breaches[subject].value >= idle):
            continue
        state = "queued, no worker took it" if row["status"] == "queued" else "running"
        breaches[subject] = Breach(
            subject,
            f"Flow “{row['name']}”: run stuck",
            f"Run #{row['run_id']} of flow “{row['name']}” is {state}, with no sign of life "
            f"for {idle} minutes (since {_since(last)}).",
            idle,
            flow_id=row["flow_id"],
        )
    return breaches


def token_refresh_breaches(rows: Iterable[dict]) -> dict[str, Breach]:
    """rows: {"connection_id", "name", "message"} of the open token-refresh alerts (raised
    by integrations.token_health): the rule mirrors them."""
    breaches = {}
    for row in rows:
        subject = f"connection:{row['connection_id']}"
        breaches[subject] = Breach(
            subject,
            f"Connection “{row['name']}”: token refresh failed",
            row["message"],
            1,
            connection_id=row["connection_id"],
        )
    return breaches


def mapping_drift_breaches(rows: Iterable[dict]) -> dict[str, Breach]:
    """rows: {"flow_id", "name", "mapping_name", "problems"}: the mapping's problems as
    stored by its last save or drift check (empty: healthy)."""
    breaches = {}
    for row in rows:
        problems = [p for p in row["problems"] or [] if isinstance(p, dict)]
        if not problems:
            continue
        reasons = "; ".join(
            str(p.get("reason") or p.get("field") or "a problem")[:150] for p in problems[:3]
        )
        more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
        subject = f"flow:{row['flow_id']}"
        breaches[subject] = Breach(
            subject,
            f"Flow “{row['name']}”: mapping unhealthy",
            f"The mapping “{row['mapping_name']}” of flow “{row['name']}” has "
            f"{len(problems)} problem(s): {reasons}{more}.",
            len(problems),
            flow_id=row["flow_id"],
        )
    return breaches


DAILY_LIMIT_HEADER = "x-ratelimit-limit-daily"
DAILY_REMAINING_HEADER = "x-ratelimit-daily-remaining"


def daily_budget_breaches(rows: Iterable[dict], *, percent: int) -> dict[str, Breach]:
    """rows: {"connection_id", "name", "rate_limit", "at"}: the latest rate-limit headers
    of each connection (names in any case). Below `percent` % of the daily limit left is a
    breach; a reading without both numbers says nothing."""
    breaches = {}
    for row in rows:
        numbers = rate_numbers(row["rate_limit"])
        limit, remaining = numbers.daily_limit, numbers.daily_remaining
        if limit is None or remaining is None:
            continue
        if limit <= 0 or remaining * 100 >= percent * limit:
            continue
        left = round(max(remaining, 0) * 100 / limit, 1)
        subject = f"connection:{row['connection_id']}"
        breaches[subject] = Breach(
            subject,
            f"Connection “{row['name']}”: daily API budget nearly spent",
            f"“{row['name']}” had {max(remaining, 0):,} of its {limit:,} daily API calls left "
            f"({left:g} %, below {percent} %) at {_since(row['at'])}.",
            left,
            connection_id=row["connection_id"],
        )
    return breaches
