"""`manage.py sync`: run a flow in the foreground, replay a run's failed records, list flows.

    python manage.py sync list
    python manage.py sync run FLOW [--dry-run]   FLOW: a flow id, or "workspace-id/flow name"
    python manage.py sync replay RUN

Exit status: 0 when the run succeeded, 1 when nothing ran (unknown flow or run, refused),
2 when the run failed, 3 when it was partial (some records failed), 130 when interrupted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from sync.models import Flow, PendingChange, Run, RunItem
from sync.runner import run_changes, run_execute
from sync.runs import RunRefused, run_start

POLL_SECONDS = 0.5
EXIT_FAILED, EXIT_PARTIAL, EXIT_INTERRUPTED = 2, 3, 130


class RunEtaColumn(ProgressColumn):
    """The run's own ETA (`Run.eta_seconds`, paced by the rate budget) when it has one;
    otherwise rich's estimate from the speed so far, when the total is known."""

    def __init__(self):
        super().__init__()
        self.estimate = TimeRemainingColumn()

    def render(self, task: Task) -> Text:
        eta = task.fields.get("eta")
        if eta is not None and not task.finished:
            return Text(f"ETA {timedelta(seconds=int(eta))}", style="progress.remaining")
        if task.total is None or task.finished:
            return Text("")
        return Text("ETA ") + self.estimate.render(task)


def flow_from_reference(reference: str) -> Flow:
    """A flow by id, or by "workspace-id/name" as `sync list` shows it."""
    flows = Flow.objects.select_related(
        "workspace", "source_connection", "target_connection", "mapping"
    )
    workspace_id, slash, name = reference.partition("/")
    if slash and workspace_id.strip().isdigit() and name.strip():
        flow = flows.filter(workspace_id=int(workspace_id), name=name.strip()).first()
    elif reference.strip().isdigit():
        flow = flows.filter(pk=int(reference)).first()
    else:
        raise CommandError(
            f"“{reference}” is neither a flow id nor workspace-id/name: "
            "`manage.py sync list` shows both."
        )
    if flow is None:
        raise CommandError(f"There is no flow “{reference}”: `manage.py sync list` shows them.")
    return flow


def run_from_reference(reference: str) -> Run:
    run = None
    if reference.strip().isdigit():
        run = Run.objects.select_related("flow__mapping").filter(pk=int(reference)).first()
    if run is None:
        raise CommandError(f"There is no run “{reference}”: give a run id.")
    return run


@transaction.atomic
def replays_create(*, run: Run) -> tuple[Run, list[int]]:
    """The failed records of `run` as pending replays (due now, with a fresh set of
    retries: a person asked), and the run that will apply them. A record that already
    waits (a retry or a dead letter) becomes the replay, so it is never queued twice."""
    flow = run.flow
    failed = RunItem.objects.filter(run=run, outcome=RunItem.Outcome.FAILED).order_by("pk")
    # Per way and record: a two-way flow's failed target changes are replayed back.
    keys = list(dict.fromkeys(failed.values_list("direction", "source_id")))
    source_ids = [source_id for _, source_id in keys]
    waiting: dict[tuple[str, str], PendingChange] = {}
    queued = (
        PendingChange.objects.select_for_update()
        .filter(flow=flow, source_id__in=source_ids)
        .exclude(status=PendingChange.Status.DONE)
        .order_by("pk")
    )
    for change in queued:
        key = (change.direction, change.source_id)
        if key not in keys:
            continue
        kept = waiting.get(key)
        # A pending one is unique per record and way, and wins; else the newest dead letter.
        if kept is None or kept.status != PendingChange.Status.PENDING:
            waiting[key] = change
    for change in waiting.values():
        change.origin = PendingChange.Origin.REPLAY
        change.status = PendingChange.Status.PENDING
        change.not_before = None
        change.attempts = 0
    PendingChange.objects.bulk_update(
        waiting.values(), ["origin", "status", "not_before", "attempts", "updated_at"]
    )
    PendingChange.objects.bulk_create(
        PendingChange(
            flow=flow,
            direction=direction,
            source_id=source_id,
            origin=PendingChange.Origin.REPLAY,
            status=PendingChange.Status.PENDING,
        )
        for direction, source_id in keys
        if (direction, source_id) not in waiting
    )
    change_ids = [
        pk
        for pk, direction, source_id in PendingChange.objects.filter(
            flow=flow, source_id__in=source_ids, status=PendingChange.Status.PENDING
        ).values_list("pk", "direction", "source_id")
        if (direction, source_id) in keys
    ]
    replay = Run.objects.create(
        flow=flow,
        trigger=Run.Trigger.REPLAY,
        in_flight=False,
        dry_run=not flow.is_live,
        mapping_version=flow.mapping.version,
    )
    return replay, change_ids


