"""One run: its progress (polled by htmx only while it is queued or running) and what
happened to each record, 50 to a page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from sync.models import Run, RunItem
from sync.selectors import run_items
from sync.views import can_edit, run_for_user

ACTIVE = (Run.Status.QUEUED, Run.Status.RUNNING)
PER_PAGE = 50
TEMPLATE = "sync/run_detail.html"


def progress(run: Run, now=None) -> dict:
    """Percent done, time taken and time left: the runner's ETA, else the pace so far."""
    now = now or timezone.now()
    active = run.status in ACTIVE
    duration = None
    if run.started_at:
        duration = int(((run.finished_at or now) - run.started_at).total_seconds())
    percent = min(100, round(100 * run.processed / run.total)) if run.total else None
    eta = run.eta_seconds if active else None
    if active and eta is None and run.total and run.processed and duration:
        eta = round(duration / run.processed * max(run.total - run.processed, 0))
    return {"active": active, "duration": duration, "percent": percent, "eta": eta}


def _outcome_filter(run: Run, chosen: str) -> list[dict]:
    counts = {
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "skipped": run.skipped,
        "deleted": run.deleted,  # archived ones are counted here too
        "failed": run.failed,
    }
    return [
        {"value": value, "label": label, "count": counts.get(value), "chosen": value == chosen}
        for value, label in RunItem.Outcome.choices
    ]


@login_required
def run_detail(request, workspace_id, flow_id, run_id):
    run = run_for_user(request, workspace_id, flow_id, run_id)
    context = {"run": run, "flow": run.flow, "progress": progress(run)}
    target = request.htmx.target if request.htmx else None
    if target == "run-progress":
        response = render(request, f"{TEMPLATE}#run-progress", context)
        if context["progress"]["active"]:
            return response
        # Finished: this last fragment stops the polling, and the record table reloads.
        finished = HttpResponseStopPolling(response.content)
        return trigger_client_event(finished, "run-finished")
    outcome = request.GET.get("outcome", "")
    if outcome not in RunItem.Outcome.values:
        outcome = ""
    page = Paginator(run_items(run=run, outcome=outcome), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context.update(
        outcome=outcome,
        outcomes=_outcome_filter(run, outcome),
        page=page,
        can_edit=can_edit(request),
    )
    if target == "run-items":
        return render(request, f"{TEMPLATE}#run-items", context)
    return render(request, TEMPLATE, context)
