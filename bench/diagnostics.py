"""Diagnostics pages against a big history: server time and queries per page.

    .venv/bin/python bench/diagnostics.py [--calls 1000000] [--flows 20] [--repeat 5]
                                          [--full] [--database-url URL] [--out FILE]

Seeds a throwaway database (SQLite by default; `--database-url postgres://...` for the scale
path) with one workspace, `--flows` flows with their runs, pending changes and dead letters,
`--calls` API call rows spread over the last 14 days (the retention) and the hourly rollups
of every complete hour before the last two, as the beats leave them. Then requests every
Diagnostics page as the owner through Django's test client, `--repeat` times each, and prints
the median server time and the number of queries beside the targets: under 150 ms, and the
same number of queries with one flow as with all of them.

On SQLite the API call rows are made by the database itself, one INSERT ... SELECT over a
recursive sequence (~10 s for 1,000,000; model instances took ~90 s); elsewhere from Python
tuples, 10,000 a statement. The default is the issue's size, 1,000,000 rows: about 35 s on
2 cores (the rows ~10 s, the rollups ~13 s, the pages the rest); `--calls 200000` is a
quicker look, `--full` the same size. Writes bench/results/diagnostics.json; exits 0
whether or not the targets are met.
"""

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

TARGET_MS = 150
PAGES = (
    ("overview", "diagnostics:dashboard", ""),
    ("latency 1h", "diagnostics:performance", "window=1h"),
    ("latency 24h", "diagnostics:performance", "window=24h"),
    ("latency 7d", "diagnostics:performance", "window=7d"),
    ("runs", "diagnostics:runs", ""),
    ("runs failed", "diagnostics:runs", "status=failed"),
    ("calls", "diagnostics:calls", ""),
    ("calls errors", "diagnostics:calls", "outcome=errors"),
    ("inbox", "diagnostics:inbox", ""),
)
ENDPOINTS = (
    ("highlevel", "POST", "/contacts/upsert"),
    ("highlevel", "GET", "/contacts/{id}"),
    ("highlevel", "POST", "/contacts/{id}/notes"),
    ("highlevel", "POST", "/contacts/search"),
    ("highlevel", "POST", "/contacts/bulk/tags/update/{id}"),
    ("ecwid", "GET", "/api/v3/{id}/customers"),
    ("ecwid", "GET", "/api/v3/{id}/customers/{id}"),
)


def seed(calls: int, flow_count: int, now: datetime, say) -> tuple:
    from accounts.models import User
    from accounts.services import workspace_create
    from diagnostics.models import ApiCallHour
    from diagnostics.rollups import api_calls_roll_up
    from integrations.models import Connection
    from mappings.models import Mapping
    from sync.models import Flow, PendingChange, Run

    rng = random.Random(7)  # noqa: S311 - bench data
    user = User.objects.create_user(email="bench@example.com", password="bench-password-1")
    workspace = workspace_create(name="Bench", owner=user)
    hl = Connection.objects.create(
        workspace=workspace, provider="highlevel", name="HighLevel", status="connected"
    )
    store = Connection.objects.create(
        workspace=workspace, provider="ecwid", name="Ecwid", status="connected"
    )
    mapping = Mapping.objects.create(
        workspace=workspace, name="Ecwid to HighLevel", source_provider="ecwid",
        target_provider="highlevel", spec={"rules": []},
    )  # fmt: skip
    flows = [
        Flow.objects.create(
            workspace=workspace,
            name=f"Flow {n}",
            source_connection=store,
            target_connection=hl,
            mapping=mapping,
            mode="live",
        )
        for n in range(flow_count)
    ]
    runs = []
    for flow in flows:
        for day in range(30):
            at = now - timedelta(days=day, hours=rng.randint(0, 23))
            status = rng.choice(["succeeded"] * 8 + ["partial", "failed"])
            runs.append(
                Run(flow=flow, trigger="poll", status=status, in_flight=False, processed=200,
                    created=50, updated=100, unchanged=45, failed=5 if status != "succeeded" else 0,
                    api_calls=160, started_at=at, finished_at=at + timedelta(minutes=3))
            )  # fmt: skip
    Run.objects.bulk_create(runs, batch_size=2_000)
    Run.objects.filter(flow__in=flows).update(queued_at=started_at())
    changes = [
        PendingChange(flow=flow, source_id=str(n), status="dead" if n % 5 == 0 else "pending")
        for flow in flows
        for n in range(25)
    ]
    PendingChange.objects.bulk_create(changes, batch_size=2_000)

    say(f"seeding {calls:,} API calls over 14 days")
    from django.db import connection

    seed_calls = _seed_calls_sqlite if connection.vendor == "sqlite" else _seed_calls
    seed_calls(calls, workspace, {"highlevel": hl, "ecwid": store}, now, rng)
    say("rolling up every complete hour")
    api_calls_roll_up(now=now)
    return user, workspace, ApiCallHour.objects.count()


