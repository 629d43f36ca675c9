"""The Prometheus endpoint: each family's values on known rows, counters that hold still
while rolled-up raw rows are pruned, a fixed number of queries, and the bearer token."""

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import prometheus_client
import pytest
from django.db import connection as db_connection
from django.http import Http404
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from diagnostics import rollups
from diagnostics.latency import LATENCY_BUCKETS_MS, bucket_index
from diagnostics.metrics import metrics_text
from diagnostics.metrics_views import metrics
from diagnostics.models import ApiCall, ApiCallHour
from integrations.calls import error_kind_of_status
from sync.models import PendingChange
from tests.factories import ConnectionFactory, FlowFactory, RunFactory, WorkspaceFactory

HOUR = datetime(2026, 3, 2, 10, tzinfo=UTC)
TOKEN = "s3cret-metrics-token"
# One per family: the aggregate behind each, plus the newest rolled-up hour and the raw calls.
QUERIES = 8


def _samples() -> list:
    text = metrics_text().decode()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def _series(samples, name: str) -> dict[frozenset, float]:
    return {frozenset(s.labels.items()): s.value for s in samples if s.name == name}


def _value(samples, name: str, **labels) -> float | None:
    wanted = {k: str(v) for k, v in labels.items()}
    found = [s.value for s in samples if s.name == name and s.labels == wanted]
    assert len(found) <= 1, (name, labels)
    return found[0] if found else None


def _call(conn, at, status=200, latency_ms=10.0, endpoint="/contacts/{id}", **extra) -> ApiCall:
    values = {"method": "GET", "error_kind": error_kind_of_status(status), **extra}
    return ApiCall.objects.create(
        at=at,
        workspace_id=conn.workspace_id,
        connection=conn,
        provider=conn.provider,
        endpoint=endpoint,
        status=status,
        latency_ms=latency_ms,
        **values,
    )


def _roll_up(hour: datetime) -> None:
    """What the rollup job does with one complete hour of raw calls."""
    groups = defaultdict(list)
    for call in ApiCall.objects.filter(at__gte=hour, at__lt=hour + timedelta(hours=1)):
        key = (call.workspace_id, call.connection_id or 0, call.provider, call.method)
        groups[(*key, call.endpoint)].append(call)
    for (workspace_id, ref, provider, method, endpoint), calls in groups.items():
        buckets = [0] * (len(LATENCY_BUCKETS_MS) + 1)
        for call in calls:
            buckets[bucket_index(call.latency_ms)] += 1
        ApiCallHour.objects.create(
            hour=hour,
            workspace_id=workspace_id,
            connection_ref=ref,
            connection_id=ref or None,
            provider=provider,
            method=method,
            endpoint=endpoint,
            calls=len(calls),
            errors=Counter(c.error_kind for c in calls if c.error_kind),
            statuses=Counter("none" if c.status is None else str(c.status) for c in calls),
            latency_total_ms=sum(c.latency_ms for c in calls),
            latency_buckets=buckets,
        )


def _api_series(samples) -> dict:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for s in samples
        if s.name.startswith("contactbridge_api_")
    }


# --- the families ---------------------------------------------------------------------------
def test_sync_records_total_sums_the_counters_of_real_runs_per_flow(workspace):
    flow, idle = FlowFactory(workspace=workspace), FlowFactory(workspace=workspace)
    RunFactory(flow=flow, dry_run=False, created=2, updated=5, unchanged=7, failed=1)
    RunFactory(flow=flow, dry_run=False, created=3, skipped=4, deleted=6)
    RunFactory(flow=flow, dry_run=True, created=100, updated=100)  # wrote nothing

    samples = _samples()
    expected = {"created": 5, "updated": 5, "unchanged": 7, "skipped": 4, "deleted": 6}
    expected["failed"] = 1
    name = "contactbridge_sync_records_total"
    for outcome, count in expected.items():
        assert _value(samples, name, workspace=workspace.pk, flow=flow.pk, outcome=outcome) == count
        assert _value(samples, name, workspace=workspace.pk, flow=idle.pk, outcome=outcome) == 0


