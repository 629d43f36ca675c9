"""The runner end to end: an Ecwid -> HighLevel flow over real HTTP against both sandboxes."""

import pytest

from integrations.providers.base import ObjectType
from integrations.providers.registry import adapter_for
from sync.models import Flow, PendingChange, RecordLink, Run, RunItem
from sync.runner import FlowRunner, run_changes, run_execute
from sync.runs import RunRefused, run_start
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID
from tests.integrations.providers.highlevel.contract import HARNESS as HIGHLEVEL


def _fast_target(flow):
    """The HighLevel adapter with one try per request, so injected faults fail fast."""
    from integrations.providers.highlevel.client import HighLevelClient

    client = HighLevelClient(flow.target_connection, max_attempts=1)
    return adapter_for(flow.target_connection, ObjectType.CONTACT, client=client)


def test_a_live_run_creates_every_customer_once_and_a_second_run_writes_nothing(flow):
    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert run.status == Run.Status.SUCCEEDED, (run.message, list(run.items.values()))
    assert run.processed >= ECWID.seeded and run.failed == 0
    assert run.created + run.updated == run.processed - run.skipped
    assert RecordLink.objects.filter(flow=flow).count() == run.created + run.updated
    target = adapter_for(flow.target_connection, ObjectType.CONTACT)
    link = RecordLink.objects.filter(flow=flow).first()
    assert target.get(link.target_id)["email"]
    again = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert again.status == Run.Status.SUCCEEDED
    assert again.processed == 0  # nothing changed since the cursor


def test_a_second_run_is_refused_while_one_is_in_flight(flow):
    run_start(flow=flow, trigger="manual")
    with pytest.raises(RunRefused, match="in progress"):
        run_start(flow=flow, trigger="manual")


def _writes(stats: dict) -> int:
    """Requests that change something, from a sandbox's counters by route."""
    return sum(
        count
        for route, count in stats.get("requests_by_route", {}).items()
        if not route.startswith(("GET", "POST /contacts/search"))
    )


def test_a_dry_run_writes_nothing_and_says_what_would_happen(flow):
    flow.mode = Flow.Mode.TEST
    flow.save()
    source = adapter_for(flow.source_connection, ObjectType.CONTACT)
    new = source.id_of(source.create({"email": "dry-run-new@example.com"}))
    before = HIGHLEVEL._control("GET", "")["stats"]
    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    after = HIGHLEVEL._control("GET", "")["stats"]
    assert run.dry_run and run.status == Run.Status.SUCCEEDED, run.message
    assert run.items.get(source_id=new).outcome == RunItem.Outcome.CREATED
    assert _writes(after) == _writes(before)
    assert after["requests_total"] > before["requests_total"]  # it did read
    assert not RecordLink.objects.filter(flow=flow).exists()
    assert not flow.cursors.exists()


def test_records_that_fail_make_the_run_partial_and_are_retried_later(flow, faults, time_machine):
    faults(error_rate=1.0, error_status=503)
    run = run_start(flow=flow, trigger="manual")
    run = FlowRunner(run, target=_fast_target(flow)).execute()
    assert run.status == Run.Status.FAILED  # every record failed
    assert run.failed == run.processed > 0
    item = run.items.filter(outcome=RunItem.Outcome.FAILED).first()
    assert item.error_kind == "transient" and item.reason
    retries = PendingChange.objects.filter(flow=flow, status=PendingChange.Status.PENDING)
    assert retries.count() == run.failed
    assert all(c.not_before is not None for c in retries)
    # The cursor moved on: the failed records live on as pending changes, not as a re-read.
    faults(error_rate=0.0)
    replay = Run.objects.create(flow=flow, trigger="retry", in_flight=False)
    replay = run_changes(run_id=replay.pk, change_ids=list(retries.values_list("pk", flat=True)))
    assert replay.status == Run.Status.SUCCEEDED, replay.message
    assert replay.created + replay.updated == run.failed
    assert not PendingChange.objects.filter(flow=flow, status=PendingChange.Status.PENDING)


def test_a_record_the_target_refuses_is_a_dead_letter_at_once(flow, faults):
    faults(error_rate=1.0, error_status=422)
    run = FlowRunner(run_start(flow=flow, trigger="manual"), target=_fast_target(flow)).execute()
    assert run.failed == run.processed
    dead = PendingChange.objects.filter(flow=flow, status=PendingChange.Status.DEAD)
    assert dead.count() == run.failed
    assert dead.first().error_kind == "validation"


def test_a_run_that_stops_part_way_resumes_from_its_cursor_without_duplicates(flow, monkeypatch):
    import sync.runner as runner

    monkeypatch.setattr(runner, "BATCH", 10)
    calls = {"n": 0}
    real = runner.FlowRunner._commit

    def commit_then_die(self, batch, **kwargs):
        real(self, batch, **kwargs)
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")

    monkeypatch.setattr(runner.FlowRunner, "_commit", commit_then_die)
    first = run_start(flow=flow, trigger="manual")
    with pytest.raises(SystemExit):
        run_execute(run_id=first.pk)
    monkeypatch.setattr(runner.FlowRunner, "_commit", real)
    first.refresh_from_db()
    assert first.processed == 20 and first.in_flight
    Run.objects.filter(pk=first.pk).update(status=Run.Status.QUEUED)  # the stale-run reset
    resumed = run_execute(run_id=first.pk)
    assert resumed.status == Run.Status.SUCCEEDED, resumed.message
    links = RecordLink.objects.filter(flow=flow)
    assert links.count() == len(set(links.values_list("target_id", flat=True)))
    target = adapter_for(flow.target_connection, ObjectType.CONTACT)
    emails = [target.get(link.target_id).get("email") for link in links]
    assert len(emails) == len(set(emails))