class Command(BaseCommand):
    help = (
        "Run a flow in the foreground with a progress bar, replay the failed records of a "
        "run, or list flows. Exit status: 1 nothing ran, 2 the run failed, 3 it was partial."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{run,replay,list}")
        run = actions.add_parser("run", help="start a run of FLOW and follow it to the end")
        run.add_argument("flow", help='a flow id, or "workspace-id/flow name"')
        run.add_argument(
            "--dry-run",
            action="store_true",
            help="read and decide, write nothing (test-mode flows always dry-run)",
        )
        replay = actions.add_parser("replay", help="apply the failed records of RUN again now")
        replay.add_argument("run", help="a run id")
        actions.add_parser("list", help="every flow with its mode and last run")

    def handle(self, *args, action: str, **options):
        self.console = Console(file=getattr(self.stdout, "_out", self.stdout), highlight=False)
        if action == "list":
            return self.list_flows()
        if action == "run":
            return self.run_flow(options["flow"], dry_run=options["dry_run"])
        return self.replay(options["run"])

    # --- the three actions -------------------------------------------------------------------
    def list_flows(self) -> None:
        last = Run.objects.filter(flow=OuterRef("pk")).order_by("-queued_at", "-pk")
        flows = Flow.objects.annotate(
            last_run_id=Subquery(last.values("pk")[:1]),
            last_status=Subquery(last.values("status")[:1]),
            last_at=Subquery(last.values("queued_at")[:1]),
        ).order_by("workspace_id", "name")
        table = Table("ID", "Flow (workspace-id/name)", "Mode", "Last run")
        for flow in flows:
            mode = flow.get_mode_display().split(" (")[0] + ("" if flow.enabled else ", paused")
            last_run = "never"
            if flow.last_run_id:
                when = timezone.localtime(flow.last_at).strftime("%Y-%m-%d %H:%M")
                last_run = f"#{flow.last_run_id} {flow.last_status} {when}"
            table.add_row(str(flow.pk), f"{flow.workspace_id}/{flow.name}", mode, last_run)
        if not table.row_count:
            self.console.print("No flows yet.")
            return
        self.console.print(table)

    def run_flow(self, reference: str, *, dry_run: bool) -> None:
        flow = flow_from_reference(reference)
        try:
            run = run_start(
                flow=flow, trigger=Run.Trigger.MANUAL, dry_run=True if dry_run else None
            )
        except RunRefused as error:
            raise CommandError(str(error)) from None
        what = "Dry run" if run.dry_run else "Run"
        self.console.print(f"{what} #{run.pk} of “{flow.name}” (flow {flow.pk})")
        run_id = run.pk
        self.finish(self.follow(run, lambda: run_execute(run_id=run_id)))

    def replay(self, reference: str) -> None:
        failed_run = run_from_reference(reference)
        flow = failed_run.flow
        if not flow.enabled:
            why = f": {flow.paused_reason}" if flow.paused_reason else ""
            raise CommandError(f"“{flow.name}” is paused{why}. Resume it, then replay.")
        if not failed_run.items.filter(outcome=RunItem.Outcome.FAILED).exists():
            self.console.print(f"Run #{failed_run.pk} has no failed records: nothing to replay.")
            return
        run, change_ids = replays_create(run=failed_run)
        what = "Dry-run replay" if run.dry_run else "Replay"
        self.console.print(
            f"{what} #{run.pk} of {len(change_ids)} failed record(s) of run #{failed_run.pk}"
        )
        run_id = run.pk
        self.finish(self.follow(run, lambda: run_changes(run_id=run_id, change_ids=change_ids)))

    # --- following a run -------------------------------------------------------------------
    def follow(self, run: Run, work: Callable[[], Run]) -> Run:
        """Do `work` (which blocks until the run ends) in a thread, and draw the run's row,
        read every POLL_SECONDS, as a progress bar meanwhile."""
        outcome: dict = {}

        def target() -> None:
            try:
                outcome["run"] = work()
            except BaseException as error:  # handed to the main thread below
                outcome["error"] = error
            finally:
                connections.close_all()  # this thread's own connections

        worker = threading.Thread(target=target, name=f"sync-run-{run.pk}", daemon=True)
        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            RunEtaColumn(),
            console=self.console,
        )
        try:
            with progress:
                bar = progress.add_task("records", total=None, failed=0, eta=None)
                worker.start()
                while worker.is_alive():
                    worker.join(POLL_SECONDS)
                    self._draw(progress, bar, run.pk, final=not worker.is_alive())
        except KeyboardInterrupt:
            self._interrupted(run)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["run"]

    def _draw(self, progress: Progress, bar, run_id: int, *, final: bool) -> None:
        row = Run.objects.filter(pk=run_id).values("processed", "total", "failed", "eta_seconds")
        state = row.first()
        if state is None:
            return
        done = state["processed"]
        progress.update(
            bar,
            completed=done,
            # Once the run has ended, what it processed is the whole: the bar is full.
            total=max(state["total"] or 0, done) if final else state["total"],
            failed=state["failed"],
            eta=None if final else state["eta_seconds"],
        )

    def _interrupted(self, run: Run) -> None:
        """Ctrl-C: the run stops here (its thread dies with the process). Its batches so far
        are committed with their cursor, so the next run goes on from there."""
        Run.objects.filter(pk=run.pk, finished_at__isnull=True).update(
            status=Run.Status.CANCELLED,
            in_flight=False,
            finished_at=timezone.now(),
            message="Stopped from the command line.",
        )
        raise CommandError(
            f"Interrupted: run #{run.pk} stopped part way. The next run goes on from where "
            "it stopped.",
            returncode=EXIT_INTERRUPTED,
        )

    def finish(self, run: Run) -> None:
        """The summary table, then the exit status the run deserves."""
        duration = ""
        if run.started_at and run.finished_at:
            duration = f"{(run.finished_at - run.started_at).total_seconds():.1f} s"
        table = Table(title=f"Run #{run.pk}: {run.get_status_display().lower()}", show_header=False)
        table.add_column()
        table.add_column(justify="right")
        for label, value in (
            ("Created", run.created),
            ("Updated", run.updated),
            ("Unchanged", run.unchanged),
            ("Skipped", run.skipped),
            ("Deleted", run.deleted),
            ("Failed", run.failed),
            ("Duration", duration),
            ("API calls", run.api_calls),
        ):
            table.add_row(label, str(value))
        self.console.print(table)
        if run.dry_run:
            self.console.print("Dry run: nothing was written.")
        if run.message:
            self.console.print(run.message)
        if run.status == Run.Status.FAILED:
            raise CommandError(
                f"Run #{run.pk} failed{': ' + run.message if run.message else '.'}",
                returncode=EXIT_FAILED,
            )
        if run.status == Run.Status.PARTIAL:
            raise CommandError(
                f"Run #{run.pk}: {run.failed} record(s) failed. `manage.py sync replay "
                f"{run.pk}` tries them again.",
                returncode=EXIT_PARTIAL,
            )
