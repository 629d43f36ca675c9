"""How close the shared rate budget runs to HighLevel's limit, and a naive script beside it.

    .venv/bin/python bench/ceiling.py [--customers 2000] [--workers 1,2,4] [--limit 100]
        [--window-ms 2000] [--naive-customers 300] [--budget database|redis] [--full]
        [--out FILE]

Starts the sandboxes in this process as bench/sync.py does (its `Sandboxes` and `Bench`: Ecwid
without a rate limit, a throwaway SQLite database), but HighLevel keeps its real limit's
shape scaled in time: `--limit` requests per `--window-ms`, by default 100 per 2 s instead
of per 10 s (the daily limit stays 200,000). Then, for each count in `--workers`:

- `--customers` new Ecwid customers split over that many Ecwid stores, one flow each, all
  into the SAME HighLevel location through one connection (one app and location: one budget
  key). A whole-flow run is one worker (one run in flight per flow, sync/runs.py), so
  several workers on one backfill means several flows. The product's other pool, pending
  changes claimed in chunks by any number of `changes_process` tasks (sync/triggers.py),
  re-reads each record from the source one by one: webhooks and retries, not backfills;
- one worker process per flow (`bench/ceiling.py --worker FLOW`) on the one SQLite
  database, sharing its rate budget (integrations/ratelimit.py; no Redis unless `--budget
  redis`, which starts a redis-server of its own on a Unix socket). All start together;
- the HighLevel sandbox stamps each request as it arrives. `ceiling_use` is how full its
  sliding window was on average from one window after the first request to the last (the
  requests in the window ending at each moment / the limit): the steady-state rate over
  the allowed one, 1 for a client that sends the moment the window allows whatever the
  phase of its bursts, never above 1. Plain requests/s (first to last) / limit per second
  is in the details too. 429s: the sandbox's own counter. Each worker also reports where
  its time went (`pace`): asleep for the budget, in the budget's take(), in the HighLevel
  exchanges, the rest (Ecwid, mapping, bookkeeping).

The client learns the limit from X-RateLimit-Max and X-RateLimit-Interval-Milliseconds and
shares it through the Django cache (integrations/providers/highlevel/transport.py). Here
that cache is per process (LocMem, no CACHE_URL), so each worker would send its first
request under the default 100 / 10 s and, starting into a window the others filled, wait
up to 10 s for it. Each worker is primed with the sandbox's limit under the transport's own
cache key, as it finds it in a shared cache in production (where the default is the limit).

The naive baseline runs first (while the location is nearly empty: its searches scan the
location): `--naive-customers` other customers read from Ecwid, then a plain `requests` loop
a user might write: POST /contacts/search by e-mail, then POST /contacts/ or PUT
/contacts/{id}, sleeping `--naive-pause` after each call (0.1 s scaled like the window) and
a whole window after a 429. Ours: calls per written contact, notes included (the preset
also writes each customer's private admin notes, which the naive loop leaves out).

Why 100 per 2 s and not per 1 s: the budget counts a request from when it is sent until one
window after its answer, so every window cycle loses the request's latency, the budget's
take and the worker's wake-up: milliseconds fixed in time, which weigh more the shorter the
scaled window (at HighLevel's 10 s, a fifth of what they weigh at 2 s). And the workers must
outpace the limit. On a quieter machine (load ~1.5), 100 per 1 s used 0.970 / 0.977 / 0.989 of it
(1 / 2 / 4 workers; a take of the database budget cost 2.6 ms, 8 ms with 4 workers queueing
for SQLite's write lock; with `--budget redis` 0.6 and 2.4 ms, use 0.972 / 0.990 / 0.985).
With other benchmarks running it used 0.82-0.92, the workers asleep for the budget only
8-18 % of their time (a take then cost 4 ms, 25-30 ms with 4 workers): the machine, not the
budget. At 2 s the budget sets the pace either way (asleep 60-80 %): 0.982 / 0.988 / 0.994
quiet, 0.983 / 0.989 / 0.990 beside other benchmarks.

About 3.5 minutes by default (each run is paced by the limit: ~48 s); `--full` is the
issue's 10,000 customers a run (about 14 minutes). Prints a short table and writes
bench/results/ceiling.json; exits 0 once it has measured, targets met or not.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402

# bench/sync.py's set-up, reused: loaded under another name (a plain `import sync` is the app).
_spec = importlib.util.spec_from_file_location("bench_sync", ROOT / "bench" / "sync.py")
bench_sync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_sync)

TARGET_USE = 0.95
TARGET_429 = 0
REAL_WINDOW_MS = 10_000  # HighLevel's burst window; the naive pause scales with it
REAL_NAIVE_PAUSE = 0.1
DAILY_LIMIT = 200_000
DEFAULTS = {"customers": 2_000, "naive_customers": 300}
FULL = {"customers": 10_000, "naive_customers": 1_000}


# --- measuring --------------------------------------------------------------------------------
def ceiling_use(stamps: list[float], limit: int, window: float) -> float:
    """How full the provider's sliding window was on average: at each moment from one window
    after the first of `stamps` (arrival times, s) to the last, the requests in the window
    ending then ÷ `limit`, averaged. The steady-state rate over the allowed one: 1 for a
    client that always sends the moment the window allows, whatever the phase of its
    bursts, and never above 1 (the sandbox lets no more through)."""
    if not stamps:
        return 0.0
    start, end = min(stamps) + window, max(stamps)
    if end <= start:  # a run shorter than a window: that window's fill
        return len(stamps) / limit
    # A request counts in the windows ending in [its arrival, its arrival + window).
    covered = sum(max(0.0, min(at + window, end) - max(at, start)) for at in stamps)
    return covered / (limit * (end - start))


def plain_use(stamps: list[float], limit: int, window: float) -> float:
    """Requests per second between the first and the last ÷ `limit / window`."""
    span = max(stamps) - min(stamps) if len(stamps) > 1 else 0.0
    return (len(stamps) - 1) / span / (limit / window) if span else 0.0


class Arrivals:
    """Every API request the HighLevel sandbox's limiter sees: (time, let through)."""

    def __init__(self, highlevel):
        self.lock = threading.Lock()
        self.seen: list[tuple[float, bool]] = []
        hit = highlevel.limiter.hit

        def stamped(key, config, *, consume=True):
            allowed, headers = hit(key, config, consume=consume)
            with self.lock:
                self.seen.append((time.time(), allowed))
            return allowed, headers

        highlevel.limiter.hit = stamped

    def take(self) -> list[tuple[float, bool]]:
        with self.lock:
            seen, self.seen = self.seen, []
        return seen


