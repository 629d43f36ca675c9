"""Reading the rows each kind judges: a fixed number of queries per rule (aggregates, never
a query per flow or record), handed to the pure functions of diagnostics.alerting.breaches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from alerts.models import Alert
from diagnostics.alerting.breaches import (
    DAILY_REMAINING_HEADER,
    Breach,
    daily_budget_breaches,
    error_rate_breaches,
    failed_runs_breaches,
    lag_breaches,
    mapping_drift_breaches,
    run_stuck_breaches,
    token_refresh_breaches,
)
from diagnostics.alerting.kinds import KIND_SETTINGS, Kind
from diagnostics.models import AlertRule, ApiCall
from sync.models import Flow, PendingChange, Run

# --- reading the rows: a fixed number of queries per rule -----------------------------------
FAILING = [Run.Status.FAILED, Run.Status.PARTIAL]


def rule_threshold(rule: AlertRule) -> int:
    # A rule saved without the services (admin, shell) still has the kind's default.
    return rule.threshold or KIND_SETTINGS[rule.kind].threshold.default


def _window(rule: AlertRule) -> int:
    return rule.window_minutes or KIND_SETTINGS[rule.kind].window.default


def _detect_failed_runs(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    runs = Run.objects.filter(flow=OuterRef("pk"))
    # Runs are compared by id: ids grow in the order runs were queued.
    last_ok = runs.filter(status=Run.Status.SUCCEEDED).order_by("-pk").values("pk")[:1]
    last_failure = runs.filter(status__in=FAILING).order_by("-pk").values("message")[:1]
    rows = (
        Flow.objects.filter(workspace_id=rule.workspace_id)
        .annotate(last_ok=Coalesce(Subquery(last_ok), 0))
        .annotate(
            streak=Count("runs", filter=Q(runs__status__in=FAILING, runs__pk__gt=F("last_ok")))
        )
        .filter(streak__gte=max(rule_threshold(rule) - 1, 1))
        .annotate(last_message=Subquery(last_failure))
        .values("name", "streak", "last_message", flow_id=F("pk"))
    )
    return failed_runs_breaches(rows, threshold=rule_threshold(rule))


def _detect_error_rate(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    rows = (
        ApiCall.objects.filter(
            workspace_id=rule.workspace_id,
            connection__isnull=False,
            at__gt=now - timedelta(minutes=_window(rule)),
            at__lte=now,
        )
        .values("connection_id", name=F("connection__name"))
        .annotate(calls=Count("pk"), errors=Count("pk", filter=~Q(error_kind="")))
        .order_by()
    )
    return error_rate_breaches(
        rows,
        percent=rule_threshold(rule),
        min_calls=rule.min_calls,
        window_minutes=_window(rule),
    )


def _detect_lag(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    # A paused flow is not expected to apply anything: its pause was deliberate (or alerted).
    rows = (
        PendingChange.objects.filter(
            flow__workspace_id=rule.workspace_id,
            flow__enabled=True,
            status=PendingChange.Status.PENDING,
        )
        .values("flow_id", name=F("flow__name"))
        .annotate(oldest=Min("received_at"), waiting=Count("pk"))
        .order_by()
    )
    return lag_breaches(rows, minutes=rule_threshold(rule), now=now)


def _detect_run_stuck(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    # "Waiting for budget" is not stuck: it waits for the daily reset on purpose.
    rows = Run.objects.filter(
        flow__workspace_id=rule.workspace_id,
        flow__enabled=True,
        status__in=[Run.Status.QUEUED, Run.Status.RUNNING],
    ).values(
        "flow_id",
        "status",
        "queued_at",
        "started_at",
        "heartbeat_at",
        name=F("flow__name"),
        run_id=F("pk"),
    )
    return run_stuck_breaches(rows, minutes=rule_threshold(rule), now=now)


def _detect_token_refresh_failed(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    rows = Alert.objects.filter(
        workspace_id=rule.workspace_id,
        kind=Alert.Kind.TOKEN_REFRESH_FAILED,
        resolved_at=None,
        connection__isnull=False,
    ).values("connection_id", "message", name=F("connection__name"))
    return token_refresh_breaches(rows)


def _detect_mapping_drift(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    rows = (
        Flow.objects.filter(workspace_id=rule.workspace_id)
        .exclude(mapping__problems=[])
        .values(
            "name",
            flow_id=F("pk"),
            mapping_name=F("mapping__name"),
            problems=F("mapping__problems"),
        )
    )
    return mapping_drift_breaches(rows)


def _detect_daily_budget(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    with_daily = Q(rate_limit__has_key="X-RateLimit-Daily-Remaining") | Q(
        rate_limit__has_key=DAILY_REMAINING_HEADER
    )
    latest = (
        ApiCall.objects.filter(
            with_daily,
            workspace_id=rule.workspace_id,
            connection__isnull=False,
            at__gt=now - timedelta(minutes=_window(rule)),
            at__lte=now,
        )
        .values("connection_id")
        .annotate(last=Max("pk"))
        .values("last")
    )
    rows = ApiCall.objects.filter(pk__in=Subquery(latest)).values(
        "connection_id", "rate_limit", "at", name=F("connection__name")
    )
    return daily_budget_breaches(rows, percent=rule_threshold(rule))


DETECTORS: dict[str, Callable[[AlertRule, datetime], dict[str, Breach]]] = {
    Kind.FAILED_RUNS: _detect_failed_runs,
    Kind.ERROR_RATE: _detect_error_rate,
    Kind.LAG: _detect_lag,
    Kind.RUN_STUCK: _detect_run_stuck,
    Kind.TOKEN_REFRESH_FAILED: _detect_token_refresh_failed,
    Kind.MAPPING_DRIFT: _detect_mapping_drift,
    Kind.DAILY_BUDGET: _detect_daily_budget,
}