def _calls_of_one_endpoint(conn) -> None:
    """Hour HOUR rolled up (8 calls), 3 raw calls of that hour not pruned yet, 5 raw calls
    after it."""
    ApiCallHour.objects.create(
        hour=HOUR,
        workspace_id=conn.workspace_id,
        connection_ref=conn.pk,
        connection=conn,
        provider=conn.provider,
        method="GET",
        endpoint="/contacts/{id}",
        calls=8,
        errors={"not_found": 2, "network": 1},
        statuses={"200": 5, "404": 2, "none": 1},
        latency_total_ms=5 * 10 + 2 * 100 + 130_000,
        # 5 in the 10 ms bucket (index 5), 2 in the 100 ms one (11), 1 over 120 s.
        latency_buckets=[0] * 5 + [5] + [0] * 5 + [2] + [0] * 16 + [1],
    )
    for minute in (1, 2, 3):  # rolled up above: already counted
        _call(conn, HOUR + timedelta(minutes=minute), latency_ms=1.0)
    later = HOUR + timedelta(hours=1, minutes=10)
    _call(conn, later, latency_ms=4.0)
    _call(conn, later, latency_ms=10.0)  # exactly on a bound: in that bucket
    _call(conn, later, latency_ms=40.0)
    _call(conn, later, status=503, latency_ms=2_500.0)
    _call(conn, later, status=None, latency_ms=200_000.0)


def test_api_calls_total_adds_the_raw_calls_after_the_last_rolled_up_hour(workspace):
    conn = ConnectionFactory(workspace=workspace, provider="highlevel")
    _calls_of_one_endpoint(conn)

    samples = _samples()
    labels = {"workspace": workspace.pk, "connection": conn.pk, "provider": "highlevel"}
    labels |= {"method": "GET", "endpoint": "/contacts/{id}"}
    counts = {"2xx": 5 + 3, "4xx": 2, "5xx": 1, "none": 1 + 1}
    for status, count in counts.items():
        assert _value(samples, "contactbridge_api_calls_total", **labels, status=status) == count
    assert len(_series(samples, "contactbridge_api_calls_total")) == len(counts)

    errors = {"not_found": 2, "network": 1 + 1, "server": 1}
    for kind, count in errors.items():
        assert _value(samples, "contactbridge_api_call_errors_total", **labels, kind=kind) == count
    assert len(_series(samples, "contactbridge_api_call_errors_total")) == len(errors)


def test_latency_histogram_is_cumulative_in_seconds_and_ends_at_its_count(workspace):
    conn = ConnectionFactory(workspace=workspace, provider="highlevel")
    _calls_of_one_endpoint(conn)

    samples = _samples()
    labels = {"provider": "highlevel", "method": "GET", "endpoint": "/contacts/{id}"}
    name = "contactbridge_api_call_latency_seconds"
    buckets = [
        (s.labels["le"], s.value)
        for s in samples
        if s.name == f"{name}_bucket" and {k: v for k, v in s.labels.items() if k != "le"} == labels
    ]
    assert [le for le, _ in buckets] == [str(b / 1000) for b in LATENCY_BUCKETS_MS] + ["+Inf"]
    values = [value for _, value in buckets]
    assert values == sorted(values)  # cumulative
    by_le = dict(buckets)
    assert by_le["0.001"] == 0
    assert by_le["0.005"] == 1  # 4 ms
    assert by_le["0.01"] == 1 + 1 + 5  # 4 ms, 10 ms and the rollup's five
    assert by_le["0.05"] == 8  # 40 ms
    assert by_le["0.1"] == 10  # the rollup's two at 100 ms
    assert by_le["3.0"] == 11  # 2.5 s
    assert by_le["120.0"] == 11
    assert by_le["+Inf"] == 13 == _value(samples, f"{name}_count", **labels)
    expected_ms = 130_250 + 4 + 10 + 40 + 2_500 + 200_000
    assert _value(samples, f"{name}_sum", **labels) == pytest.approx(expected_ms / 1000)