def scaled_sandboxes(limit: int, window_ms: int):
    """bench/sync.py's sandboxes, with HighLevel's limit shape back (scaled in time)."""
    sandboxes = bench_sync.Sandboxes()
    highlevel = sandboxes.highlevel
    highlevel.knobs.update(burst_limit=limit, burst_window_ms=window_ms, daily_limit=DAILY_LIMIT)
    highlevel.reset_config()
    return sandboxes, Arrivals(highlevel)


@contextlib.contextmanager
def own_redis():
    """A Redis of this run's own on a Unix socket (no port, nothing shared with others);
    yields its URL."""
    folder = tempfile.mkdtemp(prefix="bench-ceiling-redis-")
    socket = f"{folder}/redis.sock"
    command = ["redis-server", "--port", "0", "--unixsocket", socket, "--unixsocketperm", "700"]
    command += ["--save", "", "--appendonly", "no", "--dir", folder]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        for _ in range(100):
            if Path(socket).exists():
                break
            time.sleep(0.05)
        else:
            raise SystemExit("redis-server did not start (is it installed?)")
        yield f"unix://{socket}"
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def rate_limited(sandboxes) -> int:
    return sandboxes.highlevel.stats.snapshot()["rate_limited"]


# --- the worker process -----------------------------------------------------------------------
def worker(flow_id: int, limit: int, window_ms: int) -> None:
    """Set up, say "ready", wait for "go" on stdin, run the flow once; prints its figures."""
    bench_sync._django()
    from django.core.cache import cache

    from integrations import ratelimit
    from integrations.providers.highlevel.transport import (
        LEARNED_LIMIT_SECONDS,
        HighLevelTransport,
    )
    from sync.models import Flow
    from sync.runner import run_execute
    from sync.runs import run_start

    spent = _instrument(ratelimit)
    flow = Flow.objects.select_related("target_connection").get(pk=flow_id)
    transport = HighLevelTransport(flow.target_connection)
    # What the first answer's headers would teach it (see the docstring), under its own key.
    cache.set(transport._limit_cache_key(), [limit, window_ms / 1000], LEARNED_LIMIT_SECONDS)
    transport.session.close()
    run = run_start(flow=flow, trigger="manual")
    print("ready", flush=True)
    sys.stdin.readline()
    cpu, started = time.process_time(), time.perf_counter()
    run = run_execute(run_id=run.pk)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    figures = bench_sync._figures(run, seconds)
    figures["cpu_seconds"] = round(cpu, 2)
    figures["highlevel_slots"] = spent["slots"]
    figures["budget_wait_seconds"] = round(max(spent["reserve"] - spent["take"], 0.0), 2)
    figures["budget_take_seconds"] = round(spent["take"], 2)
    latency = spent["exchange"] / max(spent["slots"], 1)
    figures["highlevel_latency_ms"] = round(latency * 1000, 1)
    print(json.dumps(figures), flush=True)


