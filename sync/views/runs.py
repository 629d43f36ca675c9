"""One run: its progress (polled by htmx while it is in flight) and what happened to each
record, 50 to a page, with what to do about each failure."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from sync.engine.schedule import RETRYABLE_KINDS
from sync.models import Flow, Run, RunItem
from sync.selectors import link_ids_for_items, run_items_page
from sync.views import can_edit, run_for_user

ACTIVE = (Run.Status.QUEUED, Run.Status.RUNNING)
# A waiting run is still in flight, parked until the daily API budget returns (hours, maybe):
# the page looks again now and then, not every two seconds.
POLL_ACTIVE, POLL_WAITING = "2s", "30s"
PER_PAGE = 50
TEMPLATE = "sync/run_detail.html"

# Why a record failed, by error kind (sync.runs.error_kind), and what a person can do.
ERROR_WHY = {
    "rate_limited": "The system asked us to slow down.",
    "transient": "A temporary failure: a timeout or a server error.",
    "network": "The system could not be reached.",
    "server": "The system had an error of its own.",
    "scope": "The connection lacks a permission this write needs.",
    "auth": "The system refused our access.",
    "not_found": "The record is gone from the other system.",
    "validation": "The system rejected a value.",
    "rejected": "The system refused the write.",
    "mapping": "A mapping rule could not be applied to this record.",
    "internal": "An error inside ContactBridge; it was logged.",
}
ERROR_FIX = {
    "scope": "Reconnect it, allowing contacts to be written",
    "auth": "Reconnect the connection the message names",
    "not_found": "If it should exist, reconcile the flow to see what is out of step",
    "validation": "Fix the value in the record, or the mapping rule for that field",
    "rejected": "Read the message, then fix the record or the mapping",
    "mapping": "Open the mapping and fix the rule",
}


@dataclass
class Help:
    why: str
    fix: str
    link_label: str = ""
    link_url: str = ""


def error_help(item: RunItem, run: Run, flow: Flow) -> Help | None:
    """What went wrong with a failed record and what to do, with a link to where."""
    if item.outcome != RunItem.Outcome.FAILED:
        return None
    kind = item.error_kind
    why = ERROR_WHY.get(kind, "The record could not be written.")
    if kind in RETRYABLE_KINDS:
        fix = (
            "A dry run does not retry: run again later."
            if run.dry_run
            else "Nothing to do: it is retried on its own, up to 5 times over about 8 hours."
        )
        return Help(why, fix)
    then = "then run again" if run.dry_run else "then replay it from the dead letters"
    if kind == "internal":
        again = "Run again" if run.dry_run else "Replay it from the dead letters"
        return Help(why, f"{again}; if it fails the same way, report it with run number {run.pk}.")
    fix = f"{ERROR_FIX.get(kind, 'Read the message and fix the cause')}; {then}."
    ws = flow.workspace_id
    if kind in ("scope", "auth"):
        return Help(why, fix, "Connections", reverse("integrations:connection-list", args=[ws]))
    if kind == "not_found":
        return Help(why, fix, "Reconciliation", reverse("sync:drift-list", args=[ws, flow.pk]))
    mapping_id = flow.mapping_id
    if item.direction == Run.Direction.BACKWARD and flow.reverse_mapping_id:
        mapping_id = flow.reverse_mapping_id
    if kind in ("validation", "rejected", "mapping"):
        url = reverse("mappings:mapping-detail", args=[ws, mapping_id])
        return Help(why, fix, "Open the mapping", url)
    return Help(why, fix)


def _bar(run: Run, total: int | None) -> list[dict]:
    """The progress bar's coloured parts, left to right, as percentages of the total."""
    scale = max(total or 0, run.processed)
    if not scale:
        return []
    done = run.created + run.updated + run.unchanged + run.deleted
    parts, x = [], 0.0
    for kind, count in (("done", done), ("skipped", run.skipped), ("failed", run.failed)):
        width = 100 * count / scale
        if width:
            parts.append({"kind": kind, "x": f"{x:.3f}", "width": f"{width:.3f}"})
            x += width
    return parts


def progress(run: Run, now=None) -> dict:
    """Percent done, the bar's parts, time taken and time left (the runner's ETA, else the
    pace so far), and how often the page looks again (None: finished, it stops)."""
    now = now or timezone.now()
    active = run.status in ACTIVE
    waiting = run.status == Run.Status.WAITING
    duration = None
    if run.started_at:
        duration = int(((run.finished_at or now) - run.started_at).total_seconds())
    total = run.total if run.total is not None or active or waiting else run.processed
    percent = min(100, round(100 * run.processed / total)) if total else None
    eta = run.eta_seconds if active or waiting else None
    if active and eta is None and total and run.processed and duration:
        eta = round(duration / run.processed * max(total - run.processed, 0))
    return {
        "active": active,
        "waiting": waiting,
        "poll": POLL_ACTIVE if active else POLL_WAITING if waiting else None,
        "duration": duration,
        "total": total,
        "percent": percent,
        "eta": eta,
        "bar": _bar(run, total),
        "remaining": max((total or 0) - run.processed, 0),
    }


def _outcome_filter(run: Run, chosen: str) -> list[dict]:
    """The filter links: each outcome this run had (from its counters: nothing is counted
    here), and the chosen one even at zero."""
    counts = {
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "skipped": run.skipped,
        "deleted": run.deleted,  # archived ones are counted here too
        "archived": None,
        "failed": run.failed,
    }
    shown = []
    for value, _label in RunItem.Outcome.choices:
        count = counts[value]
        offered = count if value != "archived" else run.deleted
        if offered or value == chosen:
            shown.append({"value": value, "count": count, "chosen": value == chosen})
    return shown


def _key(value: str | None) -> int | None:
    """A paging key from the query string; anything but a plain number is ignored."""
    if value and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


@login_required
def run_detail(request, workspace_id, flow_id, run_id):
    run = run_for_user(request, workspace_id, flow_id, run_id)
    context = {"run": run, "flow": run.flow, "progress": progress(run)}
    target = request.htmx.target if request.htmx else None
    if target == "run-progress":
        response = render(request, f"{TEMPLATE}#run-progress", context)
        if context["progress"]["poll"]:
            return response
        # Finished: this last fragment stops the polling, and the record table reloads.
        finished = HttpResponseStopPolling(response.content)
        return trigger_client_event(finished, "run-finished")
    outcome = request.GET.get("outcome", "")
    if outcome not in RunItem.Outcome.values:
        outcome = ""
    page = run_items_page(
        run=run,
        outcome=outcome,
        after=_key(request.GET.get("after")),
        before=_key(request.GET.get("before")),
        size=PER_PAGE,
    )
    links = link_ids_for_items(flow=run.flow, items=page.items)
    rows = [
        {"item": item, "link_id": links.get(item.pk), "help": error_help(item, run, run.flow)}
        for item in page.items
    ]
    context.update(
        outcome=outcome,
        outcomes=_outcome_filter(run, outcome),
        page=page,
        rows=rows,
        can_edit=can_edit(request),
    )
    if target == "run-items":
        return render(request, f"{TEMPLATE}#run-items", context)
    return render(request, TEMPLATE, context)