def test_api_counters_hold_still_when_an_hour_is_rolled_up_and_its_raw_calls_pruned(workspace):
    conn = ConnectionFactory(workspace=workspace)
    for minute, status, latency in ((5, 200, 3.0), (20, 429, 80.0), (40, None, 9_000.0)):
        _call(conn, HOUR - timedelta(hours=1) + timedelta(minutes=minute), status, latency)
        _call(conn, HOUR + timedelta(minutes=minute), status, latency * 2)
        _call(conn, HOUR + timedelta(hours=1, minutes=minute), status, latency / 2)
    _roll_up(HOUR - timedelta(hours=1))
    ApiCall.objects.filter(at__lt=HOUR).delete()

    before = _api_series(_samples())
    calls = sum(v for (n, _), v in before.items() if n == "contactbridge_api_calls_total")
    assert calls == 9
    _roll_up(HOUR)
    assert _api_series(_samples()) == pytest.approx(before)  # the hour's raw rows still exist
    assert ApiCall.objects.filter(at__gte=HOUR, at__lt=HOUR + timedelta(hours=1)).delete()[0] == 3
    assert _api_series(_samples()) == pytest.approx(before)


def test_api_counters_hold_still_through_the_real_rollup_and_prune_jobs(workspace, settings):
    settings.DIAGNOSTICS_API_CALL_RETENTION_DAYS = 0  # prune every complete hour
    conn = ConnectionFactory(workspace=workspace)
    for hours in (-1, 0, 1, 2):  # HOUR + 2 h is the current hour below: not rolled up
        at = HOUR + timedelta(hours=hours, minutes=5)
        _call(conn, at, latency_ms=12.0)
        _call(conn, at, status=404, latency_ms=700.0, endpoint="/orders/{id}")
        _call(conn, at, status=None, latency_ms=30_000.0)
    # A call of no workspace is never rolled up, so it is not counted either.
    ApiCall.objects.create(
        at=HOUR, provider="ecwid", method="GET", endpoint="/x", status=200, latency_ms=1.0
    )

    before = _api_series(_samples())
    calls = sum(v for (n, _), v in before.items() if n == "contactbridge_api_calls_total")
    assert calls == 12
    rollups.api_calls_prune(now=HOUR + timedelta(hours=2, minutes=30))
    assert ApiCall.objects.count() == 3 and ApiCallHour.objects.exists()
    assert _api_series(_samples()) == pytest.approx(before)


def test_pending_changes_counts_waiting_and_dead_changes_per_flow(workspace):
    flow, quiet = FlowFactory(workspace=workspace), FlowFactory(workspace=workspace)
    for source_id, status in (("1", "pending"), ("2", "pending"), ("3", "dead"), ("4", "done")):
        PendingChange.objects.create(flow=flow, source_id=source_id, status=status)
    PendingChange.objects.create(flow=flow, source_id="1", status="done")

    samples = _samples()
    name = "contactbridge_pending_changes"
    assert _value(samples, name, workspace=workspace.pk, flow=flow.pk, status="pending") == 2
    assert _value(samples, name, workspace=workspace.pk, flow=flow.pk, status="dead") == 1
    assert _value(samples, name, workspace=workspace.pk, flow=quiet.pk, status="pending") == 0
    assert _value(samples, name, workspace=workspace.pk, flow=flow.pk, status="done") is None


def test_runs_in_flight_counts_queued_running_and_waiting_runs(workspace):
    flow = FlowFactory(workspace=workspace)
    RunFactory(flow=flow, status="running", in_flight=True)
    RunFactory(flow=flow, status="queued")
    RunFactory(flow=flow, status="queued")
    RunFactory(flow=flow, status="succeeded")
    RunFactory(flow=flow, status="failed")

    samples = _samples()
    name = "contactbridge_runs_in_flight"
    series = _series(samples, name)
    assert len(series) == 3
    assert _value(samples, name, workspace=workspace.pk, flow=flow.pk, status="queued") == 2
    assert _value(samples, name, workspace=workspace.pk, flow=flow.pk, status="running") == 1
    assert _value(samples, name, workspace=workspace.pk, flow=flow.pk, status="waiting") == 0


