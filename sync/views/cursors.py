"""A flow's cursors: what each holds, in words, and the rewind (confirmed first: the page
shows what would happen for the chosen time, then a POST does it)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import Role
from sync import cursors_admin
from sync.cursors_admin import RewindRefused
from sync.selectors import run_in_flight
from sync.views import can_edit, flow_for_user


def _target(params, flow) -> tuple[str, object]:
    """(cursor name, time or None for "from the start") from the form, or RewindRefused."""
    name = (params.get("cursor") or "").strip()[:30]
    if not name or not name.isprintable():
        raise RewindRefused("Choose the cursor to rewind.")
    if params.get("start"):
        return name, None
    return name, cursors_admin.rewind_time_parse(params.get("to", ""), flow.schedule_timezone)


@login_required
def flow_cursors(request, workspace_id, flow_id):
    flow = flow_for_user(request, workspace_id, flow_id)
    infos = cursors_admin.cursors_describe(flow=flow)
    confirm = refusal = None
    if can_edit(request) and "cursor" in request.GET:
        try:
            name, to = _target(request.GET, flow)
            confirm = {
                "cursor": name,
                "to": request.GET.get("to", "") if to else "",
                "start": to is None,
                "when": cursors_admin.when(to, flow),
                "words": cursors_admin.rewind_check(flow=flow, name=name, to=to).words,
            }
        except RewindRefused as error:
            refusal = str(error)
    context = {
        "flow": flow,
        "cursors": [
            (info, info.sentences(flow), [(label, p.sentences(flow)) for label, p in info.parts])
            for info in infos
        ],
        "can_edit": can_edit(request),
        "in_flight": run_in_flight(flow=flow),
        "confirm": confirm,
        "refusal": refusal,
    }
    return render(request, "sync/cursors.html", context)


@login_required
@require_POST
def cursor_rewind(request, workspace_id, flow_id):
    flow = flow_for_user(request, workspace_id, flow_id, Role.EDITOR)
    page = reverse("sync:flow-cursors", args=[flow.workspace_id, flow.pk])
    if not request.POST.get("confirm"):  # first say what would happen
        fields = {k: request.POST.get(k, "")[:100] for k in ("cursor", "to", "start")}
        return redirect(f"{page}?{urlencode(fields)}")
    try:
        name, to = _target(request.POST, flow)
        words = cursors_admin.cursor_rewind(flow=flow, name=name, to=to)
    except RewindRefused as error:
        messages.error(request, f"Not rewound: {error}")
    else:
        messages.success(request, f"Rewound. {words}")
    return redirect(page)