def _instrument(ratelimit) -> dict:
    """Where this worker's HighLevel requests spend their time, to say what set the pace: in
    `reserve()` (sleeping for the budget, near 0 while the rate stays under the limit, plus
    its takes), in the budget's `take()` (its transaction or Redis script, lock waits
    included), and in the exchanges (the latency each slot spends in the window besides it)."""
    from integrations.transport import ApiTransport

    spent = {"slots": 0, "reserve": 0.0, "take": 0.0, "exchange": 0.0}

    def wrap(owner, name: str, key_of) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                if key_of(args).startswith("highlevel:"):
                    spent[name.strip("_")] += time.perf_counter() - started
                    spent["slots"] += name == "reserve"

        setattr(owner, name, timed)

    wrap(ratelimit, "reserve", lambda args: args[1])
    for budget in (ratelimit.DatabaseBudget, ratelimit.RedisBudget):
        wrap(budget, "take", lambda args: args[1])
    wrap(ApiTransport, "_exchange", lambda args: args[1].key)
    return spent


def run_workers(flow_ids: list[int], limit: int, window_ms: int) -> list[dict]:
    """One worker process per flow, started together once all are set up."""
    from django.db import connections

    connections.close_all()
    with contextlib.ExitStack() as stack:
        procs = []
        for flow_id in flow_ids:
            command = [sys.executable, __file__, "--worker", str(flow_id)]
            command += ["--limit", str(limit), "--window-ms", str(window_ms)]
            errors = stack.enter_context(tempfile.TemporaryFile(mode="w+"))
            proc = subprocess.Popen(  # noqa: S603
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, text=True
            )
            stack.callback(_end, proc)
            procs.append((proc, errors))
        for proc, errors in procs:
            if proc.stdout.readline().strip() != "ready":
                raise SystemExit(f"A worker could not start:\n{_tail(proc, errors)}")
        for proc, _ in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        figures = []
        for proc, errors in procs:
            out, _ = proc.communicate()
            if proc.returncode:
                raise SystemExit(f"A worker failed:\n{_tail(proc, errors)}")
            figures.append(json.loads(out.splitlines()[-1]))
    return figures


def _tail(proc, errors) -> str:
    proc.wait()
    errors.seek(0)
    return errors.read()[-3000:]


