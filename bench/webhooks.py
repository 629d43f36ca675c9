"""Webhook ingress and freshness: signed deliveries into gunicorn, and a change's way from
Ecwid to HighLevel through the inbox, the broker and a real Celery worker.

    .venv/bin/python bench/webhooks.py [--deliveries 5000] [--clients 4] [--changes 40]
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--full]
        [--redis-url redis://127.0.0.1:6379/13] [--time-limit 45] [--out FILE]

Ingress (issue 14, item 5): gunicorn with 2 sync workers (`gunicorn config.wsgi`, as the
README's Production section runs it) on a throwaway database, and a load generator in this
machine's loopback: `--clients` threads, each posting one delivery per connection (gunicorn's
sync workers close every connection), `--deliveries` Ecwid webhooks signed as the Ecwid
sandbox signs them (sandboxes/ecwid/events.py: HMAC-SHA256 of "eventCreated.eventId" with
the app's client secret), so every delivery goes through the real verifier: the connection
looked up by store id, its client secret decrypted, the signature compared. Figures:
verified deliveries per second, client-side p50/p99 latency, and none lost — every delivery
answered 2xx has its inbox row (WebhookEvent, with one WebhookEventTarget) and its message in
the broker. The embedded default is what runs first: SQLite (both workers write one file:
WAL, IMMEDIATE transactions) and the filesystem broker (one file per message). With
`--database-url` (a PostgreSQL server: a throwaway database is created there and dropped
after) or `--full` the same run goes against PostgreSQL too (`*_postgresql` figures). Then, in the
process, with gunicorn stopped, what one delivery costs the server by part: verification,
the inbox transaction, the enqueue, and the whole view through Django's middleware.

Freshness (item 6): a live Ecwid -> HighLevel flow with the webhook trigger, on PostgreSQL
(a throwaway database on the `--database-url` server, by default the local one) and Redis
(`--redis-url`, db 13 by default, flushed after: broker, cache and the shared rate budget),
gunicorn (2 workers) receiving the Ecwid sandbox's own signed webhooks and a real Celery
worker (the Procfile's realtime one: prefork, 2 processes, queues realtime and celery). The
customers are synced once first; then `--changes` customers are renamed one at a time through
the sandbox's /_control (a change made in the Ecwid admin: it fires the webhook) and the
HighLevel sandbox's store is polled in this process until the new name is there. HighLevel
keeps its real limits (100 requests / 10 s per location) and the app its rate budget: the
measurement starts once the initial sync's requests have left the 10 s window. Per change,
where the time went: inbox row stored, run started, run finished, visible. When PostgreSQL
or Redis does not answer, freshness is reported as not measured, with the reason.

What limits ingress (the 1,000/s and 50 ms targets are missed here): CPU. Each delivery is a
new TCP connection and a whole Django request, and the server spends 7-11 ms of CPU on it
(`details.ingress_*.cpu`). This VM runs Python slowly (`details.calibration`: sum(range(1000))
takes 14-19 us, 2-3 times a current laptop's) and was shared with other benchmarks (load
average 2.5-6 on 2 cores). Runs gave 90-190/s on SQLite and 70-155/s on PostgreSQL, p99
55-140 ms and 60-100 ms, by how busy the machine was (`details.ingress_*.cpu.machine_busy_share`).
By part, in process (`server_cost`): the verifier 1.5-1.9 ms, most of it the ORM compiling
the connection lookup (two JSON-key lookups on `settings.store_id`; the SQL itself runs in
0.07 ms); the inbox transaction 1-2.5 ms; the enqueue 1-1.9 ms, mostly Celery building and
routing the message (the filesystem broker's file write is about a fifth of it), 10-25 % of
the view: it does not dominate; the rest (middleware, a new SQLite connection per request
with its PRAGMAs, the answer) about 3.5 ms. At that cost both cores together answer ~250/s
at best (`ceiling_per_second_all_cores`); 1,000/s needs under 2 ms per delivery. p99 adds
the queueing: 4 clients on 2 workers. Nothing was ever lost. Freshness meets its target:
~250 ms median, ~350 ms p95, most of it the two Celery hops (webhook_event_process, then
changes_process): the inbox row is stored ~20 ms after the change, the run starts ~200 ms
after it.

About 2 minutes with the defaults (3-4 with `--database-url` or `--full`, more on a busy
machine: each load stops after `--time-limit` seconds, 600 with `--full`); a missed target
is reported, not an error: the exit status is 0 when the ingress could be measured, 1 when
it could not.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import itertools
import json
import logging
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # before bench/: `sync` must be the app, not bench/sync.py
from bench.common import (  # noqa: E402
    check,
    django_ready,
    environment,
    print_checks,
    progress,
    write_results,
)

TARGET_RATE = 1_000  # verified deliveries per second
TARGET_P99_MS = 50.0
TARGET_FRESHNESS_P95_MS = 1_000.0
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
EVENT_TYPE = "customer.updated"
SAMPLE_KEYS = ("visible_s", "inbox_s", "run_started_s", "run_finished_s", "post_s")


say = progress()


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (`share` in 0..1), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(share * len(ordered) - 1e-9)  # the smallest value with `share` at or below
    return ordered[max(0, min(len(ordered), rank) - 1)]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


# --- processes: gunicorn, the Celery worker ------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Service:
    """A process of ours (its own process group, output to a log file), stopped by its id."""

    def __init__(self, name: str, command: list[str], log_dir: Path):
        self.name, self.log = name, log_dir / f"{name}.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(  # noqa: S603
                command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def output(self, tail: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-tail:]

    def wait_for(self, ready, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.output()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: no {what} in {timeout} s:\n{self.output()}")
            time.sleep(0.2)

    def stop(self, timeout: float = 20) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)  # the group this Popen started
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def gunicorn(port: int, log_dir: Path, workers: int = 2) -> Service:
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    service = Service("gunicorn", [*command, "--workers", str(workers)], log_dir)

    def healthy() -> bool:
        with contextlib.suppress(OSError):
            return _post(port, b"GET /health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")[0] == 200
        return False

    service.wait_for(healthy, "answer on /health/")
    return service


def children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes (Linux /proc), 0 for those gone."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


# --- ingress ------------------------------------------------------------------------------------
def signed_deliveries(described: dict, count: int, port: int) -> list[tuple[str, bytes]]:
    """(event id, the raw HTTP request) of `count` customer.updated webhooks, each signed as
    the Ecwid sandbox signs (its `signature`), built before the clock starts."""
    from sandboxes.ecwid.events import SIGNATURE_HEADER, signature

    created, requests = int(time.time()), []
    for index in range(count):
        event_id = str(uuid.uuid4())
        body = json.dumps(
            {
                "eventId": event_id,
                "eventCreated": created,
                "storeId": described["store_id"],
                "entityId": 1_000_000 + index,
                "eventType": EVENT_TYPE,
                "data": {"customerId": 1_000_000 + index, "customerEmail": f"c{index}@x.test"},
            }
        ).encode()
        head = (
            f"POST /webhooks/ecwid/?eventtype={EVENT_TYPE} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nUser-Agent: ecwid-sandbox-webhooks/1.0\r\n"
            f"{SIGNATURE_HEADER}: {signature(described['client_secret'], created, event_id)}\r\n"
            "Connection: close\r\n\r\n"
        )
        requests.append((event_id, head.encode() + body))
    return requests


def _post(port: int, raw: bytes) -> tuple[int, bytes]:
    """One request on a new connection, read to the server's close: (status, answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(raw)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    return (int(answer[9:12]) if answer[:5] == b"HTTP/" else 0), answer


