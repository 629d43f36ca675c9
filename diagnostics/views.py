"""The Diagnostics tab: thin views over diagnostics.overview and diagnostics.logs. Every page
is read-only; its buttons post to the flow pages' own actions (replay, run, pause)."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe

from accounts.access import workspace_access
from accounts.models import Role
from alerts.selectors import open_alerts
from diagnostics import charts, logs, overview, stats
from diagnostics.selectors import worker_status
from diagnostics.templatetags.diagnostics_tags import kind_words

# Drawn about the size a chart's card shows it, so its text reads at the page's small size.
CHART_SIZE = {"width": 420, "height": 220}


def _context(request, membership, tab: str, **extra) -> dict:
    return {
        "tab": tab,
        "can_edit": membership.has_role(Role.EDITOR),
        "workspace": membership.workspace,
        **extra,
    }


@login_required
def dashboard(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    workspace = membership.workspace
    flows = overview.flow_rows(workspace=workspace)
    connections = overview.connection_rows(workspace=workspace)
    context = _context(
        request,
        membership,
        "overview",
        flows=flows,
        connections=connections,
        flow_counts=overview.health_counts(flows),
        connection_counts=overview.health_counts(connections),
        worker=worker_status(),
        alerts=open_alerts(workspace=workspace).select_related("connection")[:50],
    )
    return render(request, "diagnostics/dashboard.html", context)


@login_required
def performance(request, workspace_id):
    """Latency (per endpoint and end to end) and errors by class over 1 h, 24 h or 7 d, as
    SVG charts drawn here, with the numbers beside them."""
    membership = workspace_access(request, workspace_id)
    window = request.GET.get("window")
    window = window if window in stats.WINDOWS else "24h"
    figures = stats.figures(workspace=membership.workspace, window=window)
    # Every hour of the period on the x axis, empty ones as gaps, so the chart spans it all.
    known = dict(figures.hourly)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    count = max(int(stats.WINDOWS[window].total_seconds() // 3600), 1)
    hours = [now - timedelta(hours=n) for n in range(count - 1, -1, -1)]
    series = {
        f"p{q}": [(hour, (known.get(hour) or {}).get(q)) for hour in hours] for q in (50, 95, 99)
    }
    errors = [(kind_words(kind), count) for kind, count in figures.errors.items()]
    # The chart functions escape every text they draw: their SVG is safe to insert.
    latency_chart = mark_safe(  # noqa: S308
        charts.line_chart(
            series, title=f"API latency per hour, last {window} (UTC)", unit="ms", **CHART_SIZE
        )
    )
    error_chart = mark_safe(  # noqa: S308
        charts.bar_chart(errors, title=f"Errors by class, last {window}", unit="", **CHART_SIZE)
    )
    context = _context(
        request,
        membership,
        "performance",
        figures=figures,
        window=window,
        windows=tuple(stats.WINDOWS),
        latency_chart=latency_chart,
        error_chart=error_chart,
    )
    return render(request, "diagnostics/performance.html", context)


@login_required
def runs(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    filters = logs.RunFilters.from_query(request.GET, workspace=membership.workspace)
    page = logs.runs_page(
        workspace=membership.workspace, filters=filters, page=request.GET.get("page")
    )
    return render(
        request,
        "diagnostics/runs.html",
        _context(request, membership, "runs", filters=filters, page=page),
    )


@login_required
def calls(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    filters = logs.CallFilters.from_query(request.GET, workspace=membership.workspace)
    page = logs.calls_page(workspace=membership.workspace, filters=filters)
    return render(
        request,
        "diagnostics/calls.html",
        _context(request, membership, "calls", filters=filters, page=page),
    )


@login_required
def inbox(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    filters = logs.InboxFilters.from_query(request.GET)
    page = logs.inbox_page(
        workspace=membership.workspace, filters=filters, page=request.GET.get("page")
    )
    return render(
        request,
        "diagnostics/inbox.html",
        _context(request, membership, "inbox", filters=filters, page=page),
    )


def health(request):
    """Public liveness check for load balancers: answers 200 only if the database does."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