def _end(proc) -> None:
    """A worker left running when the run stops early is ended (only ours, by its pid)."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


# --- one ceiling run --------------------------------------------------------------------------
def ceiling_run(bench, arrivals, workers: int, customers: int, options, seed: int) -> dict:
    """`customers` new Ecwid customers over `workers` flows into the one location."""
    sandboxes = bench.sandboxes
    shares = [customers // workers + (i < customers % workers) for i in range(workers)]
    stores = [sandboxes.ecwid(share, random_seed=seed + i) for i, share in enumerate(shares)]
    flows = [bench.flow(store, f"ceiling {workers}w #{i}") for i, store in enumerate(stores)]
    time.sleep(options.window_ms / 1000 * 2)  # the window empties of earlier requests
    arrivals.take()
    before, refused = sandboxes.highlevel_stats(), rate_limited(sandboxes)
    runs = run_workers([flow.pk for flow in flows], options.limit, options.window_ms)
    seen = arrivals.take()
    calls = bench_sync._calls(before, sandboxes.highlevel_stats())
    for store in stores:
        sandboxes.close_ecwid(store)
    window = options.window_ms / 1000
    stamps = [at for at, allowed in seen if allowed]
    span = max(stamps) - min(stamps) if stamps else 0.0
    written = sum(run["written"] for run in runs)
    requests_ = calls["reads"] + calls["writes"]
    contact_calls = sum(n for route, n in calls["routes"].items() if "/notes" not in route)
    return {
        "workers": workers,
        "customers": customers,
        "written": written,
        "failed": sum(run["failed"] for run in runs),
        "statuses": sorted({run["status"] for run in runs}),
        "highlevel_requests": requests_,
        "requests_let_through": len(stamps),
        "http_429": rate_limited(sandboxes) - refused,
        "span_seconds": round(span, 2),
        "requests_per_second": round((len(stamps) - 1) / span, 1) if span else 0.0,
        "allowed_per_second": round(options.limit / window, 1),
        "ceiling_use": round(ceiling_use(stamps, options.limit, window), 4),
        "plain_use": round(plain_use(stamps, options.limit, window), 4),
        "calls_per_written_contact": round(requests_ / max(written, 1), 4),
        # Without the notes (the naive loop writes none): what the contacts themselves cost.
        "contact_calls_per_written_contact": round(contact_calls / max(written, 1), 4),
        "seconds_per_1000_contacts": round(span / max(written, 1) * 1000, 1),
        "pace": pace(runs),
        "highlevel": calls,
        "runs": runs,
    }


def pace(runs: list[dict]) -> dict:
    """Shares of the workers' time (summed): sleeping for the budget, in its take(), in the
    HighLevel exchanges, and the rest (reading Ecwid, mapping, the run's bookkeeping)."""
    total = sum(run["seconds"] for run in runs) or 1.0
    sleep = sum(run["budget_wait_seconds"] for run in runs)
    take = sum(run["budget_take_seconds"] for run in runs)
    exchange = sum(run["highlevel_latency_ms"] * run["highlevel_slots"] / 1000 for run in runs)
    shares = {
        "budget_sleep": sleep / total,
        "budget_take": take / total,
        "highlevel_exchange": exchange / total,
    }
    shares["other"] = max(1 - sum(shares.values()), 0.0)
    return {name: round(share, 3) for name, share in shares.items()}


def what_limits(run: dict) -> str:
    """Why a run used less of the limit than its target, from where the workers' time went."""
    shares = run["pace"]
    if shares["budget_sleep"] < 0.3:
        return (
            f"The workers could not keep up with the limit: asleep for the budget only "
            f"{shares['budget_sleep']:.0%} of their time, {shares['budget_take']:.0%} in the "
            f"budget's take() and {shares['highlevel_exchange']:.0%} in HighLevel requests. "
            "The machine set the pace (other benchmarks running?): a longer --window-ms, or "
            "fewer other processes, measures the budget instead."
        )
    return (
        "The budget set the pace (asleep for it "
        f"{shares['budget_sleep']:.0%} of the workers' time): each window cycle loses a "
        "request's latency, the budget's take and the worker's wake-up, which weigh more "
        "the shorter the scaled window is (HighLevel's is 10 s)."
    )


# --- the naive baseline -----------------------------------------------------------------------
def ecwid_customers(store) -> list[dict]:
    """Every customer of the store, read as a script would (Ecwid is not what is measured)."""
    import requests

    described = store.describe()
    headers = {"Authorization": f"Bearer {described['secret_token']}"}
    found, offset = [], 0
    while True:
        page = requests.get(
            f"{described['api_url']}/customers",
            params={"offset": offset, "limit": 100},
            headers=headers,
            timeout=30,
        ).json()
        found += page["items"]
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            return found


def naive_backfill(sandboxes, count: int, pause: float, window: float, seed: int) -> dict:
    """For each customer: search HighLevel by e-mail, then create or update; `pause` s after
    every call, a whole window after a 429 (then the call again)."""
    import requests

    store = sandboxes.ecwid(count, random_seed=seed)
    customers = ecwid_customers(store)
    sandboxes.close_ecwid(store)
    described = sandboxes.highlevel.describe()
    base, location = described["base_url"], described["location_id"]
    session = requests.Session()
    session.headers.update(
        Authorization=f"Bearer {described['private_integration_token']}",
        Version="2021-07-28",
        Accept="application/json",
    )
    refused = 0

    def call(method: str, path: str, body: dict) -> dict:
        nonlocal refused
        while True:
            response = session.request(method, f"{base}{path}", json=body, timeout=30)
            time.sleep(pause)
            if response.status_code != 429:
                response.raise_for_status()
                return response.json()
            refused += 1
            time.sleep(window)

    time.sleep(window * 2)
    before, counted = sandboxes.highlevel_stats(), rate_limited(sandboxes)
    started = time.perf_counter()
    for customer in customers:
        person = customer.get("billingPerson") or {}
        contact = {
            "email": customer["email"],
            "firstName": person.get("firstName", ""),
            "lastName": person.get("lastName", ""),
        }
        search = {
            "locationId": location,
            "pageLimit": 1,
            "filters": [{"field": "email", "operator": "eq", "value": customer["email"]}],
        }
        hits = call("POST", "/contacts/search", search)["contacts"]
        if hits:
            call("PUT", f"/contacts/{hits[0]['id']}", contact)
        else:
            call("POST", "/contacts/", {**contact, "locationId": location})
    seconds = time.perf_counter() - started
    calls = bench_sync._calls(before, sandboxes.highlevel_stats())
    total = calls["reads"] + calls["writes"]
    return {
        "contacts": len(customers),
        "pause_seconds": pause,
        "highlevel_requests": total,
        "calls_per_contact": round(total / max(len(customers), 1), 4),
        "http_429": rate_limited(sandboxes) - counted,
        "http_429_seen": refused,
        "seconds": round(seconds, 2),
        "seconds_per_1000_contacts": round(seconds / max(len(customers), 1) * 1000, 1),
        "highlevel": calls,
    }


# --- the parent -------------------------------------------------------------------------------
def _options(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, help="a run's customers (default 2,000)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts, one run each")
    parser.add_argument("--limit", type=int, default=100, help="requests per window")
    parser.add_argument("--window-ms", type=int, default=2_000, help="HighLevel's is 10,000")
    parser.add_argument("--naive-customers", type=int, help="default 300")
    parser.add_argument("--full", action="store_true", help="the issue's size: 10,000 a run")
    parser.add_argument(
        "--naive-pause", type=float, help="seconds after each naive call (default: 0.1 s scaled)"
    )
    parser.add_argument(
        "--budget",
        choices=("database", "redis"),
        default="database",
        help="where the shared budget lives: the database (no Redis configured), or a "
        "redis-server of this run's own (needs redis-server installed)",
    )
    parser.add_argument("--target-use", type=float, default=TARGET_USE)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # a worker process
    options = parser.parse_args(argv)
    sizes = FULL if options.full else DEFAULTS
    for name, size in sizes.items():
        if getattr(options, name) is None:
            setattr(options, name, size)
    problems = [
        f"--{name.replace('_', '-')} must be at least 1"
        for name in ("customers", "limit", "window_ms")
        if getattr(options, name) < 1
    ]
    try:
        options.worker_counts = [int(n) for n in options.workers.split(",") if n.strip()]
    except ValueError:
        options.worker_counts = []
    if options.naive_customers < 0:
        problems.append("--naive-customers must be 0 (no naive loop) or more")
    if not options.worker_counts or min(options.worker_counts) < 1:
        problems.append("--workers must list worker counts of at least 1, e.g. 1,2,4")
    elif max(options.worker_counts) > options.customers:
        problems.append("--customers must be at least the largest worker count")
    if problems:
        parser.error("; ".join(problems))
    if options.naive_pause is None:
        options.naive_pause = REAL_NAIVE_PAUSE * options.window_ms / REAL_WINDOW_MS
    return options


def main(argv=None) -> int:
    options = _options(argv)
    if options.worker:
        worker(options.worker, options.limit, options.window_ms)
        return 0
    if options.budget == "redis":
        with own_redis() as url:
            return measure(options, RATE_BUDGET_REDIS_URL=url)
    return measure(options)


def measure(options, **settings: str) -> int:
    started = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {text}", file=sys.stderr, flush=True)

    common.environment(**settings)
    common.django_ready()
    sandboxes, arrivals = scaled_sandboxes(options.limit, options.window_ms)
    bench = bench_sync.Bench(sandboxes)
    window = options.window_ms / 1000
    details: dict = {
        "limit": {"requests": options.limit, "window_seconds": window, "daily": DAILY_LIMIT},
        "budget_store": "redis (its own server)" if settings else "database (SQLite)",
        "split": "one flow (and one Ecwid store) per worker, all into one HighLevel location",
    }
    naive = None
    if options.naive_customers:
        say(f"naive loop over {options.naive_customers:,} customers")
        naive = naive_backfill(sandboxes, options.naive_customers, options.naive_pause, window, 7)
        details["naive"] = naive
    checks: dict = {}
    ours_calls = 0.0
    for index, workers in enumerate(options.worker_counts):
        say(f"{options.customers:,} customers, {workers} worker(s)")
        seed = 300 + 10 * index
        figures = ceiling_run(bench, arrivals, workers, options.customers, options, seed)
        label = f"{workers}_worker" + ("s" if workers > 1 else "")
        if figures["ceiling_use"] < options.target_use:
            figures["what_limits"] = what_limits(figures)
        details[f"run_{label}"] = figures
        checks[f"ceiling_use_{label}"] = common.at_least(figures["ceiling_use"], options.target_use)
        checks[f"http_429_{label}"] = common.at_most(figures["http_429"], TARGET_429)
        ours_calls = max(ours_calls, figures["calls_per_written_contact"])
    if naive is not None:
        naive_calls = naive["calls_per_contact"]
        checks["calls_per_contact_ours_vs_naive"] = common.check(
            ours_calls, f"<= {naive_calls}", ours_calls <= naive_calls
        )
    details["bench_seconds"] = round(time.perf_counter() - started, 1)
    say("done")
    _print(checks, details)
    out = common.write_results("ceiling", checks, details, options.out)
    print(f"\nwrote {out}")
    return 0


def _print(checks: dict, details: dict) -> None:
    common.print_checks("Rate ceiling (HighLevel limit scaled in time)", checks)
    limit = details["limit"]
    print(
        f"\n  limit {limit['requests']} per {limit['window_seconds']} s; "
        f"budget: {details['budget_store']}"
    )
    print(
        f"  {'who':<10} {'contacts':>8} {'req/s':>7} {'allowed':>7} {'use':>6} {'429':>4} "
        f"{'calls/contact':>13} {'s/1000':>7}  worker time: budget sleep / take / HighLevel"
    )
    for key, run in details.items():
        if key.startswith("run_"):
            shares = run["pace"]
            print(
                f"  {'ours ' + str(run['workers']) + 'w':<10} {run['written']:>8} "
                f"{run['requests_per_second']:>7} {run['allowed_per_second']:>7} "
                f"{run['ceiling_use']:>6} {run['http_429']:>4} "
                f"{run['calls_per_written_contact']:>13} {run['seconds_per_1000_contacts']:>7}  "
                f"{shares['budget_sleep']:.0%} / {shares['budget_take']:.0%} / "
                f"{shares['highlevel_exchange']:.0%}"
            )
    if "naive" in details:
        naive = details["naive"]
        rate = naive["highlevel_requests"] / naive["seconds"] if naive["seconds"] else 0
        print(
            f"  {'naive':<10} {naive['contacts']:>8} {rate:>7.1f} {'':>7} {'':>6} "
            f"{naive['http_429']:>4} {naive['calls_per_contact']:>13} "
            f"{naive['seconds_per_1000_contacts']:>7}"
        )
    print(f"\n  bench time: {details['bench_seconds']} s")


if __name__ == "__main__":
    sys.exit(main())
