"""Flows: the list, the form (new and edit), the flow page and its buttons."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import workspace_access
from accounts.models import Role
from integrations.providers.registry import get_provider
from integrations.selectors import connections_for_workspace
from sync import catalogue, conflicts, services, tasks
from sync.forms import FlowForm, flow_initial
from sync.models import Flow, Run
from sync.runs import RunRefused, run_start
from sync.selectors import (
    dead_letters,
    flow_cards,
    flows_for_workspace,
    run_in_flight,
    runs_for_flow,
)
from sync.views import can_edit, flow_for_user

RECENT_RUNS = 10
DEAD_LETTERS_SHOWN = 100
NO_CHANGE_PROCESSOR = (
    "{count} dead letter{s} queued again. Nothing applies queued changes on this "
    "installation yet, so they wait for the next run of the change queue."
)


def _detail(flow: Flow):
    return redirect("sync:flow-detail", flow.workspace_id, flow.pk)


@login_required
def flow_list(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    workspace = membership.workspace
    cards = flow_cards(flows=flows_for_workspace(workspace=workspace))
    context = {
        "cards": cards,
        "can_edit": can_edit(request),
        "connection_count": 0 if cards else connections_for_workspace(workspace=workspace).count(),
    }
    return render(request, "sync/flow_list.html", context)


def _form(request, workspace, flow: Flow | None = None) -> FlowForm:
    """Bound to the POST; or, for the htmx refresh after a connection was chosen, unbound with
    what was typed so far (no errors yet); or fresh."""
    options = {"workspace": workspace, "allow_preset": flow is None}
    if request.method == "POST":
        return FlowForm(request.POST, **options)
    if request.GET.get("refresh"):
        typed = request.GET.dict()
        typed["trigger_webhook"] = typed.get("trigger_webhook") == "on"
        return FlowForm(initial=typed, **options)
    return FlowForm(initial=flow_initial(flow) if flow else None, **options)


def _render_form(request, form: FlowForm, flow: Flow | None = None):
    template = "sync/flow_form.html"
    if request.htmx and request.GET.get("refresh"):
        template += "#flow-fields"
    return render(request, template, {"form": form, "flow": flow})


@login_required
def flow_new(request, workspace_id):
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    form = _form(request, membership.workspace)
    if request.method == "POST" and "refresh" not in request.POST and form.is_valid():
        fields = form.flow_fields()
        try:
            flow = services.flow_create_with_mappings(
                workspace=membership.workspace, user=request.user, **fields
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request, f"Flow “{flow.name}” created, in test mode: dry runs write nothing."
            )
            return _detail(flow)
    return _render_form(request, form)


@login_required
def flow_edit(request, workspace_id, flow_id):
    flow = flow_for_user(request, workspace_id, flow_id, Role.EDITOR)
    form = _form(request, flow.workspace, flow)
    if request.method == "POST" and "refresh" not in request.POST and form.is_valid():
        try:
            services.flow_update_with_mappings(flow=flow, user=request.user, **form.flow_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Flow saved.")
            return _detail(flow)
    return _render_form(request, form, flow)


def _action_rows(flow: Flow) -> list[tuple[str, list]]:
    """The flow's actions in words: (what, [(setting, value)])."""
    labels = {
        e.action_type: e.label for e in catalogue.flow_actions_for(flow.target_connection.provider)
    }
    rows = []
    for spec in flow.actions if isinstance(flow.actions, list) else []:
        if not isinstance(spec, dict):
            rows.append((str(spec), []))
            continue
        kind = str(spec.get("type") or "")
        label = labels.get(kind) or kind.replace("_", " ").capitalize() or "Action"
        settings = [(k.replace("_", " ").capitalize(), v) for k, v in spec.items() if k != "type"]
        rows.append((label, settings))
    return rows


def _detail_context(request, flow: Flow, **extra) -> dict:
    source = get_provider(flow.source_connection.provider)
    runs = list(runs_for_flow(flow=flow)[:RECENT_RUNS])
    letters = dead_letters(flow=flow)
    return {
        "flow": flow,
        "source_info": source,
        "target_info": get_provider(flow.target_connection.provider),
        "can_edit": can_edit(request),
        "runs": runs,
        "in_flight": next((r for r in runs if r.in_flight), None) or run_in_flight(flow=flow),
        "dead_letters": letters[:DEAD_LETTERS_SHOWN],
        "dead_count": letters.count(),
        "poll_words": catalogue.POLL_WORDS[source.capabilities.change_detection],
        "triggers": catalogue.triggers_for(source.key),
        "action_rows": _action_rows(flow),
        "live_problems": None,
        "open_conflict_count": conflicts.conflicts_open_count(flow=flow),
        "health": flow_cards(flows=Flow.objects.filter(pk=flow.pk))[0].health,
        **extra,
    }


