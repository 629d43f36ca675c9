"""Diagnostics pages against a big history: server time and queries per page.

    .venv/bin/python bench/diagnostics.py [--calls 1000000] [--flows 20] [--repeat 5]
                                          [--database-url URL] [--out FILE]

Seeds a throwaway database (SQLite by default; `--database-url postgres://...` for the scale
path) with one workspace, `--flows` flows with their runs, pending changes and dead letters,
`--calls` API call rows spread over the last 14 days (the retention) and the hourly rollups
of every complete hour before the last two, as the beats leave them. Then requests every
Diagnostics page as the owner through Django's test client, `--repeat` times each, and prints
the median server time and the number of queries beside the targets: under 150 ms, and the
same number of queries with one flow as with all of them. Exits 1 on a missed target.
Writes bench/results/diagnostics.json.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


def _environment(database_url: str) -> None:
    from cryptography.fernet import Fernet

    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="bench-" + Fernet.generate_key().decode(),
        CREDENTIALS_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL=database_url,
        DEBUG="false",
        LOG_LEVEL="WARNING",
        DOTENV_PATH="",
        ALLOWED_HOSTS="testserver",
        DIAGNOSTICS_RECORD_CALLS="false",
    )


def seed(calls: int, flow_count: int, now: datetime, say) -> tuple:
    import random

    from accounts.models import User
    from accounts.services import workspace_create
    from diagnostics.models import ApiCall, ApiCallHour
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
    span = 14 * 24 * 3600
    batch = []
    for n in range(calls):
        provider, method, endpoint = ENDPOINTS[n % len(ENDPOINTS)]
        failed = rng.random() < 0.03
        status = rng.choice([429, 500, 422]) if failed else 200
        batch.append(
            ApiCall(
                at=now - timedelta(seconds=span * (n / calls)),
                workspace=workspace,
                connection=hl if provider == "highlevel" else store,
                provider=provider,
                method=method,
                endpoint=endpoint,
                status=status,
                error_kind={429: "rate_limited", 500: "server", 422: "validation"}.get(status, ""),
                latency_ms=rng.lognormvariate(3.5, 0.8),
                rate_limit={
                    "X-RateLimit-Max": "100",
                    "X-RateLimit-Remaining": "90",
                    "X-RateLimit-Limit-Daily": "200000",
                    "X-RateLimit-Daily-Remaining": "150000",
                }
                if provider == "highlevel"
                else {},
            )
        )
        if len(batch) == 10_000:
            ApiCall.objects.bulk_create(batch)
            batch.clear()
    ApiCall.objects.bulk_create(batch)
    say("rolling up every complete hour")
    api_calls_roll_up(now=now)
    return user, workspace, ApiCallHour.objects.count()


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
    parser.add_argument("--database-url", default="")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "diagnostics.json"))
    options = parser.parse_args()
    started = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {text}", file=sys.stderr, flush=True)

    tmp = tempfile.mkdtemp(prefix="bench-diagnostics-")
    _environment(options.database_url or f"sqlite:///{tmp}/bench.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
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

    checks, width = {}, max(len(label) for label, _, _ in PAGES)
    print(f"{'page':<{width}} {'ms':>8} {'target':>7} {'queries':>8} {'1 flow':>7}  met")
    for label, _, _ in PAGES:
        page = figures[label]
        same = page["queries"] == one_flow[label]["queries"]
        met = page["ms"] < TARGET_MS and same
        checks[label] = {**page, "queries_with_one_flow": one_flow[label]["queries"], "met": met}
        print(
            f"{label:<{width}} {page['ms']:>8} {'<' + str(TARGET_MS):>7} {page['queries']:>8} "
            f"{one_flow[label]['queries']:>7}  {'yes' if met else 'NO'}"
        )
    vendor = "postgresql" if options.database_url.startswith("postgres") else "sqlite"
    print(f"\n{options.calls:,} API calls, {rollups:,} rollups, {options.flows} flows, {vendor}")
    out = Path(options.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "checks": checks,
                "calls": options.calls,
                "rollups": rollups,
                "flows": options.flows,
                "database": vendor,
                "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
                "date": now.isoformat(timespec="seconds"),
                "bench_seconds": round(time.perf_counter() - started, 1),
            },
            indent=2,
        )
        + "\n"
    )
    return 0 if all(c["met"] for c in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
