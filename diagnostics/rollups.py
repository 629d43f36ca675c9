"""Hourly rollups of the raw API call rows, and the pruning of raw rows once rolled up.

An ApiCallHour row holds one hour of one endpoint of one connection: calls, errors by kind,
statuses, the latency total and a histogram (diagnostics.latency buckets), so the dashboards
keep percentiles after the raw rows are gone. An hour is rolled up once it is over, and
again on the next runs while it is within LOOKBACK of the latest rolled-up hour, for calls
the recorder wrote late: each run recomputes those hours from their raw rows and replaces
their rollups, so running it twice changes nothing.
"""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import BigIntegerField, Count, Max, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncHour
from django.utils import timezone

from diagnostics.latency import LATENCY_BUCKETS_MS
from diagnostics.models import ApiCall, ApiCallHour

HOUR = timedelta(hours=1)
# Hours before the latest rolled-up one that are rolled up again, for late rows (the
# recorder writes within seconds; longer only while the database was unreachable).
LOOKBACK = timedelta(hours=2)
WINDOW = timedelta(hours=24)  # hours aggregated per query and written per transaction
PRUNE_CHUNK = 10_000  # raw rows per DELETE, so a huge table is never locked for long

_KEY = ("hour", "workspace_id", "ref", "method", "endpoint")


def hour_of(moment: datetime) -> datetime:
    """The start of `moment`'s hour, in UTC."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def api_calls_roll_up(*, now: datetime | None = None) -> int:
    """Roll up every complete hour since the last rolled-up one (less LOOKBACK); returns how
    many ApiCallHour rows were written."""
    end = hour_of(now or timezone.now())  # the current hour is not over: not rolled up
    latest = ApiCallHour.objects.aggregate(latest=Max("hour"))["latest"]
    if latest is not None:
        start = latest - LOOKBACK
    else:
        first = ApiCall.objects.aggregate(first=Min("at"))["first"]
        if first is None:
            return 0
        start = hour_of(first)
    written = 0
    while start < end:
        stop = min(start + WINDOW, end)
        written += _roll_up_window(start, stop)
        start = stop
    return written


def _roll_up_window(start: datetime, stop: datetime) -> int:
    groups = _aggregate(start, stop)
    if not groups:
        return 0
    rows = [
        ApiCallHour(
            hour=hour,
            workspace_id=workspace_id,
            connection_ref=ref,
            connection_id=ref or None,  # raw rows lose a deleted connection (SET_NULL)
            method=method,
            endpoint=endpoint,
            **totals,
        )
        for (hour, workspace_id, ref, method, endpoint), totals in groups.items()
    ]
    hours = {key[0] for key in groups}
    with transaction.atomic():
        # Replaced, not only updated: an hour recomputed after a connection was deleted
        # counts its calls under connection_ref 0, and must not keep them under the old id.
        ApiCallHour.objects.filter(hour__in=hours).delete()
        ApiCallHour.objects.bulk_create(
            rows,
            update_conflicts=True,  # a concurrent run wrote the same rows: same values
            unique_fields=["hour", "workspace", "connection_ref", "method", "endpoint"],
            update_fields=[
                "connection",
                "provider",
                "calls",
                "errors",
                "statuses",
                "latency_total_ms",
                "latency_buckets",
            ],
        )
    return len(rows)


def _aggregate(start: datetime, stop: datetime) -> dict[tuple, dict]:
    """The totals of each (hour, workspace, connection ref, method, endpoint) between `start`
    and `stop`, added up in SQL by (key, status, error kind): the histogram as one count of
    calls at or under each bucket bound, whose differences are the buckets."""
    at_most = {
        f"le_{i}": Count("pk", filter=Q(latency_ms__lte=bound))
        for i, bound in enumerate(LATENCY_BUCKETS_MS)
    }
    parts = (
        ApiCall.objects.filter(at__gte=start, at__lt=stop, workspace__isnull=False)
        .annotate(
            hour=TruncHour("at", tzinfo=UTC),
            ref=Coalesce("connection_id", 0, output_field=BigIntegerField()),
        )
        .values(*_KEY, "status", "error_kind")
        .annotate(
            n=Count("pk"), latency=Sum("latency_ms"), provider_name=Max("provider"), **at_most
        )
        .order_by()
    )
    groups: dict[tuple, dict] = {}
    for part in parts:
        key = tuple(part[name] for name in _KEY)
        totals = groups.setdefault(
            key,
            {
                "provider": "",
                "calls": 0,
                "errors": {},
                "statuses": {},
                "latency_total_ms": 0.0,
                "latency_buckets": [0] * (len(LATENCY_BUCKETS_MS) + 1),
            },
        )
        n = part["n"]
        totals["provider"] = max(totals["provider"], part["provider_name"])
        totals["calls"] += n
        totals["latency_total_ms"] += part["latency"] or 0.0
        if part["error_kind"]:
            errors = totals["errors"]
            errors[part["error_kind"]] = errors.get(part["error_kind"], 0) + n
        status = "none" if part["status"] is None else str(part["status"])
        totals["statuses"][status] = totals["statuses"].get(status, 0) + n
        below = 0
        buckets = totals["latency_buckets"]
        for i in range(len(LATENCY_BUCKETS_MS)):
            cumulative = part[f"le_{i}"]
            buckets[i] += cumulative - below
            below = cumulative
        buckets[-1] += n - below
    for totals in groups.values():
        totals["latency_total_ms"] = round(totals["latency_total_ms"], 3)
    return groups


def api_calls_prune(*, now: datetime | None = None) -> int:
    """Delete raw ApiCall rows older than DIAGNOSTICS_API_CALL_RETENTION_DAYS, once their hours
    are rolled up (this rolls up first), in chunks of PRUNE_CHUNK; returns how many went.
    Rollups are kept."""
    now = now or timezone.now()
    api_calls_roll_up(now=now)
    days = getattr(settings, "DIAGNOSTICS_API_CALL_RETENTION_DAYS", 14)
    # Whole hours, all before the current one: every such hour is rolled up by now.
    cutoff = hour_of(now - timedelta(days=max(days, 0)))
    old = ApiCall.objects.filter(at__lt=cutoff).order_by()
    deleted = 0
    while True:
        ids = list(old.values_list("pk", flat=True)[:PRUNE_CHUNK])
        if not ids:
            return deleted
        deleted += ApiCall.objects.filter(pk__in=ids).delete()[0]