@login_required
def flow_detail(request, workspace_id, flow_id):
    flow = flow_for_user(request, workspace_id, flow_id)
    return render(request, "sync/flow_detail.html", _detail_context(request, flow))


@login_required
def flow_delete(request, workspace_id, flow_id):
    flow = flow_for_user(request, workspace_id, flow_id, Role.EDITOR)
    running = run_in_flight(flow=flow)
    if request.method == "POST":
        if running:
            messages.error(request, "A run of this flow is in progress: delete it when it ends.")
            return _detail(flow)
        services.flow_delete(flow=flow)
        messages.success(request, f"Flow “{flow.name}” deleted.")
        return redirect("sync:flow-list", workspace_id)
    return render(request, "sync/flow_delete.html", {"flow": flow, "running": running})


@login_required
@require_POST
def flow_run(request, workspace_id, flow_id):
    """Dry run (dry_run=1) or Run now (dry_run=0); without the field, the flow's mode says."""
    flow = flow_for_user(request, workspace_id, flow_id, Role.EDITOR)
    choice = request.POST.get("dry_run")
    dry_run = {"1": True, "0": False}.get(choice) if choice else None
    try:
        run = run_start(flow=flow, trigger=Run.Trigger.MANUAL, dry_run=dry_run)
    except RunRefused as refusal:
        messages.error(request, str(refusal))
        return _detail(flow)
    tasks.run_flow.delay_on_commit(run.pk)
    return redirect("sync:run-detail", workspace_id, flow.pk, run.pk)


@login_required
@require_POST
def flow_mode(request, workspace_id, flow_id):
    """Go live (only with a healthy mapping and working connections), or back to test."""
    flow = flow_for_user(request, workspace_id, flow_id, Role.EDITOR)
    mode = request.POST.get("mode")
    if mode not in Flow.Mode.values:
        messages.error(request, "Choose test or live mode.")
        return _detail(flow)
    try:
        services.flow_set_mode(flow=flow, mode=mode)
    except ValidationError as error:
        problems = error.message_dict.get("mode", error.messages)
        context = _detail_context(request, flow, live_problems=problems)
        return render(request, "sync/flow_detail.html", context)
    if flow.is_live:
        messages.success(request, "The flow is live: its runs now write to the target.")
    else:
        messages.success(request, "Back in test mode: runs are dry runs and write nothing.")
    return _detail(flow)


@login_required
@require_POST
def flow_pause(request, workspace_id, flow_id):
    flow = flow_for_user(request, workspace_id, flow_id, Role.EDITOR)
    services.flow_pause(flow=flow)
    messages.success(request, "Flow paused: nothing triggers it until you resume it.")
    return _detail(flow)


@login_required
@require_POST
def flow_resume(request, workspace_id, flow_id):
    flow = flow_for_user(request, workspace_id, flow_id, Role.EDITOR)
    services.flow_resume(flow=flow)
    messages.success(request, "Flow resumed.")
    return _detail(flow)


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 18]


@login_required
@require_POST
def flow_replay(request, workspace_id, flow_id):
    """Dead letters back in the queue: one (`one`), the ticked ones (`ids`), or `all`."""
    flow = flow_for_user(request, workspace_id, flow_id, Role.EDITOR)
    if request.POST.get("all"):
        ids = None
    else:
        ids = _ids(request.POST.getlist("one") or request.POST.getlist("ids"))
        if not ids:
            messages.error(request, "Tick the dead letters to replay, or replay them all.")
            return _detail(flow)
    count = services.dead_letters_replay(flow=flow, ids=ids)
    if not count:
        messages.info(request, "Nothing to replay: those dead letters are gone.")
        return _detail(flow)
    plural = "" if count == 1 else "s"
    process = getattr(tasks, "changes_process", None)
    if process is None:
        messages.warning(request, NO_CHANGE_PROCESSOR.format(count=count, s=plural))
    else:
        process.delay_on_commit(flow.pk)
        messages.success(request, f"Replaying {count} dead letter{plural}.")
    return _detail(flow)