HEADERS = {
    "highlevel": {
        "X-RateLimit-Max": "100",
        "X-RateLimit-Remaining": "90",
        "X-RateLimit-Limit-Daily": "200000",
        "X-RateLimit-Daily-Remaining": "150000",
    },
    "ecwid": {},
}
KINDS = {429: "rate_limited", 500: "server", 422: "validation"}
# ApiCall rows made by SQLite itself: row i of `calls` is at now - 14 days * i / calls, its
# endpoint ENDPOINTS[i % 7]; three uniform numbers from Weyl sequences of i (reproducible,
# evenly spread) give a lognormal(3.5, 0.8) latency (u1, u2) and 1 % each of 429, 500, 422 (u3).
SQLITE_CALLS = """
INSERT INTO diagnostics_apicall (at, workspace_id, connection_id, provider, method, endpoint,
    status, error_kind, latency_ms, attempt, request_id, rate_limit, request_body, response_body)
WITH RECURSIVE
  n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :last),
  r AS (SELECT i,
      ((i * 1103515245 + 12345) % 2147483648 + 0.5) / 2147483648.0 AS u1,
      ((i * 22695477 + 1) % 2147483648 + 0.5) / 2147483648.0 AS u2,
      ((i * 134775813 + 7) % 2147483648 + 0.5) / 2147483648.0 AS u3
    FROM n)
SELECT strftime('%Y-%m-%d %H:%M:%f', :now - :span * r.i / :calls, 'unixepoch') || '000',
    :workspace, e.connection_id, e.provider, e.method, e.endpoint,
    CASE WHEN u3 >= 0.03 THEN 200 WHEN u3 < 0.01 THEN 429 WHEN u3 < 0.02 THEN 500 ELSE 422 END,
    CASE WHEN u3 >= 0.03 THEN '' WHEN u3 < 0.01 THEN 'rate_limited' WHEN u3 < 0.02 THEN 'server'
         ELSE 'validation' END,
    exp(3.5 + 0.8 * sqrt(-2 * ln(u1)) * cos(2 * pi() * u2)),
    1, '', e.rate_limit, '', ''
FROM r JOIN ({endpoints}) AS e ON e.k = r.i % {count}
"""


def _seed_calls_sqlite(calls: int, workspace, connections: dict, now: datetime, rng) -> None:
    """`calls` ApiCall rows, newest first over 14 days, 3 % failed, made by one INSERT ...
    SELECT over a recursive sequence: ~5 s for 1,000,000 (model instances: ~90 s)."""
    import json

    from django.db import connection

    rows, params = [], {}
    for k, (provider, method, endpoint) in enumerate(ENDPOINTS):
        rows.append(
            f"SELECT {k} AS k, :p{k} AS provider, :m{k} AS method, :e{k} AS endpoint, "
            f":c{k} AS connection_id, :h{k} AS rate_limit"
        )
        params.update(
            {
                f"p{k}": provider,
                f"m{k}": method,
                f"e{k}": endpoint,
                f"c{k}": connections[provider].pk,
                f"h{k}": json.dumps(HEADERS[provider]),
            }
        )
    sql = SQLITE_CALLS.format(endpoints=" UNION ALL ".join(rows), count=len(ENDPOINTS))
    params.update(
        last=calls - 1,
        now=now.timestamp(),
        span=14 * 24 * 3600,
        calls=calls,
        workspace=workspace.pk,
    )
    connection.ensure_connection()
    with connection.connection:  # the sqlite3 connection: one transaction, its own placeholders
        connection.connection.execute(sql, params)