def test_rate_budget_comes_from_the_newest_call_that_reported_each_window(workspace):
    highlevel = ConnectionFactory(workspace=workspace, provider="highlevel")
    cin7 = ConnectionFactory(workspace=workspace, provider="cin7")
    silent = ConnectionFactory(workspace=workspace)
    both = {"X-RateLimit-Remaining": "90", "X-RateLimit-Max": "100"}
    both |= {"X-RateLimit-Daily-Remaining": "190000", "X-RateLimit-Limit-Daily": "200000"}
    _call(highlevel, HOUR, rate_limit=both)
    burst = {"X-RateLimit-Remaining": "42", "X-RateLimit-Max": "100"}
    _call(highlevel, HOUR + timedelta(minutes=1), rate_limit=burst)
    _call(highlevel, HOUR + timedelta(minutes=2), rate_limit={})  # no answer, no headers
    # Written last but started earlier: not the newest.
    _call(highlevel, HOUR - timedelta(minutes=1), rate_limit={"X-RateLimit-Remaining": "1"})
    _call(cin7, HOUR, rate_limit={"x-ratelimit-remaining": "7", "x-ratelimit-limit": "60"})

    samples = _samples()
    remaining, limit = "contactbridge_rate_budget_remaining", "contactbridge_rate_budget_limit"
    hl = {"connection": highlevel.pk, "provider": "highlevel"}
    assert _value(samples, remaining, **hl, window="burst") == 42
    assert _value(samples, limit, **hl, window="burst") == 100
    assert _value(samples, remaining, **hl, window="daily") == 190_000
    assert _value(samples, limit, **hl, window="daily") == 200_000
    c7 = {"connection": cin7.pk, "provider": "cin7"}
    assert _value(samples, remaining, **c7, window="burst") == 7
    assert _value(samples, limit, **c7, window="burst") == 60
    assert _value(samples, remaining, **c7, window="daily") is None
    assert all(s.labels["connection"] != str(silent.pk) for s in samples if "rate" in s.name)
    assert len(_series(samples, remaining)) == 3


def test_connections_counts_by_provider_and_status(workspace):
    ConnectionFactory.create_batch(2, workspace=workspace, status="connected")
    ConnectionFactory(workspace=workspace, status="failing")
    ConnectionFactory(workspace=workspace, provider="highlevel")

    samples = _samples()
    name, ws = "contactbridge_connections", workspace.pk
    assert _value(samples, name, workspace=ws, provider="ecwid", status="connected") == 2
    assert _value(samples, name, workspace=ws, provider="ecwid", status="failing") == 1
    assert _value(samples, name, workspace=ws, provider="ecwid", status="new") == 0
    assert _value(samples, name, workspace=ws, provider="highlevel", status="new") == 1
    assert _value(samples, name, workspace=ws, provider="highlevel", status="disabled") == 0
    assert len(_series(samples, name)) == 2 * 5


def test_a_workspaces_numbers_carry_only_its_own_labels(workspace):
    other = WorkspaceFactory()
    ids = {}
    for ws, created in ((workspace, 3), (other, 7)):
        flow = FlowFactory(workspace=ws)
        RunFactory(flow=flow, dry_run=False, created=created)
        PendingChange.objects.create(flow=flow, source_id="1")
        _call(flow.source_connection, HOUR, status=500)
        conns = {str(flow.source_connection_id), str(flow.target_connection_id)}
        ids[str(ws.pk)] = ({str(flow.pk)}, conns)

    samples = _samples()
    labelled = [s for s in samples if "workspace" in s.labels]
    assert {s.labels["workspace"] for s in labelled} == set(ids)
    for s in labelled:
        flows, conns = ids[s.labels["workspace"]]
        assert s.labels.get("flow", next(iter(flows))) in flows, s
        assert s.labels.get("connection", next(iter(conns))) in conns, s
    name = "contactbridge_sync_records_total"
    created = {
        s.labels["workspace"]: s.value
        for s in samples
        if s.name == name and s.labels["outcome"] == "created"
    }
    assert created == {str(workspace.pk): 3, str(other.pk): 7}


def test_no_secret_email_or_name_reaches_the_output(workspace, owner):
    conn = ConnectionFactory(workspace=workspace, name="Zq7 Private Store")
    # Stored by something that did not make a template of it.
    _call(conn, HOUR, endpoint=f"/contacts/{owner.email}/notes")
    _call(conn, HOUR, endpoint="/customers/68487690")

    text = metrics_text().decode()
    assert 'endpoint="/contacts/{id}/notes"' in text
    assert 'endpoint="/customers/{id}"' in text
    for leak in ("secret_abc123XYZ", owner.email, "@", "68487690", "Zq7", workspace.name):
        assert leak not in text


