"""Prometheus metrics, read from the database each time `/metrics` is scraped.

Why from the database, and not prometheus_client's own Counter and Histogram objects: those
live in one process's memory. We run several gunicorn workers and several Celery processes,
so a scrape would get the counts of whichever process answered, and every restart would set
them back to zero. prometheus_client's multiprocess mode gets around that with a shared
directory of memory-mapped files, one per process. That needs an environment variable set
before import, the directory wiped at each deploy, a gunicorn hook for workers that exit,
and the same set-up in Celery's prefork children; custom collectors and Info/Enum metrics
do not work there, and each gauge needs a rule for combining processes. We need none of it:
everything worth counting is already stored as rows (runs with their counters, each API call
and its hourly rollup, the change queue, connections). So a custom collector adds them up
when it is scraped. Any process gives the same answer, nothing resets on restart, and there
is nothing extra to deploy. Calls of no workspace are left out, as the rollups leave them.

The collector sits on its own `CollectorRegistry`, not prometheus_client's global one. The
global registry also holds the answering process's own process/GC/platform collectors, which
would make the numbers depend on which worker answered. It would also run our queries when
some other code exposes the global registry.

Cost: a fixed number of aggregate queries per scrape, however many workspaces, flows and
connections there are (the tests pin it). Every label has few values: ids, provider keys,
HTTP methods, endpoint templates (ids already replaced), status classes, outcomes and error
kinds. No names, no e-mails, no secrets.

API call counters stay monotonic while raw rows are pruned. A counter is the sum of the
hourly rollups up to the newest rolled-up hour H, plus the raw rows from H + 1 hour onwards.
Raw rows are only pruned once their hour is rolled up, so deleting them changes nothing.
H is read once per scrape, and both parts are bounded by it, so a rollup that commits in the
middle of a scrape is not counted twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Case, Count, IntegerField, Max, OuterRef, Q, Subquery, Sum, Value, When
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

from diagnostics.latency import LATENCY_BUCKETS_MS
from diagnostics.models import ApiCall, ApiCallHour
from integrations.calls import endpoint_template
from integrations.models import Connection
from sync.models import Flow, PendingChange, Run

PREFIX = "contactbridge_"
RUN_OUTCOMES = ("created", "updated", "unchanged", "skipped", "deleted", "failed")
RUN_IN_FLIGHT = (Run.Status.QUEUED, Run.Status.RUNNING, Run.Status.WAITING)
QUEUE_STATUSES = (PendingChange.Status.PENDING, PendingChange.Status.DEAD)
# Window -> (header with what is left, header with the limit, the header some APIs use
# instead of the limit header). Providers send these in any capitalisation.
RATE_HEADERS = {
    "burst": ("X-RateLimit-Remaining", "X-RateLimit-Max", "X-RateLimit-Limit"),
    "daily": ("X-RateLimit-Daily-Remaining", "X-RateLimit-Limit-Daily", None),
}
# One slot per bucket bound, plus the overflow slot for anything slower than the last one.
SLOTS = len(LATENCY_BUCKETS_MS) + 1
LE = [floatToGoString(bound / 1000) for bound in LATENCY_BUCKETS_MS] + ["+Inf"]

CALL_LABELS = ["workspace", "connection", "provider", "method", "endpoint"]


def _id(value) -> str:
    """An id as a label value; "" when there is none (no workspace, no connection)."""
    return str(value) if value else ""


def _status_class(status) -> str:
    """200 or "200" -> "2xx"; None, "none" (no answer) or anything odd -> "none"."""
    text = "none" if status is None else str(status)
    return f"{text[0]}xx" if len(text) == 3 and text.isdigit() else "none"


def _call_key(workspace_id, connection_id, provider, method, endpoint) -> tuple[str, ...]:
    # endpoint_template again: it changes nothing on a template, and keeps an id or e-mail
    # out of the labels if a row was ever stored with one.
    return (_id(workspace_id), _id(connection_id), provider, method, endpoint_template(endpoint))


def sync_records() -> list[Metric]:
    """Records per flow and outcome, summed over the flow's runs. Dry runs are left out:
    they write nothing, so their "created" and "updated" records are not records synced."""
    real = Q(runs__dry_run=False)
    sums = {outcome: Sum(f"runs__{outcome}", filter=real) for outcome in RUN_OUTCOMES}
    family = CounterMetricFamily(
        f"{PREFIX}sync_records",
        "Records handled by the runs of each flow (dry runs excepted), by outcome.",
        labels=["workspace", "flow", "outcome"],
    )
    for row in Flow.objects.values("workspace_id", "pk").annotate(**sums).order_by("pk"):
        for outcome in RUN_OUTCOMES:
            labels = [_id(row["workspace_id"]), _id(row["pk"]), outcome]
            family.add_metric(labels, row[outcome] or 0)
    return [family]


def api_calls() -> list[Metric]:
    """Calls and errors per connection and endpoint, and a latency histogram per provider
    and endpoint: the hourly rollups plus the raw rows after the last rolled-up hour."""
    calls: dict[tuple, int] = defaultdict(int)
    errors: dict[tuple, int] = defaultdict(int)
    buckets: dict[tuple, list[int]] = defaultdict(lambda: [0] * SLOTS)
    seconds: dict[tuple, float] = defaultdict(float)

    newest = ApiCallHour.objects.aggregate(newest=Max("hour"))["newest"]
    rollups = ApiCallHour.objects.order_by()
    # Calls of no workspace are never rolled up (diagnostics.rollups): counted now, they
    # would vanish from the counter when their hour is.
    raw = ApiCall.objects.filter(workspace__isnull=False).order_by()
    if newest is not None:
        rollups = rollups.filter(hour__lte=newest)
        raw = raw.filter(at__gte=newest + timedelta(hours=1))  # the `at` index

    fields = ["workspace_id", "connection_ref", "provider", "method", "endpoint"]
    fields += ["statuses", "errors", "latency_total_ms", "latency_buckets"]
    for row in rollups.values(*fields).iterator(chunk_size=2000):
        key = _call_key(*(row[name] for name in fields[:5]))
        for status, count in (row["statuses"] or {}).items():
            calls[(*key, _status_class(status))] += int(count)
        for kind, count in (row["errors"] or {}).items():
            errors[(*key, kind)] += int(count)
        counts = buckets[key[2:]]
        for slot, count in enumerate(row["latency_buckets"] or []):
            counts[min(slot, SLOTS - 1)] += int(count)  # a longer list: the rest overflowed
        seconds[key[2:]] += row["latency_total_ms"] / 1000

    # The raw rows are grouped in SQL, each into its latency slot (bisect_left's rule: the
    # first bound not below it), so a backlog of unrolled hours is still one small answer.
    slot = Case(
        *(When(latency_ms__lte=bound, then=Value(i)) for i, bound in enumerate(LATENCY_BUCKETS_MS)),
        default=Value(SLOTS - 1),
        output_field=IntegerField(),
    )
    fields = ["workspace_id", "connection_id", "provider", "method", "endpoint"]
    grouped = (
        raw.values(*fields, "status", "error_kind")
        .annotate(slot=slot)
        .annotate(count=Count("pk"), total_ms=Sum("latency_ms"))
    )
    for row in grouped:
        key = _call_key(*(row[name] for name in fields))
        calls[(*key, _status_class(row["status"]))] += row["count"]
        if row["error_kind"]:
            errors[(*key, row["error_kind"])] += row["count"]
        buckets[key[2:]][row["slot"]] += row["count"]
        seconds[key[2:]] += row["total_ms"] / 1000

    calls_family = CounterMetricFamily(
        f"{PREFIX}api_calls",
        "Requests sent to providers (each retry counts), by status class.",
        labels=[*CALL_LABELS, "status"],
    )
    for labels, count in sorted(calls.items()):
        calls_family.add_metric(labels, count)
    errors_family = CounterMetricFamily(
        f"{PREFIX}api_call_errors",
        "Requests sent to providers that failed, by error kind.",
        labels=[*CALL_LABELS, "kind"],
    )
    for labels, count in sorted(errors.items()):
        errors_family.add_metric(labels, count)
    latency = HistogramMetricFamily(
        f"{PREFIX}api_call_latency_seconds",
        "How long requests to providers took, answered or not.",
        labels=["provider", "method", "endpoint"],
    )
    for labels, counts in sorted(buckets.items()):
        running, cumulative = 0, []
        for le, count in zip(LE, counts, strict=True):
            running += count
            cumulative.append((le, running))
        latency.add_metric(labels, cumulative, sum_value=seconds[labels])
    return [calls_family, errors_family, latency]


def pending_changes() -> list[Metric]:
    """The change queue of each flow: changes waiting to be applied, and dead letters."""
    counts = {
        status: Count("pending_changes", filter=Q(pending_changes__status=status))
        for status in QUEUE_STATUSES
    }
    family = GaugeMetricFamily(
        f"{PREFIX}pending_changes",
        "Changes of each flow waiting to be applied (pending) or given up on (dead).",
        labels=["workspace", "flow", "status"],
    )
    for row in Flow.objects.values("workspace_id", "pk").annotate(**counts).order_by("pk"):
        for status in QUEUE_STATUSES:
            family.add_metric([_id(row["workspace_id"]), _id(row["pk"]), status], row[status])
    return [family]


def runs_in_flight() -> list[Metric]:
    """Runs of each flow that are queued, running or waiting for rate budget."""
    counts = {status: Count("runs", filter=Q(runs__status=status)) for status in RUN_IN_FLIGHT}
    family = GaugeMetricFamily(
        f"{PREFIX}runs_in_flight",
        "Runs of each flow that are queued, running or waiting for rate budget.",
        labels=["workspace", "flow", "status"],
    )
    for row in Flow.objects.values("workspace_id", "pk").annotate(**counts).order_by("pk"):
        for status in RUN_IN_FLIGHT:
            family.add_metric([_id(row["workspace_id"]), _id(row["pk"]), status], row[status])
    return [family]


def _newest_headers_with(header: str) -> Subquery:
    """The rate-limit headers of a connection's newest call that carried `header`."""
    spellings = sorted({header, header.lower(), header.title()})  # X-Ratelimit-… too
    newest = ApiCall.objects.filter(
        connection_id=OuterRef("pk"), rate_limit__has_any_keys=spellings
    ).order_by("-at", "-pk")  # the (connection, -at) index
    return Subquery(newest.values("rate_limit")[:1])


