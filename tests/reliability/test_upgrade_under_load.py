"""Upgrades under load (docs/upgrades.md): `manage.py migrate` adds columns to the tables a
running sync writes on every batch (sync_runitem, sync_recordlink) while the old release's
prefork workers keep writing them, and nothing is lost, failed or stalled for long.

The migrations are real ones, applied the documented way: a separate `manage.py migrate`
process with `PGOPTIONS="-c lock_timeout=…"`, loading the project's sync migrations plus two
new ones (MIGRATION_MODULES pointing at a copy of the sync migrations in a temporary
package). The columns they add are the expand kind (tests/config/test_migration_safety.py):
one with a database default, one nullable, so the old code's INSERTs (which do not name
them) go on working.

Why lock_timeout: ALTER TABLE needs the table to itself. Behind a long reader (a backup, a
report) it waits, and every worker write queues behind the waiting ALTER: the test measures
that stall without a lock timeout (sampling pg_stat_activity for workers waiting on a
lock), then shows that with one, migrate gives up after the timeout (run it again later) and
no worker waits on a lock much longer than the timeout.

The contract half: a NOT NULL column without a database default (Django's `default=` only)
breaks the old code's INSERTs. Shown on the side, in a rolled-back transaction."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import psycopg
import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, migrations, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.utils import timezone

from sync.models import RecordLink, Run, RunItem
from sync.runs import run_start
from sync.tasks import run_flow
from tests.config.test_migration_safety import (
    latest,
    migration_source,
    migrations_copy,
    operation_problem,
)
from tests.reliability.support import ROOT, store_to_highlevel, wait_for
from tests.support import worker_database_url

CUSTOMERS = 2_000
# HighLevel answers slowly while the test upgrades (the run is sure to be in its middle),
# then at full speed for the rest of the run.
UPGRADE_LATENCY_MS = 30
LOCK_TIMEOUT_S = 2  # the test's; docs/upgrades.md advises 5 s in production
HOLD_S = 5  # how long a worker waits behind the "backup" before it lets go

EXPAND = {
    # A database default: the old code's INSERTs get it; the new code may rely on a value.
    "9001_runitem_attempt": (
        "migrations.AddField('runitem', 'attempt', models.PositiveIntegerField(db_default=1))"
    ),
    # Nullable: the old code's INSERTs leave it NULL. One hot table per migration, so no
    # migration holds one table's lock while it waits for the next one's.
    "9002_recordlink_checked_at": (
        "migrations.AddField('recordlink', 'checked_at', models.DateTimeField(null=True))"
    ),
}


def _migrate(settings_dir: str, *target: str, lock_timeout: int | None) -> tuple[int, str]:
    """`manage.py migrate sync [target]` as a deploy runs it: (exit code, output)."""
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "DJANGO_SETTINGS_MODULE": "upgrade_settings",
        "PYTHONPATH": os.pathsep.join([settings_dir, str(ROOT)]),
        "PGAPPNAME": "upgrade-migrate",  # not a worker, for LockWaits
    }
    if lock_timeout is not None:
        env["PGOPTIONS"] = f"-c lock_timeout={lock_timeout}s"
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "sync", *target, "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def _connect(name: str) -> psycopg.Connection:
    return psycopg.connect(worker_database_url(), application_name=name)


class LockWaits:
    """Samples PostgreSQL every 50 ms for the workers' statements waiting on a lock and
    keeps the longest wait seen in each phase (`phase = "..."`) of the test."""

    QUERY = """
        SELECT coalesce(max(extract(epoch FROM clock_timestamp() - query_start)), 0)
        FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'
          AND application_name NOT LIKE 'upgrade-%%'
    """

    def __init__(self):
        self.phase = "calm"
        self.longest: dict[str, float] = {}
        self._stop = threading.Event()
        self._db = _connect("upgrade-monitor")
        self._db.autocommit = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            (waited,) = self._db.execute(self.QUERY).fetchone()
            phase = self.phase
            self.longest[phase] = max(self.longest.get(phase, 0.0), float(waited))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._db.close()


class Backup:
    """A long reader holding ACCESS SHARE on the hot tables, as pg_dump does for its whole
    run: writes go on beside it, an ALTER TABLE has to wait for it."""

    def __init__(self):
        self.db = _connect("upgrade-backup")
        self.db.execute("SELECT count(*) FROM sync_runitem, sync_recordlink WHERE false")

    def end(self) -> None:
        self.db.rollback()
        self.db.close()


def _alter_without_lock_timeout() -> None:
    with _connect("upgrade-stall") as db:
        db.execute("ALTER TABLE sync_runitem ADD COLUMN stall_probe integer")
        db.rollback()


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_columns_added_while_workers_sync(
    workers, sandboxes_factory, workspace, owner, tmp_path, monkeypatch
):
    clock = {"start": time.monotonic()}
    boxes = sandboxes_factory(customers=CUSTOMERS)
    boxes.knobs(boxes.highlevel, latency_ms=UPGRADE_LATENCY_MS)
    flow = store_to_highlevel(
        workspace, owner, boxes.ecwid_connection(workspace), boxes.highlevel_connection(workspace)
    )
    released = after = latest("sync")  # the running release's newest migration
    sources = {}
    for name, operations in EXPAND.items():
        sources[name] = migration_source(operations, after=after)
        after = ("sync", name)
    package = migrations_copy(tmp_path, "sync", sources)
    monkeypatch.syspath_prepend(str(tmp_path))  # for the reversal, in this process
    (tmp_path / "upgrade_settings.py").write_text(
        f"from config.settings import *  # noqa\nMIGRATION_MODULES = {{'sync': {package!r}}}\n"
    )

    worker = workers.start(pool="prefork", concurrency=2)
    run = run_start(flow=flow, trigger="manual")
    run_flow.delay(run.pk)
    waits = LockWaits()
    try:
        wait_for(
            lambda: Run.objects.get(pk=run.pk).processed >= 150, "the run to be under way", 120
        )

        clock["warm"] = time.monotonic()
        # 1. No lock timeout, behind a backup: the ALTER waits, the workers wait behind it.
        waits.phase = "no lock_timeout"
        backup = Backup()
        alter = threading.Thread(target=_alter_without_lock_timeout)
        alter.start()
        try:
            # Held until a worker has waited HOLD_S (it would wait as long as the backup does).
            wait_for(lambda: waits.longest.get(waits.phase, 0) >= HOLD_S, "a worker to wait", 60)
        finally:
            backup.end()
        alter.join(timeout=60)

        clock["stall"] = time.monotonic()
        # 2. The documented way, behind the same backup: migrate gives up after the lock
        # timeout, and the workers wait no longer than that.
        waits.phase = "refused"
        backup = Backup()
        try:
            code, refused = _migrate(str(tmp_path), lock_timeout=LOCK_TIMEOUT_S)
        finally:
            backup.end()
        assert code != 0 and "lock timeout" in refused, refused

        clock["refused"] = time.monotonic()
        # 3. Run again with nothing in the way: it goes through.
        waits.phase = "applied"
        code, applied = _migrate(str(tmp_path), lock_timeout=LOCK_TIMEOUT_S)
        assert code == 0, applied
        clock["applied"] = time.monotonic()
        waits.phase = "after"
        upgraded_at = timezone.now()
        at_upgrade = Run.objects.get(pk=run.pk)
        assert at_upgrade.status == Run.Status.RUNNING, "the run ended before the upgrade"
        boxes.knobs(boxes.highlevel, latency_ms=0)

        def finished() -> bool:
            # An INSERT the new schema refused would leave the run "running" until the
            # stale-run beat: fail at the first error in the worker's log instead.
            log = worker.output(tail=1_000_000)
            assert "Traceback" not in log, log[-4000:]
            return Run.objects.get(pk=run.pk).status not in ("queued", "running")

        wait_for(finished, "the run to finish", 180, every=0.5)
        run.refresh_from_db()
        clock["finished"] = time.monotonic()
        # What the old code's INSERTs left in the new columns (before they go again below).
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), count(*) FILTER (WHERE attempt = 1) FROM sync_runitem"
                " WHERE run_id = %s AND created_at > %s",
                [run.pk, upgraded_at],
            )
            written_after, with_default = cursor.fetchone()
            cursor.execute(
                "SELECT count(*) FROM sync_recordlink WHERE flow_id = %s AND checked_at IS NULL",
                [flow.pk],
            )
            (links_null,) = cursor.fetchone()
    finally:
        waits.close()
        # Contract, as far as this test goes: the columns go again (the migrations reversed:
        # RemoveField), so later tests on this database find the schema they expect.
        worker.stop()
        with override_settings(MIGRATION_MODULES={"sync": package}):
            call_command("migrate", "sync", released[1], verbosity=0)

    # Every contact once, nothing failed, no error in the workers' logs.
    assert run.status == Run.Status.SUCCEEDED, run.message
    assert (run.processed, run.created, run.failed) == (CUSTOMERS, CUSTOMERS, 0)
    contacts = boxes.highlevel_contacts()
    assert len(contacts) == CUSTOMERS
    assert len({c["email"] for c in contacts}) == CUSTOMERS
    assert RecordLink.objects.filter(flow=flow).count() == CUSTOMERS
    assert RunItem.objects.filter(run=run).count() == CUSTOMERS
    assert not RunItem.objects.filter(run=run, outcome=RunItem.Outcome.FAILED).exists()
    log = worker.output(tail=1_000_000)
    assert "ERROR" not in log and "Traceback" not in log, log[-4000:]

    # The old code went on writing after the upgrade; its INSERTs got the new columns'
    # database default (attempt = 1) and NULL (checked_at).
    assert written_after > 0 and with_default == written_after
    assert links_null == CUSTOMERS
    print("seconds from the start:", {k: round(v - clock["start"], 1) for k, v in clock.items()})
    print(
        f"{CUSTOMERS} contacts, {at_upgrade.processed} done when the columns were added, "
        f"{written_after} written by the old code after; workers' longest lock wait: "
        + ", ".join(f"{phase} {seconds:.2f} s" for phase, seconds in waits.longest.items())
    )
    assert at_upgrade.processed < CUSTOMERS
    # Without a lock timeout the workers wait as long as the backup holds its lock...
    assert waits.longest["no lock_timeout"] >= HOLD_S
    # ...with one, never much longer than the timeout.
    assert waits.longest["refused"] <= LOCK_TIMEOUT_S + 1
    assert waits.longest["applied"] <= LOCK_TIMEOUT_S + 1
    assert waits.longest.get("after", 0.0) < 1


# --- contract: what would break the old code ----------------------------------------------
def _old_code_insert(run: Run) -> None:
    """What the old release's runner does every batch (sync/batches.py, _commit)."""
    RunItem.objects.bulk_create([RunItem(run=run, source_id="x1", outcome="created")])