def test_the_metrics_are_not_on_the_global_registry(workspace):
    FlowFactory(workspace=workspace)
    assert "contactbridge_" in metrics_text().decode()
    assert "contactbridge_" not in prometheus_client.generate_latest().decode()


# --- queries --------------------------------------------------------------------------------
def _busy_flow(workspace, n: int) -> None:
    flow = FlowFactory(workspace=workspace)
    RunFactory(flow=flow, dry_run=False, created=n)
    RunFactory(flow=flow, status="running", in_flight=True)
    PendingChange.objects.create(flow=flow, source_id=str(n))
    PendingChange.objects.create(flow=flow, source_id=f"d{n}", status="dead")
    headers = {"X-RateLimit-Remaining": "5", "X-RateLimit-Daily-Remaining": "9"}
    for conn in (flow.source_connection, flow.target_connection):
        _call(conn, HOUR + timedelta(minutes=n), endpoint=f"/e{n}", rate_limit=headers)
        _call(conn, HOUR + timedelta(hours=2), endpoint=f"/e{n}", status=404)


def _roll_up_again(hour: datetime) -> None:
    ApiCallHour.objects.filter(hour=hour).delete()
    _roll_up(hour)


def test_the_number_of_queries_does_not_grow_with_flows(workspace, django_assert_max_num_queries):
    _busy_flow(workspace, 0)
    _roll_up_again(HOUR)
    with django_assert_max_num_queries(QUERIES), CaptureQueriesContext(db_connection) as one:
        samples = _samples()
    assert len(_series(samples, "contactbridge_sync_records_total")) == 6

    for n in range(1, 20):
        _busy_flow(workspace, n)
    _roll_up_again(HOUR)
    with django_assert_max_num_queries(QUERIES), CaptureQueriesContext(db_connection) as twenty:
        samples = _samples()
    assert len(_series(samples, "contactbridge_sync_records_total")) == 6 * 20
    assert len(_series(samples, "contactbridge_rate_budget_remaining")) == 2 * 2 * 20
    assert len(twenty.captured_queries) == len(one.captured_queries)


# --- the view -------------------------------------------------------------------------------
def _get(token: str | None = None, method: str = "get", scheme: str = "Bearer"):
    headers = {} if token is None else {"Authorization": f"{scheme} {token}"}
    return metrics(getattr(RequestFactory(), method)("/metrics", headers=headers))


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_endpoint_does_not_exist_without_a_token(settings, db, method):
    settings.METRICS_TOKEN = ""
    with pytest.raises(Http404):
        _get(TOKEN, method)
    del settings.METRICS_TOKEN  # the default: not set at all
    with pytest.raises(Http404):
        _get(TOKEN, method)


@pytest.mark.parametrize(
    ("token", "scheme"),
    [
        (None, "Bearer"),
        ("", "Bearer"),
        ("wrong", "Bearer"),
        (TOKEN + "x", "Bearer"),
        (TOKEN[:-1], "Bearer"),
        (TOKEN, "Basic"),
        ("tökén-ünicode", "Bearer"),
    ],
)
def test_a_missing_or_wrong_token_is_refused(settings, workspace, token, scheme):
    settings.METRICS_TOKEN = TOKEN
    FlowFactory(workspace=workspace)
    response = _get(token, scheme=scheme)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"contactbridge" not in response.content


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_the_right_token_gets_the_metrics(settings, workspace, scheme):
    settings.METRICS_TOKEN = TOKEN
    flow = FlowFactory(workspace=workspace)
    response = _get(TOKEN, scheme=scheme)
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE_LATEST
    families = {f.name for f in text_string_to_metric_families(response.content.decode())}
    assert families == {
        "contactbridge_sync_records",
        "contactbridge_api_calls",
        "contactbridge_api_call_errors",
        "contactbridge_api_call_latency_seconds",
        "contactbridge_pending_changes",
        "contactbridge_runs_in_flight",
        "contactbridge_rate_budget_remaining",
        "contactbridge_rate_budget_limit",
        "contactbridge_connections",
    }
    assert f'flow="{flow.pk}"' in response.content.decode()


def test_only_get_is_allowed(settings, db):
    settings.METRICS_TOKEN = TOKEN
    response = _get(TOKEN, method="post")
    assert response.status_code == 405
    assert response["Allow"] == "GET"