def _number(headers: dict, *names: str | None) -> float | None:
    for name in filter(None, names):
        try:
            return float(headers[name.lower()])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def rate_budgets() -> list[Metric]:
    """What each connection's provider said was left of its rate limits, and the limits,
    from the newest call that reported each window."""
    newest = {window: _newest_headers_with(names[0]) for window, names in RATE_HEADERS.items()}
    remaining = GaugeMetricFamily(
        f"{PREFIX}rate_budget_remaining",
        "Requests left in the provider's rate-limit window, as of the connection's newest call.",
        labels=["connection", "provider", "window"],
    )
    limit = GaugeMetricFamily(
        f"{PREFIX}rate_budget_limit",
        "The provider's rate limit for the window, as of the connection's newest call.",
        labels=["connection", "provider", "window"],
    )
    rows = Connection.objects.finished().annotate(**newest).order_by("pk")
    for row in rows.values("pk", "provider", *RATE_HEADERS):
        for window, (left_name, *limit_names) in RATE_HEADERS.items():
            if not isinstance(row[window], dict):
                continue
            headers = {str(k).lower(): v for k, v in row[window].items()}
            labels = [_id(row["pk"]), row["provider"], window]
            if (left := _number(headers, left_name)) is not None:
                remaining.add_metric(labels, left)
            if (most := _number(headers, *limit_names)) is not None:
                limit.add_metric(labels, most)
    return [remaining, limit]


