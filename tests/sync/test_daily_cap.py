"""HighLevel's daily cap: a whole-flow run stops for the day with a fifth of the cap left,
keeps its place, leaves that fifth to webhook changes and goes on after the reset, with no
contact lost or written twice. The sandbox's daily limit is shrunk to a few dozen calls."""

from datetime import timedelta

import pytest

from integrations.providers.base import ObjectType
from integrations.providers.registry import adapter_for
from sync import runs
from sync.models import RecordLink, Run, RunItem, SyncCursor
from sync.runner import FlowRunner, run_execute
from sync.runs import RunRefused, run_start
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID
from tests.integrations.providers.highlevel.contract import HARNESS as HIGHLEVEL

DAILY_LIMIT = 40  # 20 % of it (8 calls) is the reserve


@pytest.fixture
def small_day(faults, monkeypatch):
    import sync.runner as runner

    monkeypatch.setattr(runner, "BATCH", 5)
    HIGHLEVEL._control("POST", "/reset")  # today's count starts at zero
    faults(daily_limit=DAILY_LIMIT)


def _highlevel_requests() -> int:
    return HIGHLEVEL._control("GET", "")["stats"]["requests_total"]


def _next_day() -> None:
    HIGHLEVEL._control("POST", "/reset")  # the count and the limit as after midnight


def test_a_backfill_waits_for_the_daily_reset_and_then_finishes_without_duplicates(flow, small_day):
    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)

    assert run.status == Run.Status.WAITING and run.in_flight
    assert 0 < run.processed < run.total, "it stopped part way"
    assert run.failed == 0
    # It kept the reserve, stopping when a next batch could have reached into it.
    used = _highlevel_requests()
    assert DAILY_LIMIT * 0.5 < used <= DAILY_LIMIT * 0.8
    assert used < run.api_calls  # which counts the Ecwid reads too
    assert "Paused for the day" in run.message and "HighLevel" in run.message
    assert "expected to finish by" in run.message
    assert run.resume_after is not None and run.eta_seconds is not None
    assert SyncCursor.objects.filter(flow=flow, name="changes").exists()
    linked_before = RecordLink.objects.filter(flow=flow).count()
    assert linked_before == run.processed

    # Polls, schedules and "Run now" do not read past it meanwhile; nobody resumes it early.
    with pytest.raises(RunRefused, match="paused until"):
        run_start(flow=flow, trigger="poll")
    assert runs.runs_resume_waiting(now=run.resume_after - timedelta(seconds=1)) == []
    assert run_execute(run_id=run.pk).status == Run.Status.WAITING  # a redelivered task

    _next_day()
    assert runs.runs_resume_waiting(now=run.resume_after + timedelta(seconds=1)) == [run.pk]
    assert runs.runs_resume_waiting(now=run.resume_after + timedelta(seconds=2)) == []
    run = run_execute(run_id=run.pk)

    assert run.status == Run.Status.SUCCEEDED, run.message
    assert run.processed == run.total and run.failed == 0 and not run.in_flight
    links = RecordLink.objects.filter(flow=flow)
    assert links.count() == run.total == run.created + run.updated
    assert len(set(links.values_list("target_id", flat=True))) == run.total
    # Every item once: the part before the pause and the part after do not overlap.
    items = RunItem.objects.filter(run=run)
    assert len(set(items.values_list("source_id", flat=True))) == items.count() == run.total


def test_the_reserve_is_left_to_webhook_changes(flow, small_day):
    paused = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert paused.status == Run.Status.WAITING
    link = RecordLink.objects.filter(flow=flow).first()
    ECWID.change_outside(link.source_id, 7)

    change_run = Run.objects.create(flow=flow, trigger=Run.Trigger.WEBHOOK, in_flight=False)
    applied = FlowRunner(change_run).execute([(link.source_id, None, "updated")])

    assert applied.status == Run.Status.SUCCEEDED, applied.message
    assert applied.updated == 1 and applied.api_calls >= 2  # read from Ecwid, written
    target = adapter_for(flow.target_connection, ObjectType.CONTACT)
    assert (
        target.get(link.target_id)["email"]
        == ECWID.adapter(flow.source_connection).get(link.source_id)["email"]
    )


def test_api_calls_count_reads_too(flow):
    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert run.status == Run.Status.SUCCEEDED
    written = run.created + run.updated
    # Every upsert, note and Ecwid page read: more than the writes alone.
    assert run.api_calls > written
    again = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert again.processed == 0 and again.api_calls >= 1  # the read that found nothing new


def test_the_eta_prices_a_record_with_the_batch_just_done(flow, small_day, monkeypatch):
    """From the first batch on, the ETA knows what a record costs: the calls of the batch it
    has just done count (they are saved with its records, just after)."""
    import sync.batches as batches

    calls_seen = []

    def spy(run, **kwargs):
        calls_seen.append(run.api_calls)
        return real(run, **kwargs)

    real = batches.run_eta
    monkeypatch.setattr(batches, "run_eta", spy)
    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert run.status == Run.Status.WAITING
    assert calls_seen[0] > 0, "the first batch's calls were left out"
    assert calls_seen == sorted(calls_seen)  # and each batch adds its own
