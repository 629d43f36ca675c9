"""`manage.py sync` against both sandboxes: an Ecwid -> HighLevel flow over real HTTP.

The command runs the flow in a thread of its own (with its own database connection), so
these tests commit their data: `transaction=True`."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sync.models import Flow, PendingChange, RecordLink, Run, RunItem
from sync.runs import run_start
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID

pytestmark = pytest.mark.django_db(transaction=True)


def sync(*args) -> str:
    out = StringIO()
    call_command("sync", *map(str, args), stdout=out)
    return out.getvalue()


def test_a_run_follows_the_flow_to_the_end_and_prints_its_summary(flow):
    output = sync("run", flow.pk)
    run = Run.objects.get(flow=flow)
    assert run.status == Run.Status.SUCCEEDED and not run.in_flight
    assert run.processed >= ECWID.seeded
    assert f"Run #{run.pk} of “{flow.name}”" in output
    assert f"Run #{run.pk}: succeeded" in output
    for heading in ("Created", "Updated", "Unchanged", "Skipped", "Deleted", "Failed"):
        assert heading in output
    assert f"{run.processed}/" in output  # the progress bar's last state
    assert RecordLink.objects.filter(flow=flow).count() == run.created + run.updated


def test_a_flow_is_found_by_workspace_and_name_and_a_dry_run_writes_nothing(flow):
    output = sync("run", f"{flow.workspace_id}/{flow.name}", "--dry-run")
    run = Run.objects.get(flow=flow)
    assert run.dry_run and run.status == Run.Status.SUCCEEDED
    assert "Dry run: nothing was written." in output
    assert not RecordLink.objects.filter(flow=flow).exists()


def test_a_test_mode_flow_only_dry_runs(flow):
    flow.mode = Flow.Mode.TEST
    flow.save()
    output = sync("run", flow.pk)
    assert Run.objects.get(flow=flow).dry_run
    assert output.startswith(f"Dry run #{Run.objects.get(flow=flow).pk}")


def test_it_refuses_to_start_while_a_run_is_in_flight(flow):
    running = run_start(flow=flow, trigger=Run.Trigger.MANUAL)
    with pytest.raises(CommandError, match="in progress") as refused:
        sync("run", flow.pk)
    assert refused.value.returncode == 1
    assert list(Run.objects.filter(flow=flow)) == [running]


@pytest.mark.parametrize("reference", ["999999", "1/No such flow", "not-a-flow"])
def test_an_unknown_flow_is_a_clear_error(db, reference):
    with pytest.raises(CommandError, match="sync list") as unknown:
        sync("run", reference)
    assert unknown.value.returncode == 1


def test_an_unknown_run_is_a_clear_error(db):
    with pytest.raises(CommandError, match="There is no run “424242”"):
        sync("replay", 424242)


def test_a_run_where_every_record_fails_exits_2(flow, faults):
    faults(error_rate=1.0, error_status=422)  # refused, never retried
    with pytest.raises(CommandError, match="failed") as failed:
        sync("run", flow.pk)
    assert failed.value.returncode == 2
    assert Run.objects.get(flow=flow).status == Run.Status.FAILED


def test_a_partial_run_exits_3_and_its_failed_records_replay(flow, faults):
    faults(error_rate=0.5, error_status=422)
    with pytest.raises(CommandError, match="sync replay") as partial:
        sync("run", flow.pk)
    assert partial.value.returncode == 3
    run = Run.objects.get(flow=flow)
    assert run.status == Run.Status.PARTIAL and 0 < run.failed < run.processed
    dead = PendingChange.objects.filter(flow=flow, status=PendingChange.Status.DEAD)
    assert dead.count() == run.failed  # a refused record waits for a person

    faults(error_rate=0.0)
    output = sync("replay", run.pk)
    replay = Run.objects.exclude(pk=run.pk).get(flow=flow)
    assert replay.trigger == Run.Trigger.REPLAY and not replay.in_flight
    assert replay.status == Run.Status.SUCCEEDED, replay.message
    assert replay.processed == run.failed and replay.failed == 0
    assert f"Replay #{replay.pk} of {run.failed} failed record(s) of run #{run.pk}" in output
    assert f"Run #{replay.pk}: succeeded" in output
    changes = PendingChange.objects.filter(flow=flow)
    assert changes.count() == run.failed  # the dead letters became the replays
    assert set(changes.values_list("origin", "status")) == {("replay", "done")}
    failed_ids = set(run.items.filter(outcome=RunItem.Outcome.FAILED).values_list("source_id"))
    assert set(RecordLink.objects.filter(flow=flow).values_list("source_id")) >= failed_ids


def test_a_run_without_failures_has_nothing_to_replay(flow):
    sync("run", flow.pk)
    run = Run.objects.get(flow=flow)
    assert "nothing to replay" in sync("replay", run.pk)
    assert Run.objects.filter(flow=flow).count() == 1


def test_list_shows_each_flow_with_its_mode_and_last_run(flow):
    assert f"{flow.workspace_id}/{flow.name}" in sync("list")
    assert "never" in sync("list")
    sync("run", flow.pk)
    run = Run.objects.get(flow=flow)
    listed = sync("list")
    assert str(flow.pk) in listed and "Live" in listed
    assert f"#{run.pk} succeeded" in listed