def connections() -> list[Metric]:
    """Connections per workspace, provider and status (0 for the statuses nobody is in)."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    rows = (
        Connection.objects.finished()
        .values("workspace_id", "provider", "status")
        .annotate(n=Count("pk"))
    )
    for row in rows.order_by():
        key = (_id(row["workspace_id"]), row["provider"])
        counts.setdefault(key, dict.fromkeys(Connection.Status.values, 0))[row["status"]] = row["n"]
    family = GaugeMetricFamily(
        f"{PREFIX}connections",
        "Connections by provider and status.",
        labels=["workspace", "provider", "status"],
    )
    for (workspace, provider), by_status in sorted(counts.items()):
        for status, count in by_status.items():
            family.add_metric([workspace, provider, status], count)
    return [family]


class DatabaseCollector:
    """Every family above, read when scraped. No `describe()`: registering must not query."""

    def collect(self) -> Iterator[Metric]:
        yield from sync_records()
        yield from api_calls()
        yield from pending_changes()
        yield from runs_in_flight()
        yield from rate_budgets()
        yield from connections()


registry = CollectorRegistry(auto_describe=False)
registry.register(DatabaseCollector())


def metrics_text() -> bytes:
    """The text exposition format of every family (prometheus_client's CONTENT_TYPE_LATEST)."""
    return generate_latest(registry)
