"""A flow's conflicts: the fields both systems changed, held for a person to decide; resolved
one at a time (keep a side, or type the value) or many at once (keep a side)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role
from sync import conflicts
from sync.models import Conflict
from sync.views import can_edit, flow_for_user

PER_PAGE = 50
GONE = "That conflict is not one of this flow's any more."


@login_required
def conflict_list(request, workspace_id, flow_id):
    flow = flow_for_user(request, workspace_id, flow_id)
    status = request.GET.get("status")
    status = status if status in Conflict.Status.values else Conflict.Status.OPEN
    page = Paginator(conflicts.conflicts_for_flow(flow=flow, status=status), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "flow": flow,
        "status": status,
        "counts": conflicts.conflict_counts(flow=flow),
        "page": page,
        "rows": conflicts.conflict_rows(page.object_list),
        "two_way": conflicts.flow_is_two_way(flow),
        "can_edit": can_edit(request),
    }
    return render(request, "sync/conflicts.html", context)


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 18]


@login_required
@require_POST
def conflict_resolve(request, workspace_id, flow_id):
    """One conflict (`one`, with `choice` and for an edit `value`), or the ticked ones
    (`ids`, with `choice`)."""
    flow = flow_for_user(request, workspace_id, flow_id, Role.EDITOR)
    choice, one = request.POST.get("choice", ""), _ids(request.POST.getlist("one"))
    try:
        if one:
            conflict = conflicts.conflict_for_flow(flow=flow, conflict_id=one[0])
            if conflict is None:
                raise ValidationError(GONE)
            value = request.POST.get("value")
            conflict = conflicts.conflict_resolve(
                conflict=conflict, choice=choice, value=value, user=request.user, flow=flow
            )
            messages.success(request, f"“{conflict.field}”: {conflict.get_resolution_display()}.")
        else:
            ids = _ids(request.POST.getlist("ids"))
            done = conflicts.conflicts_resolve(flow=flow, ids=ids, choice=choice, user=request.user)
            if done.resolved:
                label = Conflict.Resolution(choice).label
                plural = "" if done.resolved == 1 else "s"
                messages.success(request, f"{done.resolved} conflict{plural} resolved: {label}.")
            for problem in done.problems:
                messages.error(request, problem)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("sync:conflict-list", flow.workspace_id, flow.pk)