def _seed_calls(calls: int, workspace, connections: dict, now: datetime, rng) -> None:
    """The same rows for other databases, from Python: one INSERT of 10,000 rows at a time
    from plain tuples (model instances cost ~80 µs a row; this ~10)."""
    from django.db import connection, transaction

    from diagnostics.models import ApiCall

    fields = [f for f in ApiCall._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(ApiCall._meta.db_table)} ({columns}) "  # noqa: S608 - names from the model
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    rate_limit = ApiCall._meta.get_field("rate_limit")
    headers = {p: rate_limit.get_db_prep_save(h, connection) for p, h in HEADERS.items()}
    kinds = KINDS
    adapt = connection.ops.adapt_datetimefield_value
    span = 14 * 24 * 3600
    batch = []
    with transaction.atomic(), connection.cursor() as cursor:
        for n in range(calls):
            provider, method, endpoint = ENDPOINTS[n % len(ENDPOINTS)]
            status = rng.choice((429, 500, 422)) if rng.random() < 0.03 else 200
            row = {
                "at": adapt(now - timedelta(seconds=span * (n / calls))),
                "workspace": workspace.pk,
                "connection": connections[provider].pk,
                "provider": provider,
                "method": method,
                "endpoint": endpoint,
                "status": status,
                "error_kind": kinds.get(status, ""),
                "latency_ms": rng.lognormvariate(3.5, 0.8),
                "attempt": 1,
                "request_id": "",
                "rate_limit": headers[provider],
                "request_body": "",
                "response_body": "",
            }
            batch.append(tuple(row[f.name] for f in fields))
            if len(batch) == 10_000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def started_at():
    from django.db.models import F

    return F("started_at")


def measure(client, workspace, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    figures = {}
    for label, name, query in PAGES:
        url = reverse(name, args=[workspace.pk]) + (f"?{query}" if query else "")
        client.get(url)  # warm: templates compiled, session stored
        times, queries = [], 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
            queries = len(captured)
        figures[label] = {"ms": round(statistics.median(times), 1), "queries": queries}
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--flows", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="the issue's size (the default)")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--target-ms", type=float, default=TARGET_MS, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=str(common.RESULTS / "diagnostics.json"))
    options = parser.parse_args()
    started = time.perf_counter()
    say = common.progress()
    if options.full:
        options.calls = max(options.calls, 1_000_000)

    common.environment(
        None,
        ALLOWED_HOSTS="testserver",
        DIAGNOSTICS_RECORD_CALLS="false",
        **({"DATABASE_URL": options.database_url} if options.database_url else {}),
    )
    common.django_ready()
    from django.test import Client

    now = datetime.now(UTC)
    user, workspace, rollups = seed(options.calls, options.flows, now, say)
    client = Client()
    client.force_login(user)
    say("measuring")
    figures = measure(client, workspace, options.repeat)

    from sync.models import Flow

    keep = Flow.objects.filter(workspace=workspace).order_by("pk").first()
    Flow.objects.filter(workspace=workspace).exclude(pk=keep.pk).delete()
    one_flow = measure(client, workspace, 1)

    checks, pages = {}, {}
    target = options.target_ms
    for label, _, _ in PAGES:
        page = figures[label]
        pages[label] = {**page, "queries_with_one_flow": one_flow[label]["queries"]}
        name = label.replace(" ", "_")
        checks[f"{name}_ms"] = common.check(page["ms"], f"< {target:g}", page["ms"] < target)
    grown = [label for label in pages if pages[label]["queries"] != one_flow[label]["queries"]]
    checks["pages_whose_queries_grow_with_flows"] = common.at_most(len(grown), 0)
    from diagnostics.models import ApiCall

    vendor = "postgresql" if options.database_url.startswith("postgres") else "sqlite"
    width = max(len(label) for label, _, _ in PAGES)
    print(f"{'page':<{width}} {'ms':>8} {'queries':>8} {'1 flow':>7}")
    for label, page in pages.items():
        print(
            f"{label:<{width}} {page['ms']:>8} {page['queries']:>8} "
            f"{page['queries_with_one_flow']:>7}"
        )
    print(f"\n{options.calls:,} API calls, {rollups:,} rollups, {options.flows} flows, {vendor}")
    common.print_checks("Diagnostics pages", checks)
    details = {
        "pages": pages,
        "pages_whose_queries_grow": grown,
        "calls": options.calls,
        "api_call_rows": ApiCall.objects.count(),
        "rollups": rollups,
        "flows": options.flows,
        "database": vendor,
        "bench_seconds": round(time.perf_counter() - started, 1),
    }
    common.write_results("diagnostics", checks, details, Path(options.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