def load(port: int, requests: list[tuple[str, bytes]], clients: int, limit: float = 600) -> dict:
    """Post the requests from `clients` threads, none started after `limit` seconds; per
    request: (status, latency, outcome), None for those not sent."""
    results: list = [None] * len(requests)
    counter = itertools.count()
    deadline = time.perf_counter() + limit

    def client() -> None:
        while (index := next(counter)) < len(requests) and time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                status, answer = _post(port, requests[index][1])
            except OSError as error:
                status, answer = 0, str(error).encode()
            outcome = "received" if b'"received"' in answer else "duplicate" * (b"dup" in answer)
            results[index] = (status, time.perf_counter() - started, outcome or answer[-200:])

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": time.perf_counter() - started, "results": results}


def ingress_phase(options) -> dict:
    """In a process of its own, on the database it was given: the figures of item 5."""
    from django.conf import settings

    from accounts.models import User
    from accounts.services import workspace_create
    from integrations.models import Connection, WebhookEvent, WebhookEventTarget
    from sandboxes.ecwid import EcwidSandbox, connection_values
    from sandboxes.kit.server import SandboxOptions, start_in_thread, stop

    store = EcwidSandbox(SandboxOptions(seed=0, random_seed=31))
    httpd, server, _ = start_in_thread([store])
    described = store.describe()
    owner = User.objects.create_user(email="ingress@example.com", password=None)
    credentials, connection_settings = connection_values(described)
    connection = Connection(
        workspace=workspace_create(name="Ingress", owner=owner),
        provider="ecwid",
        name="Ecwid sandbox",
        settings=connection_settings,
    )
    connection.set_credentials(credentials)
    connection.save()

    port, log_dir = free_port(), Path(options.scratch)
    warm = options.warmup  # before the measured ones: first requests import and connect
    requests = signed_deliveries(described, warm + options.deliveries, port)
    say(f"gunicorn ({options.workers} workers) on {settings.DATABASES['default']['ENGINE']}")
    web = gunicorn(port, log_dir, options.workers)
    try:
        warmup = load(port, requests[:warm], options.clients)
        workers = children(web.process.pid)
        server_cpu, machine_before = cpu_seconds(workers), machine_busy()
        client_cpu = time.process_time()
        say(f"{options.deliveries:,} deliveries from {options.clients} clients")
        run = load(port, requests[warm:], options.clients, options.time_limit)
        client_cpu = time.process_time() - client_cpu
        server_cpu = cpu_seconds(workers) - server_cpu
        machine_after = machine_busy()
    finally:
        web.stop()
        stop(httpd, server)

    measured = [result for result in run["results"] if result is not None]
    answered = [r for r in measured if 200 <= r[0] < 300]
    ok = [r[1] for r in answered]
    statuses: dict[str, int] = {}
    for result in measured:
        statuses[str(result[0])] = statuses.get(str(result[0]), 0) + 1
    # Every delivery answered 2xx, the warm-up's included, must have its inbox row.
    everything = warmup["results"] + run["results"]
    answered_ids = {
        requests[index][0]
        for index, result in enumerate(everything)
        if result is not None and 200 <= result[0] < 300
    }
    stored = set(WebhookEvent.objects.filter(provider="ecwid").values_list("event_id", flat=True))
    lost = sorted(answered_ids - stored)
    targets = WebhookEventTarget.objects.filter(event__event_id__in=list(stored)).count()
    queued = _queued_messages(settings)
    busy = machine_after[0] - machine_before[0]
    figures = {
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "broker": settings.CELERY_BROKER_URL.split(":", 1)[0],
        "gunicorn_workers": options.workers,
        "clients": options.clients,
        "deliveries": len(measured),
        "stopped_by_time_limit": len(measured) < options.deliveries,
        "warmup_deliveries": warm,
        "seconds": round(run["seconds"], 3),
        "deliveries_per_second": round(len(answered) / run["seconds"], 1),
        "statuses": dict(sorted(statuses.items())),
        "received": sum(1 for r in measured if r[2] == "received"),
        "duplicates": sum(1 for r in measured if r[2] == "duplicate"),
        "errors": [repr(r[2]) for r in measured if not 200 <= r[0] < 300][:5],
        "latency_ms": {
            "p50": ms(percentile(ok, 0.50)),
            "p90": ms(percentile(ok, 0.90)),
            "p99": ms(percentile(ok, 0.99)),
            "max": ms(max((r[1] for r in measured), default=None)),
            "mean": ms(statistics.fmean(ok)) if ok else None,
        },
        "inbox": {
            "answered_2xx_with_warmup": len(answered_ids),
            "events_stored": len(stored),
            "event_targets_stored": targets,
            "answered_2xx_not_stored": len(lost),
            "lost_event_ids": lost[:10],
            "broker_messages": queued,
            "answered_2xx_not_enqueued": None if queued is None else len(answered_ids) - queued,
        },
        "cpu": {
            "server_ms_per_delivery": round(server_cpu / max(len(measured), 1) * 1000, 3),
            "server_cores_busy": round(server_cpu / run["seconds"], 2),
            "load_generator_cores_busy": round(client_cpu / run["seconds"], 2),
            "machine_busy_share": round(busy / max(machine_after[1] - machine_before[1], 1), 3),
            # What every core of the machine could answer at this CPU cost per delivery.
            "ceiling_per_second_all_cores": round(
                (os.cpu_count() or 1) / max(server_cpu / max(len(measured), 1), 1e-9)
            ),
        },
    }
    say("what one delivery costs the server, by part (in this process)")
    figures["server_cost"] = server_cost(described, connection, options.repetitions)
    return figures


