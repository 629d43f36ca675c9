"""What the reliability tests share: real Celery worker processes that a test can kill,
the Ecwid and HighLevel sandboxes over real HTTP, a live Ecwid → HighLevel flow, and waits.

Workers are separate process groups (a prefork worker's children die with it on SIGKILL,
as they would when a machine or container goes away), on the test database and the
suite's broker (Redis in CI's second pass)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import requests
from django.conf import settings as django_settings
from django.utils import timezone

from sandboxes.ecwid import connection_values as ecwid_values
from sandboxes.ecwid.app import EcwidSandbox
from sandboxes.highlevel import HighLevelSandbox
from sandboxes.highlevel import connection_values as highlevel_values
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.support import worker_database_url

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10
READ_WRITE = ["contacts.readonly", "contacts.write", "locations/customFields.readonly"]


def wait_for(check: Callable[[], object], what: str, timeout: float = 120, every: float = 0.2):
    """Poll `check` until it returns something truthy (returned); fail saying `what` was
    awaited and for how long."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(every)


# --- workers ------------------------------------------------------------------------------------
def _die_with_parent() -> None:
    """In the worker's process, before celery starts: SIGKILL when the test process dies
    (a timeout's kill, a Ctrl-C), so no orphan goes on taking the broker's messages."""
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Worker:
    """One `celery worker` process group; `kill()` is a SIGKILL of the whole group."""

    def __init__(
        self,
        name: str,
        log_dir: Path,
        *,
        pool: str,
        concurrency: int,
        queues: str,
        env: dict[str, str] | None = None,
    ):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()/kill()
        env = {
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
            **(env or {}),  # a test's own settings for the worker (DIAGNOSTICS_RECORD_CALLS...)
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                f"--queues={queues}",
                f"--hostname={name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: kill() reaches the children
            preexec_fn=_die_with_parent,  # a test killed outright leaves no worker behind
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker and its pool children: no shutdown, no acks, no cleanup."""
        if self.alive:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log.flush()

    def stop(self, timeout: float = 20) -> None:
        if self.alive:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self.log.flush()

    def output(self, tail: int = 4000) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-tail:]


class Workers:
    """Starts workers for one test and stops every one of them at its end."""

    def __init__(self):
        self.scratch = tempfile.TemporaryDirectory(prefix="reliability-workers-")
        self.started: list[Worker] = []

    def start(
        self,
        *,
        pool: str = "prefork",
        concurrency: int = 2,
        queues: str = "realtime,bulk,celery",
        env: dict[str, str] | None = None,
    ) -> Worker:
        """`env`: environment variables the worker gets on top of this process's."""
        worker = Worker(
            f"w{len(self.started) + 1}",
            Path(self.scratch.name),
            pool=pool,
            concurrency=concurrency,
            queues=queues,
            env=env,
        )
        self.started.append(worker)
        return worker

    def close(self) -> str:
        """Stop them all; returns the end of each one's log (printed on a failure)."""
        report = []
        for worker in self.started:
            worker.stop()
            keep = os.environ.get("RELIABILITY_KEEP_LOGS")  # a folder: whole logs kept there
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(worker.log_path, Path(keep) / worker.log_path.name)
            report.append(f"--- worker {worker.name} ---\n{worker.output()}")
            worker.log.close()
        self.scratch.cleanup()
        return "\n".join(report)


def beat_requeue_stale() -> list[int]:
    """What the stale-run beat does ten minutes after a worker died: requeue its runs (they
    resume from their cursor) and enqueue them. Run in the test's process, as beat would."""
    from sync import triggers
    from sync.runs import STALE_AFTER
    from sync.tasks import run_flow

    run_ids = triggers.runs_requeue_stale(now=timezone.now() + STALE_AFTER + timedelta(seconds=1))
    for run_id in run_ids:
        run_flow.delay(run_id)
    return run_ids


# --- sandboxes ----------------------------------------------------------------------------------
class Sandboxes:
    """Ecwid (seeded with `customers`) and HighLevel (empty), served from one thread of this
    process over real HTTP, with rate limits out of the way unless a test sets them; webhooks
    go to `webhook_base` + /webhooks/<provider>/ when given."""

    def __init__(self, *, customers: int, random_seed: int = 7, webhook_base: str | None = None):
        options = SandboxOptions(seed=customers, random_seed=random_seed, webhook_base=webhook_base)
        self.ecwid = EcwidSandbox(
            options,
            rate_limit=1_000_000,
            webhook_base_delay_ms=200,
            webhook_max_delay_ms=2_000,
        )
        self.highlevel = HighLevelSandbox(
            SandboxOptions(seed=0, random_seed=random_seed, webhook_base=webhook_base),
            rsa_key_bits=2048,
            burst_limit=1_000_000,
            webhook_base_delay_ms=200,
            webhook_max_delay_ms=2_000,
        )
        self.httpd, self.server, self.base_url = start_in_thread([self.ecwid, self.highlevel])
        self.ecwid_described = self.ecwid.describe()
        self.highlevel_described = self.highlevel.describe()

    def close(self) -> None:
        stop(self.httpd, self.server)

    # control panels
    def control(self, app, method: str = "GET", path: str = "", **kwargs) -> dict:
        url = app.describe()["control_url"] + path
        response = requests.request(method, url, timeout=TIMEOUT, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

    def knobs(self, app, **changes) -> dict:
        return self.control(app, "POST", json=changes)

    def stats(self, app) -> dict:
        return self.control(app)["stats"]

    # what the systems hold and answered
    def highlevel_writes(self) -> dict[str, int]:
        """Requests HighLevel answered that may change something, by route."""
        routes = self.stats(self.highlevel)["requests_by_route"]
        return {
            route: n
            for route, n in routes.items()
            if not route.startswith("GET ") and route != "POST /contacts/search"
        }

    def ecwid_notes(self) -> int:
        """How many Ecwid customers have a private note (each becomes one HighLevel note)."""
        from sandboxes.ecwid.state import CUSTOMER

        with self.ecwid.state.lock:
            return sum(bool(doc.get("privateAdminNotes")) for doc in self.ecwid.store.all(CUSTOMER))

    def highlevel_contacts(self) -> list[dict]:
        """Every contact of the sandbox's first location, straight from its memory."""
        location = self.highlevel_described["location_id"]
        with self.highlevel.lock:
            return [c for c in self.highlevel.data.contacts.values() if c["locationId"] == location]

    # connections, as "Use sandbox" makes them
    def ecwid_connection(self, workspace):
        from tests.factories import ConnectionFactory

        credentials, values = ecwid_values(self.ecwid_described)
        return ConnectionFactory(
            workspace=workspace, provider="ecwid", settings=values, credentials=credentials
        )

    def highlevel_connection(self, workspace):
        """A Private Integration Token connection."""
        from tests.factories import ConnectionFactory

        credentials, values = highlevel_values(self.highlevel_described)
        return ConnectionFactory(
            workspace=workspace,
            provider="highlevel",
            name="HighLevel sandbox",
            settings=values,
            credentials=credentials,
            scopes=READ_WRITE,
        )

    def highlevel_oauth_connection(self, workspace, *, expires_in: int | None = None):
        """A connection holding an OAuth pair the sandbox issued (no consent pages)."""
        connection = self.highlevel_connection(workspace)
        connection.set_credentials({})
        connection.save()
        return self.highlevel_grant_store(connection, expires_in=expires_in)

    def highlevel_grant_store(self, connection, *, expires_in: int | None = None):
        """A fresh OAuth pair the sandbox issues, stored on `connection` as the wizard stores
        a code exchange's (a first connect, or a reconnect)."""
        from integrations.providers.highlevel import auth

        spec: dict = {"kind": "oauth", "scopes": READ_WRITE}
        if expires_in is not None:
            spec["expires_in"] = expires_in
        answer = self.control(self.highlevel, "POST", json={"issue_token": spec})
        issued = answer["result"]["issued"]
        grant = auth.TokenGrant(
            access_token=issued["access_token"],
            refresh_token=issued["refresh_token"],
            expires_at=timezone.now() + timedelta(seconds=issued["expires_in"]),
            scopes=issued["scope"].split(),
            location_id=issued["locationId"],
            company_id="",
            user_type=issued["userType"],
            user_id="",
        )
        described = self.highlevel_described
        return auth.store_grant(
            connection,
            client_id=described["client_id"],
            client_secret=described["client_secret"],
            grant=grant,
        )


def store_to_highlevel(workspace, owner, source, target, **fields):
    """A live Ecwid → HighLevel flow with the preset mapping, saved through the services."""
    from mappings.services import mapping_create
    from sync.models import Flow
    from sync.services import flow_create

    mapping = mapping_create(
        workspace=workspace,
        user=owner,
        name=fields.pop("mapping_name", "Ecwid to HighLevel"),  # several flows: name each
        source_provider="ecwid",
        target_provider="highlevel",
        source_connection=source,
        target_connection=target,
    )
    assert mapping.is_healthy, mapping.problems
    flow = flow_create(
        workspace=workspace,
        name=f"Customers into HighLevel {Flow.objects.count() + 1}",
        source_connection=source,
        target_connection=target,
        mapping=mapping,
        trigger_webhook=fields.pop("trigger_webhook", False),
    )
    flow.mode = Flow.Mode.LIVE
    for name, value in fields.items():
        setattr(flow, name, value)
    flow.save()
    return flow
