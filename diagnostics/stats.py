"""Latency and error figures for the Diagnostics tab, from the hourly rollups (complete,
rolled-up hours) plus the raw calls after the newest rolled-up hour, so a week of figures
reads at most a week of rollup rows and an hour or two of raw rows, however many calls there
were. End-to-end latency (a change seen → written) comes from the applied webhook changes."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max
from django.utils import timezone

from accounts.models import Workspace
from diagnostics.latency import histogram, histogram_merge, histogram_percentiles, percentiles
from diagnostics.models import ApiCall, ApiCallHour
from integrations.calls import ERROR_KINDS
from sync.models import PendingChange, Run, RunItem

WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}
E2E_SAMPLE = 10_000  # newest applied changes the end-to-end percentiles look at


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _rolled_until(workspace: Workspace) -> datetime | None:
    """The end of the newest rolled-up hour: raw rows from here on are not in a rollup."""
    newest = ApiCallHour.objects.filter(workspace=workspace).aggregate(hour=Max("hour"))["hour"]
    return newest + timedelta(hours=1) if newest else None


@dataclass
class EndpointLatency:
    provider: str
    method: str
    endpoint: str
    calls: int
    p50: float | None
    p95: float | None
    p99: float | None


@dataclass
class Figures:
    window: str
    errors: dict[str, int]  # error kind -> count (API calls), then "mapping" (records)
    calls: int
    endpoints: list[EndpointLatency]
    hourly: list[tuple[datetime, dict[int, float | None]]]  # hour -> p50/p95/p99 (ms)
    end_to_end: dict[int, float | None]  # seconds, change seen → written


def figures(*, workspace: Workspace, window: str = "24h", now: datetime | None = None) -> Figures:
    now = now or timezone.now()
    since = now - WINDOWS[window]
    rolled_until = _rolled_until(workspace)
    raw_from = max(since, rolled_until) if rolled_until else since

    errors: Counter = Counter()
    calls = 0
    by_endpoint: dict[tuple, list] = defaultdict(list)  # key -> [calls, histogram]
    by_hour: dict[datetime, list[int]] = {}
    if rolled_until and rolled_until > since:
        rollups = ApiCallHour.objects.filter(
            workspace=workspace, hour__gte=_hour(since), hour__lt=rolled_until
        ).values_list(
            "hour", "provider", "method", "endpoint", "calls", "errors", "latency_buckets"
        )
        for hour, provider, method, endpoint, count, kinds, buckets in rollups.iterator():
            calls += count
            errors.update({kind: n for kind, n in (kinds or {}).items() if kind})
            entry = by_endpoint.setdefault((provider, method, endpoint), [0, []])
            entry[0] += count
            entry[1] = histogram_merge(entry[1], buckets or [])
            by_hour[hour] = histogram_merge(by_hour.get(hour, []), buckets or [])
    raw = ApiCall.objects.filter(workspace=workspace, at__gte=raw_from, at__lte=now)
    for row in raw.values("error_kind").annotate(n=Count("pk")):
        calls += row["n"]
        if row["error_kind"]:
            errors[row["error_kind"]] += row["n"]
    latencies: dict[tuple, list[float]] = defaultdict(list)
    hours: dict[datetime, list[float]] = defaultdict(list)
    for at, provider, method, endpoint, latency in raw.values_list(
        "at", "provider", "method", "endpoint", "latency_ms"
    ).iterator(chunk_size=5_000):
        latencies[(provider, method, endpoint)].append(latency)
        hours[_hour(at)].append(latency)
    for key, values in latencies.items():
        entry = by_endpoint.setdefault(key, [0, []])
        entry[0] += len(values)
        entry[1] = histogram_merge(entry[1], histogram(values))
    for hour, values in hours.items():
        by_hour[hour] = histogram_merge(by_hour.get(hour, []), histogram(values))

    runs = Run.objects.filter(flow__workspace=workspace, queued_at__gte=since)
    mapping = RunItem.objects.filter(
        run__in=runs, outcome=RunItem.Outcome.FAILED, error_kind="mapping"
    ).count()
    ordered = {kind: errors.get(kind, 0) for kind in ERROR_KINDS}
    ordered["mapping"] = mapping
    endpoints = [
        EndpointLatency(provider, method, endpoint, count, **_named(histogram_percentiles(hist)))
        for (provider, method, endpoint), (count, hist) in sorted(
            by_endpoint.items(), key=lambda item: -item[1][0]
        )
    ]
    hourly = [(hour, histogram_percentiles(hist)) for hour, hist in sorted(by_hour.items())]
    return Figures(window, ordered, calls, endpoints, hourly, _end_to_end(workspace, since))


def _named(values: dict[int, float | None]) -> dict[str, float | None]:
    return {f"p{q}": value for q, value in values.items()}


def _end_to_end(workspace: Workspace, since: datetime) -> dict[int, float | None]:
    """Seconds from a webhook change being received to it being applied, over the newest
    E2E_SAMPLE changes applied in the window."""
    done = (
        PendingChange.objects.filter(
            flow__workspace=workspace,
            origin=PendingChange.Origin.WEBHOOK,
            status=PendingChange.Status.DONE,
            updated_at__gte=since,
        )
        .order_by("-updated_at")
        .values_list("received_at", "updated_at")[:E2E_SAMPLE]
    )
    return percentiles([(applied - seen).total_seconds() for seen, applied in done])