def _queued_messages(settings) -> int | None:
    """Messages waiting in the filesystem broker's folder (None for another broker)."""
    folder = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}).get("data_folder_out")
    return sum(1 for _ in Path(folder).glob("*.msg")) if folder else None


def server_cost(described: dict, connection, repetitions: int) -> dict:
    """Milliseconds per delivery of each part of the receive view, `repetitions` times each:
    the verifier alone, the inbox transaction alone, the enqueue alone, and the whole view
    through Django's handler and middleware (test client: no socket, no gunicorn)."""
    from django.db import connection as db
    from django.test import Client

    from integrations.inbox import webhook_event_store
    from integrations.providers.registry import get_provider
    from integrations.tasks import webhook_event_process
    from sandboxes.ecwid.events import SIGNATURE_HEADER

    verify = get_provider("ecwid").verify_webhook
    built = signed_deliveries(described, repetitions * 2, 0)
    parsed = []
    for _, raw in built:
        head, body = raw.split(b"\r\n\r\n", 1)
        signature = head.decode().split(f"{SIGNATURE_HEADER}: ", 1)[1].split("\r\n", 1)[0]
        parsed.append((body, {SIGNATURE_HEADER: signature}))

    def timed(work, items) -> dict:
        work(items[0])  # not timed: a first call builds what later ones reuse
        wall, cpu = time.perf_counter(), time.process_time()
        for item in items[1:]:
            work(item)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        count = max(len(items) - 1, 1)
        return {"wall_ms": ms(wall / count), "cpu_ms": ms(cpu / count)}

    def minus(a: dict, b: dict) -> dict:
        return {key: round(a[key] - b[key], 3) for key in a}

    events = []
    costs = {"verify": timed(lambda d: verify(*d), parsed[:repetitions])}

    def store(delivery):
        event = verify(*delivery)
        events.append(
            webhook_event_store(
                provider="ecwid",
                event_id=event.event_id,
                event_type=event.event_type,
                payload=event.payload,
                connections=event.connections,
            )[0]
        )

    costs["inbox_store"] = minus(timed(store, parsed[:repetitions]), costs["verify"])
    costs["enqueue"] = timed(lambda e: webhook_event_process.apply_async((e.pk,)), events)
    db.close()  # the view opens its own, as under gunicorn
    client = Client(HTTP_HOST="127.0.0.1")

    def view(delivery):
        body, headers = delivery
        client.post(
            f"/webhooks/ecwid/?eventtype={EVENT_TYPE}",
            data=body,
            content_type="application/json",
            headers=headers,
        )

    costs["whole_view"] = timed(view, parsed[repetitions:])
    rest = costs["whole_view"]
    for part in ("verify", "inbox_store", "enqueue"):
        rest = minus(rest, costs[part])
    costs["rest_of_request"] = rest
    costs["enqueue_share_of_view_cpu"] = round(
        costs["enqueue"]["cpu_ms"] / max(costs["whole_view"]["cpu_ms"], 1e-9), 3
    )
    costs["repetitions"] = repetitions
    return costs


