"""A flow's reconciliations: the drift reports, one report's items by kind, and the buttons
(Reconcile now, Re-sync these, Re-sync all drifted), which start the work in the background."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role
from sync import reconcile, tasks
from sync.models import DriftItem, DriftReport
from sync.views import can_edit, flow_for_user

REPORTS_PER_PAGE = 25
ITEMS_PER_PAGE = 50
MAX_IDS = 1_000  # ticked boxes in one POST


def _report_for_user(request, workspace_id, flow_id, report_id, role=Role.VIEWER):
    flow = flow_for_user(request, workspace_id, flow_id, role)
    try:
        report = flow.drift_reports.get(pk=report_id)
    except DriftReport.DoesNotExist:
        raise Http404("No such reconciliation of this flow.") from None
    report.flow = flow  # already fetched, with its connections and mapping
    return report


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values[:MAX_IDS] if v.isascii() and v.isdigit() and len(v) <= 18]


def _report_page(report: DriftReport):
    return redirect("sync:drift-detail", report.flow.workspace_id, report.flow_id, report.pk)


@login_required
def drift_list(request, workspace_id, flow_id):
    flow = flow_for_user(request, workspace_id, flow_id)
    page = Paginator(flow.drift_reports.all(), REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "flow": flow,
        "page": page,
        "running": reconcile.drift_report_running(flow=flow),
        "can_edit": can_edit(request),
    }
    return render(request, "sync/drift_list.html", context)


@login_required
def drift_detail(request, workspace_id, flow_id, report_id):
    report = _report_for_user(request, workspace_id, flow_id, report_id)
    kind = request.GET.get("kind", "")
    if kind not in DriftItem.Kind.values:
        kind = ""
    items = report.items.filter(kind=kind) if kind else report.items.all()
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    refusal = reconcile.resync_refusal(report) if can_edit(request) else ""
    editable = can_edit(request) and not refusal
    shown = [item.pk for item in page.object_list]
    choosable = set(reconcile.repairable(report, shown).values_list("pk", flat=True))
    counts = {
        DriftItem.Kind.ONLY_SOURCE: report.only_in_source,
        DriftItem.Kind.ONLY_TARGET: report.only_in_target,
        DriftItem.Kind.DIFFERS: report.differing,
    }
    context = {
        "flow": report.flow,
        "report": report,
        "kind": kind,
        "kinds": [
            {"value": value, "label": label, "count": counts[value], "chosen": value == kind}
            for value, label in DriftItem.Kind.choices
        ],
        "page": page,
        "choosable": choosable if editable else set(),
        "can_edit": can_edit(request),
        "refusal": refusal,
        "left": reconcile.repairable(report).filter(repaired=False).count() if editable else 0,
    }
    return render(request, "sync/drift_detail.html", context)


@login_required
@require_POST
def drift_reconcile(request, workspace_id, flow_id):
    """Reconcile now: in the background (the task), per the flow's repair setting."""
    flow = flow_for_user(request, workspace_id, flow_id, Role.EDITOR)
    running = reconcile.drift_report_running(flow=flow)
    if running is not None:
        messages.error(request, "A reconciliation of this flow is already running.")
    else:
        tasks.reconcile_run.delay_on_commit(flow.pk)
        messages.success(
            request,
            "Reconciliation started: both systems are read in full and compared. "
            "Its report appears here when it is done.",
        )
    return redirect("sync:drift-list", flow.workspace_id, flow.pk)


@login_required
@require_POST
def drift_resync(request, workspace_id, flow_id, report_id):
    """Re-sync the ticked records (`ids`), or every one not yet repaired (`all`)."""
    report = _report_for_user(request, workspace_id, flow_id, report_id, Role.EDITOR)
    refusal = reconcile.resync_refusal(report)
    if refusal:
        messages.error(request, refusal)
        return _report_page(report)
    ids = None if request.POST.get("all") else _ids(request.POST.getlist("ids"))
    if ids == []:
        messages.error(request, "Tick the records to re-sync, or re-sync all drifted ones.")
        return _report_page(report)
    chosen = reconcile.repairable(report, ids)
    if ids is None:
        chosen = chosen.filter(repaired=False)
    else:
        ids = list(chosen.values_list("pk", flat=True))
    count = len(ids) if ids is not None else chosen.count()
    if not count:
        messages.info(request, "Nothing to re-sync among those records.")
        return _report_page(report)
    tasks.drift_resync_run.delay_on_commit(report.pk, ids)
    plural = "" if count == 1 else "s"
    messages.success(
        request, f"Re-syncing {count} record{plural}: this page says which were repaired."
    )
    return _report_page(report)
