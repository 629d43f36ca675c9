"""The webhook receiver as production runs it (gunicorn, `config.wsgi`) on the test database,
and a sender that posts signed Ecwid deliveries to it the way Ecwid does: each on its own
connection, and again after any answer that is not 2xx (a 503 while the database is gone)
until it is accepted.

The receiver's database connections are named (application_name) so a test can cut only
them off: `receiver_cut_off()` refuses new connections to the test database and ends the
receiver's, for a few seconds, while the test process and the workers keep theirs."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings as django_settings
from django.db import connection

from sandboxes.ecwid.events import SIGNATURE_HEADER, signature
from tests.support import worker_database_url

ROOT = Path(__file__).resolve().parents[2]
APPLICATION_NAME = "rel-webhook-receiver"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post_raw(port: int, raw: bytes, timeout: float = 30) -> tuple[int, bytes]:
    """One request on a new connection, read to the server's close: (status, answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(raw)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    return (int(answer[9:12]) if answer[:5] == b"HTTP/" else 0), answer


class Receiver:
    """`gunicorn config.wsgi` with `workers` sync workers on the test database and the
    suite's broker; `stop()` ends its process group."""

    def __init__(self, log_dir: Path, *, workers: int = 4):
        self.port = _free_port()
        self.log_path = log_dir / "gunicorn.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        env = {
            **os.environ,
            "DATABASE_URL": f"{worker_database_url()}?application_name={APPLICATION_NAME}",
            "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"gunicorn did not start:\n{self.output()}")
            time.sleep(0.2)

    def _healthy(self) -> bool:
        with contextlib.suppress(OSError):
            request = b"GET /health/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            return post_raw(self.port, request, timeout=5)[0] == 200
        return False

    def output(self, tail: int = 4000) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")[-tail:]

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        self.log.close()


# --- deliveries ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delivery:
    event_id: str
    entity_id: int
    raw: bytes  # the whole HTTP request


def ecwid_delivery(described: dict, port: int, event_id: str, entity_id: int, created: int):
    """A customer.updated webhook signed as the Ecwid sandbox signs it."""
    event_type = "customer.updated"
    body = json.dumps(
        {
            "eventId": event_id,
            "eventCreated": created,
            "storeId": described["store_id"],
            "entityId": entity_id,
            "eventType": event_type,
            "data": {"customerId": entity_id},
        }
    ).encode()
    head = (
        f"POST /webhooks/ecwid/?eventtype={event_type} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"{SIGNATURE_HEADER}: {signature(described['client_secret'], created, event_id)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return Delivery(event_id, entity_id, head.encode() + body)


@dataclass
class Sent:
    """What the sender saw: per delivery its final status and tries, and every status."""

    final: list[int | None]
    tries: list[int]
    answers: Counter = field(default_factory=Counter)  # "received" / "duplicate" (2xx only)
    statuses: Counter = field(default_factory=Counter)  # every answer, retries included
    seconds: float = 0.0

    @property
    def retried(self) -> int:
        return sum(1 for tries in self.tries if tries > 1)


class Sender:
    """Posts `deliveries` from `clients` threads; a delivery answered anything but 2xx (or not
    at all) is sent again after a short wait, as a provider's retry would, until `give_up`
    seconds have passed. `progress` counts deliveries accepted so far (for a test that
    breaks something halfway)."""

    def __init__(self, port: int, deliveries: list[Delivery], *, clients: int = 8):
        self.port, self.deliveries, self.clients = port, deliveries, clients
        self.accepted = 0
        self._lock = threading.Lock()
        self.sent = Sent(final=[None] * len(deliveries), tries=[0] * len(deliveries))
        self._thread: threading.Thread | None = None

    def _one(self, index: int, deadline: float, rng: random.Random) -> None:
        sent, raw = self.sent, self.deliveries[index].raw
        while True:
            sent.tries[index] += 1
            try:
                status, answer = post_raw(self.port, raw)
            except OSError:
                status, answer = 0, b""
            with self._lock:
                sent.statuses[status] += 1
                if 200 <= status < 300:
                    outcome = "duplicate" if b'"duplicate"' in answer else "received"
                    sent.answers[outcome] += 1
                    sent.final[index] = status
                    self.accepted += 1
                    return
            if time.monotonic() > deadline:
                sent.final[index] = status
                return
            # A real sender honours Retry-After (10 s) and backs off for hours; a test
            # cannot wait that long, so it retries soon, with jitter.
            time.sleep(0.2 + rng.random() * 0.3)

    def run(self, give_up: float = 300) -> Sent:
        counter = itertools.count()
        deadline = time.monotonic() + give_up

        def client(number: int) -> None:
            rng = random.Random(number)
            while (index := next(counter)) < len(self.deliveries):
                self._one(index, deadline, rng)

        started = time.monotonic()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.sent.seconds = time.monotonic() - started
        return self.sent

    def start(self, give_up: float = 300) -> None:
        self._thread = threading.Thread(target=self.run, args=(give_up,))
        self._thread.start()

    def join(self, timeout: float = 600) -> Sent:
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the sender did not finish"
        return self.sent


# --- cutting the receiver off its database -------------------------------------------------------
def _admin():
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "localhost",
        port=db["PORT"] or 5432,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    )


@contextlib.contextmanager
def receiver_cut_off():
    """While inside: the test database accepts no new connection and the receiver's are
    ended (its next request finds its connection dead, cannot open another: 503). The test
    process and the workers keep the connections they hold. Always allowed again after."""
    name = connection.settings_dict["NAME"]
    with _admin() as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        try:
            ended = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND application_name = %s",
                (name, APPLICATION_NAME),
            ).fetchone()[0]
            yield ended
        finally:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