# --- freshness ----------------------------------------------------------------------------------
def freshness_phase(options) -> dict:
    """In a process of its own, on PostgreSQL and Redis: the figures of item 6."""
    from sandboxes.ecwid import EcwidSandbox
    from sandboxes.highlevel import HighLevelSandbox
    from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
    from sync.models import RecordLink, Run
    from sync.services import flow_update

    bench_sync = _bench_sync()
    port, log_dir = free_port(), Path(options.scratch)
    highlevel = HighLevelSandbox(SandboxOptions(seed=0, random_seed=23), rsa_key_bits=2048)
    ecwid = EcwidSandbox(
        SandboxOptions(
            seed=options.changes + 2, random_seed=9, webhook_base=f"http://127.0.0.1:{port}"
        )
    )
    httpd, server, _ = start_in_thread([highlevel, ecwid])
    web = worker = None
    try:
        stats = SimpleNamespace(
            highlevel=highlevel,
            highlevel_stats=lambda: highlevel.stats.snapshot()["requests_by_route"],
        )
        bench = bench_sync.Bench(stats)
        flow = bench.flow(ecwid, "freshness")
        flow = flow_update(flow=flow, trigger_webhook=True)
        say(f"initial sync of {options.changes + 2} customers into HighLevel")
        synced, _ = bench.run_here(flow)
        synced_at = time.monotonic()
        links = dict(RecordLink.objects.filter(flow=flow).values_list("source_id", "target_id"))
        if synced["status"] != Run.Status.SUCCEEDED or len(links) < options.changes + 2:
            raise RuntimeError(f"The initial sync did not link every customer: {synced}")
        say("gunicorn and a Celery worker (realtime, celery queues; prefork, 2 processes)")
        web = gunicorn(port, log_dir, options.workers)
        worker = Service("celery", _celery_command(), log_dir)
        worker.wait_for(lambda: " ready." in worker.output(100_000), "'ready.' line")
        # Start after the initial sync's HighLevel requests left the 10 s window.
        time.sleep(max(0.0, 10.5 - (time.monotonic() - synced_at)))
        say(f"{options.changes} changes, one at a time")
        control = f"{ecwid.describe()['base_url']}/_control/customers"
        samples, before = [], highlevel.stats.snapshot()
        for index, (source_id, target_id) in enumerate(sorted(links.items())):
            if index >= options.changes + 2:
                break
            next_change = time.monotonic() + options.change_interval
            sample = _one_change(control, highlevel, source_id, target_id, index)
            if index >= 2:  # the first two wake the worker's imports and connections
                samples.append(sample)
            time.sleep(max(0.05, next_change - time.monotonic()))
        after = highlevel.stats.snapshot()
        # How long the sandbox's POST of each webhook to gunicorn took (its delivery log).
        posts = {
            str(entry["payload"]["entityId"]): entry["attempts"]
            for entry in ecwid.events.sender.deliveries()
        }
        for sample in samples:
            attempts = posts.get(sample["customer"]) or [{"durationMs": None}]
            sample["post_attempts"] = len(attempts)
            post = attempts[0]["durationMs"]
            sample["post_s"] = None if post is None else post / 1000
    finally:
        for service in (worker, web):
            if service is not None:
                service.stop()
        stop(httpd, server)
    for sample in samples:
        _stages(sample, flow)
    figures = _freshness_figures(samples, synced)
    figures["highlevel_requests_during_changes"] = {
        "total": after["requests_total"] - before["requests_total"],
        "by_status": _delta(before["responses_by_status"], after["responses_by_status"]),
        "by_route": _delta(before["requests_by_route"], after["requests_by_route"]),
        "limit": "100 per 10 s per location (the sandbox's default, HighLevel's)",
    }
    return figures