COLUMNS = {
    "nullable": (models.PositiveIntegerField(null=True), True),
    "db_default": (models.PositiveIntegerField(db_default=1), True),
    "python default only": (models.PositiveIntegerField(default=1), False),
}


@pytest.mark.parametrize("kind", COLUMNS)
def test_which_new_columns_the_old_code_survives(db, workspace, kind):
    """Applied with Django's own AddField on the live schema inside a transaction that is
    rolled back: the old code's INSERT works beside a nullable or db_default column and
    fails beside a NOT NULL one that has only a Python default (Django drops the database
    default after filling existing rows). The migration checker says the same."""
    from tests.factories import FlowFactory, RunFactory

    field, survives = COLUMNS[kind]
    operation = migrations.AddField("runitem", "attempt", field)
    run = RunFactory(flow=FlowFactory(workspace=workspace))
    _old_code_insert(run)  # a row already there, as on any live database

    loader = MigrationExecutor(connection).loader
    before = loader.project_state(latest("sync"))
    after = before.clone()
    operation.state_forwards("sync", after)
    checker = operation_problem(
        operation, app="sync", state_before=before, created=set(), contract=""
    )
    assert (checker is None) == survives, checker

    class Rollback(Exception):
        pass

    inserted = None
    with pytest.raises(Rollback), transaction.atomic():
        with connection.cursor() as cursor:  # the row's deferred FK checks, done now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with connection.schema_editor(atomic=False) as editor:
            operation.database_forwards("sync", editor, before, after)
        try:
            with transaction.atomic():
                _old_code_insert(run)
            inserted = True
        except IntegrityError as error:
            inserted = False
            assert "attempt" in str(error)
        raise Rollback
    assert inserted is survives
    columns = [
        c.name
        for c in connection.introspection.get_table_description(connection.cursor(), "sync_runitem")
    ]
    assert "attempt" not in columns  # rolled back: the schema is as it was
