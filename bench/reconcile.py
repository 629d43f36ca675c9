"""What the nightly reconciliation costs over unchanged data: Ecwid sandbox <-> HighLevel
sandbox, both read in full and compared.

    .venv/bin/python bench/reconcile.py [--sizes 10000,50000] [--out FILE]

Sets up as bench/sync.py does (its Sandboxes and Bench: both sandboxes in this process, rate
limits off, a throwaway SQLite database), then for each size in `--sizes`:

- a new Ecwid store with that many customers and a new, empty HighLevel location (its own
  sandbox), so each size reads only its own contacts;
- one live run of the flow in this process, syncing every customer into HighLevel;
- a reconciliation (`reconcile_flow`, repairs on) in a fresh worker process
  (`python bench/reconcile.py --worker FLOW`), so the figures are the worker's alone:
  HighLevel requests (the sandbox's own counters, before and after) per contact read, writes
  on either side, drift found, seconds, and the worker's peak RSS.

Targets: at most one HighLevel call per 100 unchanged contacts (0.011 per contact, the first
size), nothing written and no drift found, and peak RSS flat in the number of contacts: each
size within TARGET_RSS_MB, the largest within 10 % of the smallest.

Prints each figure beside its target, writes bench/results/reconcile.json and exits 1 when a
target is missed. About 9 minutes for the default sizes on 2 cores, most of it the sync that
seeds HighLevel (one request per contact) and the sandboxes scanning their stores for each
page; the reconciliations themselves took 12 s (10,000) and 3 min (50,000) of it.
"""

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# bench/sync.py's set-up, reused: loaded under another name (a plain `import sync` would be
# the app).
_spec = importlib.util.spec_from_file_location("bench_sync", ROOT / "bench" / "sync.py")
bench_sync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_sync)

TARGET_CALLS_PER_CONTACT = 0.011
TARGET_WRITES = 0
TARGET_DRIFT = 0
TARGET_RSS_MB = 150
TARGET_RSS_GROWTH = 0.10


# --- the worker process ---------------------------------------------------------------------------
def worker(flow_id: int) -> None:
    """One reconciliation of the flow; prints its figures as one JSON line."""
    bench_sync._django()
    from sync.models import Flow
    from sync.reconcile import reconcile_flow

    flow = Flow.objects.select_related("source_connection", "target_connection", "mapping").get(
        pk=flow_id
    )
    cpu, started = time.process_time(), time.perf_counter()
    report = reconcile_flow(flow=flow)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    figures = {
        "report": report.pk,
        "status": report.status,
        "message": report.message,
        "source_count": report.source_count,
        "target_count": report.target_count,
        "only_in_source": report.only_in_source,
        "only_in_target": report.only_in_target,
        "differing": report.differing,
        "repaired": report.repaired,
        "api_calls": report.api_calls,
        "repair_run": report.run_id,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": bench_sync._peak_rss_mb(),
    }
    print(json.dumps(figures))