def _delta(before: dict, after: dict) -> dict:
    changed = {key: after[key] - before.get(key, 0) for key in after}
    return {key: count for key, count in changed.items() if count}


def _bench_sync():
    """bench/sync.py's set-up (Bench: user, workspace, connections, flows), loaded under
    another name: `import sync` would be the app."""
    spec = importlib.util.spec_from_file_location("bench_sync", ROOT / "bench" / "sync.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _celery_command() -> list[str]:
    return [
        *(sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO"),
        *("--queues=realtime,celery", "--concurrency=2", "--without-gossip", "--without-mingle"),
    ]


def _one_change(control: str, highlevel, source_id: str, target_id: str, index: int) -> dict:
    import requests

    name = "Fresh" + "".join(chr(97 + int(digit)) for digit in str(index))  # letters only
    changed_at, wall = time.perf_counter(), datetime.now(UTC)
    answer = requests.put(
        f"{control}/{source_id}", json={"billingPerson": {"firstName": name}}, timeout=10
    )
    answer.raise_for_status()
    visible = None
    while time.perf_counter() - changed_at < 15:
        contact = highlevel.store.get("contact", target_id) or {}
        if contact.get("firstName") == name:
            visible = time.perf_counter() - changed_at
            break
        time.sleep(0.005)
    return {"customer": source_id, "changed_at": wall, "visible_s": visible}


def _stages(sample: dict, flow) -> None:
    """When its webhook reached the inbox, its run started and finished (the app's clock:
    this machine's), in seconds after the change."""
    from integrations.models import WebhookEvent
    from sync.models import Run

    changed_at = sample.pop("changed_at")
    event = (
        WebhookEvent.objects.filter(
            provider="ecwid", payload__entityId=int(sample["customer"]), received_at__gte=changed_at
        )
        .order_by("received_at")
        .first()
    )
    run = (
        Run.objects.filter(flow=flow, queued_at__gte=changed_at, trigger=Run.Trigger.WEBHOOK)
        .order_by("queued_at")
        .first()
    )

    def after(moment) -> float | None:
        return None if moment is None else (moment - changed_at).total_seconds()

    sample["inbox_s"] = after(event and event.received_at)
    sample["run_started_s"] = after(run and run.started_at)
    sample["run_finished_s"] = after(run and run.finished_at)


def _freshness_figures(samples: list[dict], synced: dict) -> dict:
    seen = [s["visible_s"] for s in samples if s["visible_s"] is not None]

    def median(key: str) -> float | None:
        values = [s[key] for s in samples if s.get(key) is not None]
        return ms(statistics.median(values)) if values else None

    return {
        "changes": len(samples),
        "visible": len(seen),
        "not_visible_in_15_s": len(samples) - len(seen),
        "p50_ms": ms(percentile(seen, 0.50)),
        "p95_ms": ms(percentile(seen, 0.95)),
        "max_ms": ms(max(seen, default=None)),
        "median_stage_ms": {
            "inbox_row_stored": median("inbox_s"),
            "run_started": median("run_started_s"),
            "run_finished": median("run_finished_s"),
            "visible_in_highlevel": median("visible_s"),
            "webhook_post_took": median("post_s"),
        },
        # Each change: [visible, inbox row stored, run started, run finished] in ms after
        # it, and how long the sandbox's POST to gunicorn took.
        "samples_ms": [[ms(s.get(k)) for k in SAMPLE_KEYS] for s in samples],
        "webhook_retries": sum(s["post_attempts"] > 1 for s in samples),
        "initial_sync": {k: synced[k] for k in ("status", "created", "seconds")},
    }


# --- the parent: databases, phases, results -------------------------------------------------------
class Postgres:
    """Throwaway databases on a PostgreSQL server, dropped on close."""

    def __init__(self, server_url: str):
        import psycopg

        self.server_url = server_url
        self.admin = psycopg.connect(server_url, autocommit=True, connect_timeout=3)
        self.created: list[str] = []

    def create(self, label: str) -> str:
        name = f"bench_webhooks_{label}_{os.getpid()}"
        self.admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        self.admin.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.server_url.rsplit("/", 1)[0] + f"/{name}"

    def close(self) -> None:
        for name in self.created:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()


def run_phase(phase: str, options, scratch: Path, database_url: str, **env: str) -> dict:
    """A phase in a fresh process (its own Django settings), its figures from its last line."""
    command = [sys.executable, __file__, *sys.argv[1:], "--phase", phase]
    command += ["--phase-database", database_url, "--scratch", str(scratch)]
    # The embedded default unless the phase names Redis, whatever this shell has set.
    env = {"CELERY_BROKER_URL": "filesystem://", "CACHE_URL": "", "RATE_BUDGET_REDIS_URL": ""} | env
    scratch.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(  # noqa: S603
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, **env}, timeout=900
    )
    if done.returncode:
        raise RuntimeError(f"the {phase} phase failed (exit {done.returncode}), see above")
    return json.loads(done.stdout.strip().splitlines()[-1])


def phase_main(options) -> int:
    url = options.phase_database
    environment(
        url[len("sqlite:///") :] if url.startswith("sqlite:///") else None,
        **({} if url.startswith("sqlite:") else {"DATABASE_URL": url}),
        VAR_DIR=str(Path(options.scratch) / "var"),
        CELERY_BROKER_URL=os.environ.get("CELERY_BROKER_URL", "filesystem://"),
        **{k: os.environ.get(k, "") for k in ("CACHE_URL", "RATE_BUDGET_REDIS_URL")},
    )
    django_ready()
    # The filesystem transport has no host: kombu says so on every connection.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)
    figures = (ingress_phase if options.phase == "ingress" else freshness_phase)(options)
    print(json.dumps(figures, default=str))
    return 0


def redis_client(url: str):
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    client.ping()
    return client


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def build_checks(details: dict, targets) -> dict:
    """The figures beside their targets, from what was measured (None: not measured)."""
    targets = SimpleNamespace(**{k: _number(v) for k, v in vars(targets).items()})
    checks = {}
    for key, suffix in (("ingress_sqlite", ""), ("ingress_postgresql", "_postgresql")):
        ingress = details.get(key)
        if not ingress or "error" in ingress:
            if not suffix:
                checks["webhook_deliveries_per_second"] = check(None, f">= {targets.rate}", False)
                checks["webhook_p99_ms"] = check(None, f"< {targets.p99}", False)
            continue
        rate, p99 = ingress["deliveries_per_second"], ingress["latency_ms"]["p99"]
        checks[f"webhook_deliveries_per_second{suffix}"] = check(
            rate, f">= {targets.rate}", rate >= targets.rate
        )
        checks[f"webhook_p99_ms{suffix}"] = check(
            p99, f"< {targets.p99}", p99 is not None and p99 < targets.p99
        )
    runs = [details[k] for k in ("ingress_sqlite", "ingress_postgresql") if details.get(k)]
    measured = [run for run in runs if "inbox" in run]
    lost = sum(run["inbox"]["answered_2xx_not_stored"] for run in measured) if measured else None
    checks["webhooks_lost"] = check(lost, "= 0", lost == 0)
    fresh = details.get("freshness") or {}
    p95 = fresh.get("p95_ms")
    complete = p95 is not None and not fresh.get("not_visible_in_15_s")
    checks["freshness_p95_ms"] = check(
        p95, f"< {targets.freshness}", complete and p95 < targets.freshness
    )
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=5_000)
    parser.add_argument("--clients", type=int, default=4, help="load generator threads")
    parser.add_argument("--warmup", type=int, default=100, help="deliveries before measuring")
    parser.add_argument(
        "--repetitions", type=int, default=300, help="of each part, in the server-cost breakdown"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--time-limit", type=float, default=45, help="seconds: no delivery starts after them"
    )
    parser.add_argument("--changes", type=int, default=40, help="freshness samples; 0 skips")
    parser.add_argument(
        "--change-interval",
        type=float,
        default=0.5,
        help="seconds from one change to the next: each costs HighLevel ~3.5 requests, so "
        "0.5 s stays at ~70 %% of its 100 / 10 s",
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (throwaway databases are made there): ingress runs on it "
        f"too; freshness always needs one ({DEFAULT_POSTGRES} when not given)",
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help="flushed after the run")
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"ingress on PostgreSQL too ({DEFAULT_POSTGRES} unless --database-url names "
        "another) and no time limit on the load (bench/run.py --full)",
    )
    parser.add_argument("--target-rate", type=float, default=TARGET_RATE)
    parser.add_argument("--target-p99-ms", type=float, default=TARGET_P99_MS)
    parser.add_argument("--target-freshness-p95-ms", type=float, default=TARGET_FRESHNESS_P95_MS)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--phase", choices=["ingress", "freshness"], help=argparse.SUPPRESS)
    parser.add_argument("--phase-database", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.deliveries < 1 or options.clients < 1 or options.repetitions < 2:
        parser.error("--deliveries and --clients must be at least 1, --repetitions at least 2")
    if options.full:
        options.database_url = options.database_url or DEFAULT_POSTGRES
        options.time_limit = max(options.time_limit, 600)
    if options.phase:
        return phase_main(options)

    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    details: dict = {"options": {k: v for k, v in vars(options).items() if "phase" not in k}}
    # Other benchmarks may share the machine: their load lowers every figure here. And how
    # fast this machine runs plain Python, to compare figures taken on others.
    details["load_average_at_start"] = [round(value, 2) for value in os.getloadavg()]
    loop = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000
    details["calibration"] = {"sum_range_1000_us": round(loop * 1e6, 2)}
    details["options"].pop("scratch")
    details["options"]["out"] = str(options.out or "")
    say("ingress on SQLite, filesystem broker (the embedded default)")
    try:
        details["ingress_sqlite"] = run_phase(
            "ingress", options, scratch / "sqlite", f"sqlite:///{scratch / 'ingress.sqlite3'}"
        )
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as error:
        details["ingress_sqlite"] = {"error": str(error)}

    server = options.database_url or DEFAULT_POSTGRES
    postgres = None
    try:
        if options.database_url or options.changes:
            postgres = Postgres(server)
    except Exception as error:
        reason = f"PostgreSQL at {_safe(server)} did not answer: {type(error).__name__}: {error}"
        say(reason)
        details["postgresql"] = reason
    try:
        if options.database_url and postgres:
            say("ingress on PostgreSQL, filesystem broker")
            try:
                details["ingress_postgresql"] = run_phase(
                    "ingress", options, scratch / "pg", postgres.create("ingress")
                )
            except (RuntimeError, subprocess.TimeoutExpired, ValueError) as error:
                details["ingress_postgresql"] = {"error": str(error)}
        details["freshness"] = _freshness(options, postgres, scratch)
    finally:
        if postgres:
            postgres.close()

    details["bench_seconds"] = round(time.perf_counter() - started, 1)
    targets = SimpleNamespace(
        rate=options.target_rate,
        p99=options.target_p99_ms,
        freshness=options.target_freshness_p95_ms,
    )
    checks = build_checks(details, targets)
    out = write_results("webhooks", checks, details, options.out)
    print_checks("Webhooks: ingress (gunicorn) and freshness (Ecwid -> HighLevel)", checks)
    _summary(details)
    print(f"\nwrote {out}")
    failed = [key for key, value in details.items() if isinstance(value, dict) and "error" in value]
    if failed:  # the logs of gunicorn and the worker stay for a look
        print(f"{', '.join(failed)} failed; logs in {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if "error" in details["ingress_sqlite"] else 0


def _freshness(options, postgres, scratch: Path) -> dict:
    if not options.changes:
        return {"skipped": "--changes 0"}
    if postgres is None:
        return {"skipped": "PostgreSQL is not reachable: freshness needs it (see `postgresql`)"}
    try:
        redis = redis_client(options.redis_url)
    except Exception as error:
        return {
            "skipped": f"Redis at {_safe(options.redis_url)} did not answer: "
            f"{type(error).__name__}: {error}"
        }
    keys_before = redis.dbsize()
    say("freshness on PostgreSQL + Redis")
    url = options.redis_url
    try:
        figures = run_phase(
            "freshness",
            options,
            scratch / "fresh",
            postgres.create("freshness"),
            CELERY_BROKER_URL=url,
            CACHE_URL=url,
            RATE_BUDGET_REDIS_URL=url,
        )
    except (RuntimeError, subprocess.TimeoutExpired, ValueError) as error:
        figures = {"error": str(error)}
    finally:
        redis.flushdb()
    figures["redis"] = {"url": _safe(url), "keys_before": keys_before, "flushed_after": True}
    return figures


def _safe(url: str) -> str:
    """A URL without its password, for the results."""
    head, at, tail = url.rpartition("@")
    return f"{head.split('//')[0]}//…@{tail}" if at and ":" in head.split("//")[-1] else url


def _summary(details: dict) -> None:
    for key in ("ingress_sqlite", "ingress_postgresql"):
        run = details.get(key)
        if not run:
            continue
        if "error" in run:
            print(f"\n{key}: not measured: {run['error']}")
            continue
        cost, cpu, inbox = run["server_cost"], run["cpu"], run["inbox"]
        print(
            f"\n{key}: {run['deliveries']:,} deliveries in {run['seconds']} s "
            f"({run['deliveries_per_second']}/s), latency {run['latency_ms']}; statuses "
            f"{run['statuses']}; inbox {inbox['events_stored']:,} events (warm-up included), "
            f"{inbox['answered_2xx_not_stored']} lost, broker messages {inbox['broker_messages']}"
            f"\n  server CPU {cpu['server_ms_per_delivery']} ms/delivery, cores busy: server "
            f"{cpu['server_cores_busy']}, load generator {cpu['load_generator_cores_busy']}, "
            f"machine {cpu['machine_busy_share']:.0%}"
            f"\n  CPU per delivery in-process: verify {cost['verify']['cpu_ms']} ms, inbox "
            f"{cost['inbox_store']['cpu_ms']} ms, enqueue {cost['enqueue']['cpu_ms']} ms, whole "
            f"view {cost['whole_view']['cpu_ms']} ms (enqueue "
            f"{cost['enqueue_share_of_view_cpu']:.0%} of it)"
        )
    fresh = details.get("freshness") or {}
    if "p95_ms" in fresh:
        print(
            f"\nfreshness: {fresh['visible']}/{fresh['changes']} changes visible, p50 "
            f"{fresh['p50_ms']} ms, p95 {fresh['p95_ms']} ms, max {fresh['max_ms']} ms; "
            f"median stages {fresh['median_stage_ms']}"
        )
    else:
        print(f"\nfreshness: not measured: {fresh.get('skipped') or fresh.get('error')}")
    print(f"bench time: {details['bench_seconds']} s")


if __name__ == "__main__":
    sys.exit(main())
