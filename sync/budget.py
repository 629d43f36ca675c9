"""A run against the systems' request budgets: the ETA at the pace their rate limits allow,
and the daily cap (HighLevel: 200,000 requests a day per app and location), which a
whole-flow read may only use up to DAILY_RESERVE short of: that share is kept for webhook
changes. The arithmetic is sync.engine.schedule's (pure); this module reads the runs."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from sync.engine.schedule import BackfillPlan, eta_seconds, plan_backfill
from sync.models import Run

DAILY_RESERVE = 0.2


class DailyBudgetSpent(Exception):
    """A whole-flow read reached the daily reserve of the system `service` (its `quota`)."""

    def __init__(self, service: str, quota):
        super().__init__(service)
        self.service, self.quota = service, quota


def budget_pace(capabilities) -> float:
    """Records per second a system's rate limit allows at about one call per record."""
    limit = capabilities.rate_limit
    return limit.requests / limit.window_seconds if limit else 0.0


def daily_budget_check(systems, *, next_batch_calls: float) -> None:
    """Raise DailyBudgetSpent when a next batch (about `next_batch_calls` requests) could
    reach into the reserve of a system's daily cap. `systems`: (name, record adapter)."""
    for name, adapter in systems:
        quota = adapter.daily_quota()
        if quota is not None and quota.remaining < quota.limit * DAILY_RESERVE + next_batch_calls:
            raise DailyBudgetSpent(name, quota)


def run_plan(run: Run, quota, *, now: datetime, pace: float) -> BackfillPlan | None:
    """The rest of `run` spread over the coming days' allowances; None when its total is
    not known."""
    if run.total is None:
        return None
    calls_per_record = run.api_calls / run.processed if run.processed else 1.0
    return plan_backfill(
        records=max(run.total - run.processed, 0),
        calls_per_record=max(calls_per_record, 0.01),
        daily_cap=quota.limit,
        used_today=quota.used,
        now=now,
        resets_at=quota.resets_at,
        reserve=DAILY_RESERVE,
        calls_per_second=pace or 1.0,
    )


def run_eta(run: Run, *, done: int, quota, pace_allowed: float) -> int | None:
    """Seconds left once `done` records are processed: the rest at the slower of the pace so
    far and `pace_allowed`, spread over days when the daily cap (`quota`) will stop it."""
    if run.total is None or run.started_at is None:
        return None
    now = timezone.now()
    elapsed = max((now - run.started_at).total_seconds(), 0.001)
    pace = done / elapsed
    pace = min(pace, pace_allowed) if pace_allowed else pace
    left = eta_seconds(
        remaining=max(run.total - done, 0), calls_per_record=1, calls_per_second=pace
    )
    if quota is None or left is None:
        return left
    run.processed = done
    plan = run_plan(run, quota, now=now, pace=pace_allowed)
    if plan is None or plan.days <= 1:
        return left
    return max(int((plan.finish_at - now).total_seconds()), left)


def run_wait(run: Run, spent: DailyBudgetSpent, *, pace: float) -> Run:
    """Park `run` until the daily reset: WAITING (still the flow's run in flight, so no poll
    or schedule reads past it; webhook changes keep flowing on the reserve), with what is
    left and when it should finish; the `runs_resume_waiting` beat queues it again."""
    now, quota = timezone.now(), spent.quota
    run.refresh_from_db()
    plan = run_plan(run, quota, now=now, pace=pace)
    message = (
        f"Paused for the day: {quota.used:,} of {spent.service}'s {quota.limit:,} daily "
        f"requests are used, and the last {DAILY_RESERVE:.0%} is kept for live changes. "
        f"It continues from where it stopped at {quota.resets_at:%Y-%m-%d %H:%M} UTC"
    )
    if plan is not None and plan.finish_at is not None:
        message += (
            f"; about {run.total - run.processed:,} records are left, at up to "
            f"{plan.records_per_day:,} a day: expected to finish by "
            f"{plan.finish_at:%Y-%m-%d %H:%M} UTC."
        )
    else:
        message += "."
    eta = max(int((plan.finish_at - now).total_seconds()), 0) if plan and plan.finish_at else None
    Run.objects.filter(pk=run.pk).update(
        status=Run.Status.WAITING, message=message, resume_after=quota.resets_at, eta_seconds=eta
    )
    run.refresh_from_db()
    return run