# --- the parent -----------------------------------------------------------------------------------
def _reconcile_in_worker(flow) -> dict:
    from django.db import connections

    connections.close_all()
    command = [sys.executable, __file__, "--worker", str(flow.pk)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        raise SystemExit(f"The worker for flow {flow.pk} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def _new_location(bench) -> None:
    """A new HighLevel sandbox (one empty location) for the bench's next flows."""
    from integrations.models import Connection
    from sandboxes.highlevel import connection_values

    sandboxes = bench_sync.Sandboxes()
    credentials, settings = connection_values(sandboxes.highlevel.describe())
    target = Connection(
        workspace=bench.workspace,
        provider="highlevel",
        name=f"HighLevel sandbox {Connection.objects.count()}",
        settings=settings,
        scopes=bench_sync.SCOPES,
    )
    target.set_credentials(credentials)
    target.save()
    bench.sandboxes, bench.target = sandboxes, target


def measure(bench, size: int, index: int, say) -> dict:
    say(f"{size:,} customers: seeding Ecwid and syncing them into a new HighLevel location")
    if index:
        _new_location(bench)
    store = bench.sandboxes.ecwid(size, random_seed=200 + index)
    flow = bench.flow(store, f"reconcile {size}")
    synced, sync_calls = bench.run_here(flow)
    if synced["written"] != size:
        raise SystemExit(f"The sync wrote {synced['written']} of {size}: {synced['message']}")
    say(f"{size:,} customers: reconciliation (worker process)")
    before = bench.sandboxes.highlevel_stats()
    figures = _reconcile_in_worker(flow)
    calls = bench_sync._calls(before, bench.sandboxes.highlevel_stats())
    bench.sandboxes.close_ecwid(store)
    figures["highlevel"] = calls
    figures["sync"] = {**synced, "highlevel": {k: sync_calls[k] for k in ("reads", "writes")}}
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000", help="customers per measured flow")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "reconcile.json"))
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # a worker process
    options = parser.parse_args()
    if options.worker:
        worker(options.worker)
        return 0
    sizes = [int(size) for size in options.sizes.split(",") if size.strip()]
    started = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {text}", file=sys.stderr, flush=True)

    tmp = tempfile.mkdtemp(prefix="bench-reconcile-")
    bench_sync._environment(str(Path(tmp) / "bench.sqlite3"))
    bench_sync._django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    bench = bench_sync.Bench(bench_sync.Sandboxes())
    check = bench_sync.check
    checks: dict = {}
    details: dict = {}
    for index, size in enumerate(sizes):
        details[f"size_{size}"] = measure(bench, size, index, say)
    first = details[f"size_{sizes[0]}"]
    per_contact = (first["highlevel"]["reads"] + first["highlevel"]["writes"]) / max(
        first["target_count"], 1
    )
    checks["highlevel_calls_per_contact"] = check(
        round(per_contact, 4),
        f"<= {TARGET_CALLS_PER_CONTACT}",
        per_contact <= TARGET_CALLS_PER_CONTACT,
    )
    writes = sum(details[f"size_{size}"]["highlevel"]["writes"] for size in sizes)
    checks["highlevel_writes"] = check(writes, f"<= {TARGET_WRITES}", writes <= TARGET_WRITES)
    drift = sum(
        details[f"size_{size}"][kind]
        for size in sizes
        for kind in ("only_in_source", "only_in_target", "differing")
    )
    checks["drift_found"] = check(drift, f"<= {TARGET_DRIFT}", drift <= TARGET_DRIFT)
    done = all(details[f"size_{size}"]["status"] == "done" for size in sizes)
    checks["reports_done"] = check(done, "True", done)
    rss = {size: details[f"size_{size}"]["peak_rss_mb"] for size in sizes}
    for size in sizes:
        checks[f"peak_rss_mb_{size}"] = check(
            rss[size], f"<= {TARGET_RSS_MB}", rss[size] <= TARGET_RSS_MB
        )
    if len(sizes) > 1:
        growth = rss[max(sizes)] / rss[min(sizes)] - 1
        checks["peak_rss_growth"] = check(
            round(growth, 4), f"<= {TARGET_RSS_GROWTH}", growth <= TARGET_RSS_GROWTH
        )
    details["bench_seconds"] = round(time.perf_counter() - started, 1)
    say("done")
    _print(checks, details, sizes)
    bench_sync._write(checks, details, Path(options.out))
    return 0 if all(c["met"] for c in checks.values()) else 1


def _print(checks: dict, details: dict, sizes: list[int]) -> None:
    width = max(len(name) for name in checks)
    print(f"{'figure':<{width}} {'value':>10} {'target':>9}  met")
    for name, c in checks.items():
        print(f"{name:<{width}} {c['value']!s:>10} {c['target']:>9}  {'yes' if c['met'] else 'NO'}")
    for size in sizes:
        run = details[f"size_{size}"]
        print(
            f"\n{size:,}: {run['source_count']:,} customers and {run['target_count']:,} contacts "
            f"compared in {run['seconds']} s (worker CPU {run['cpu_seconds']} s, peak RSS "
            f"{run['peak_rss_mb']} MB); HighLevel {run['highlevel']['routes']}; {run['message']}"
        )
    print(f"\nbench time: {details['bench_seconds']} s")


if __name__ == "__main__":
    sys.exit(main())
