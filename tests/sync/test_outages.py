"""A run that meets the database gone for a moment waits for it and goes on from its last
committed batch (sync/outages.py). Here the outage is one failing commit; the real thing — a
PostgreSQL restart — is tests/reliability/test_database_gone.py."""

import pytest
from django.db import OperationalError

import sync.batches as batches
import sync.runner as runner
from sync import outages
from sync.models import RecordLink, Run, RunItem
from sync.runner import run_execute
from sync.runs import run_start
from tests.sync.conftest import ecwid_to_highlevel


@pytest.fixture
def flow(sandboxes, transactional_db, workspace, owner):
    # Transactional: the runner's wait happens outside any transaction, as in a worker.
    return ecwid_to_highlevel(workspace, owner)


def _failing_commit(monkeypatch, at: int):
    """The `at`-th batch's commit raises as a dropped connection does (after the batch's
    work: its writes reached HighLevel, its bookkeeping is lost)."""
    real, calls = batches.links_save, {"n": 0}

    def links_save(**kwargs):
        calls["n"] += 1
        if calls["n"] == at:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(batches, "links_save", links_save)
    return calls


def test_a_run_waits_for_the_database_and_goes_on_from_its_last_batch(flow, monkeypatch):
    monkeypatch.setattr(runner, "BATCH", 10)
    calls = _failing_commit(monkeypatch, at=2)
    waited = []
    monkeypatch.setattr(outages, "database_back", lambda **_: waited.append(1) or True)

    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)

    assert waited == [1] and calls["n"] > 2
    assert run.status == Run.Status.SUCCEEDED, run.message
    assert run.message.startswith("Paused") and "last saved batch" in run.message
    # One run, each record once in it; the lost batch was read again and found written.
    items = list(RunItem.objects.filter(run=run).values_list("source_id", flat=True))
    assert len(items) == len(set(items)) == run.processed
    links = RecordLink.objects.filter(flow=flow)
    assert links.count() == len(set(links.values_list("target_id", flat=True))) == run.processed


def test_a_database_that_does_not_come_back_fails_the_task(flow, monkeypatch):
    """The task dies; the run stays running without a heartbeat and the stale-run beat
    requeues it later (never two workers on it: the wait is shorter than STALE_AFTER)."""
    from sync.runs import STALE_AFTER

    assert STALE_AFTER.total_seconds() > outages.DATABASE_WAIT_SECONDS
    _failing_commit(monkeypatch, at=1)
    monkeypatch.setattr(outages, "database_back", lambda **_: False)
    run = run_start(flow=flow, trigger="manual")
    with pytest.raises(OperationalError):
        run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == Run.Status.RUNNING and run.in_flight


def test_database_back_polls_until_a_query_works(transactional_db, monkeypatch):
    from django.db import connection

    answers = iter([OperationalError("refused"), OperationalError("refused"), None])
    real_cursor = connection.cursor

    def cursor():
        answer = next(answers)
        if answer is not None:
            raise answer
        return real_cursor()

    slept = []
    monkeypatch.setattr(connection, "cursor", cursor)
    assert outages.database_back(within=60, sleep=slept.append)
    assert slept == [0.5, 1.0]  # backing off
    answers = iter([OperationalError("refused")] * 10)
    assert not outages.database_back(within=1.2, sleep=slept.append)
    monkeypatch.undo()  # before the database is flushed for the next test


def test_changes_caught_by_an_outage_are_applied_once_it_is_back(flow, monkeypatch):
    """changes_process: the chunk's run stops with the database; once it is back the run
    says so and its changes are due at once (not after their 20-minute lease)."""
    from sandboxes.ecwid.state import CUSTOMER
    from sync import tasks
    from sync.models import PendingChange
    from tests.integrations.providers.ecwid.contract import HARNESS as ECWID

    ids = [str(doc["id"]) for doc in ECWID.app.store.all(CUSTOMER)][:3]
    for source_id in ids:
        PendingChange.objects.create(
            flow=flow, source_id=source_id, action="updated", origin="webhook"
        )
    real, calls = tasks.run_changes, {"n": 0}

    def run_changes(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("terminating connection due to administrator command")
        return real(**kwargs)

    monkeypatch.setattr(tasks, "run_changes", run_changes)
    monkeypatch.setattr(tasks, "database_back", lambda **_: True)

    assert tasks.changes_process(flow.pk) == 3
    first, second = Run.objects.filter(flow=flow).order_by("pk")
    assert first.status == Run.Status.FAILED and "tried again" in first.message
    assert second.status == Run.Status.SUCCEEDED and second.processed == 3
    assert set(PendingChange.objects.values_list("status", flat=True)) == {"done"}
