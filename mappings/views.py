"""The mapping editor: thin views over mappings.services; htmx swaps `#editor-body` in place.
Preview, samples and mapping tests are in preview_views.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from accounts.access import workspace_access
from accounts.models import Role
from integrations.providers.registry import get_provider
from mappings import engine, services
from mappings.catalogues import field_catalogue
from mappings.forms import (
    MAX_ID,
    SOURCE_KINDS,
    WRITE_MODE_WORDS,
    WRITE_MODES,
    MappingNewForm,
    MappingSettingsForm,
    RuleForm,
    condition_from_post,
    condition_rows,
    row_error,
    row_index,
    rule_form_for,
    rule_from_post,
    transforms_by_name,
)
from mappings.models import Mapping
from mappings.preview import preview_context
from mappings.selectors import mappings_for_workspace

# The event the preview pane listens for: sent after every change it should show.
REFRESH_PREVIEW = "refresh-preview"


def get_mapping(request, workspace_id, mapping_id, role=Role.VIEWER) -> Mapping:
    membership = workspace_access(request, workspace_id, role)
    return get_object_or_404(Mapping, pk=mapping_id, workspace=membership.workspace)


def error_messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [m for field_messages in error.message_dict.values() for m in field_messages]
    return list(error.messages)


def _editor_context(request, mapping: Mapping, **extra) -> dict:
    source = field_catalogue(mapping.source_provider, mapping.source_connection)
    target = field_catalogue(mapping.target_provider, mapping.target_connection)
    target_by_path = target.by_path()
    problems_by_rule: dict[str, list[dict]] = {}
    for problem in mapping.problems:
        problems_by_rule.setdefault(problem["rule"], []).append(problem)
    rules = [
        {
            "rule": rule,
            "field": target_by_path.get(rule.get("target")),
            "problems": problems_by_rule.get(rule.get("id"), []),
            "transforms": [step.get("name") for step in rule.get("transforms") or []],
            "write_mode_label": WRITE_MODE_WORDS.get(
                rule.get("write_mode"), rule.get("write_mode")
            ),
        }
        for rule in mapping.rules
    ]
    tests = list(mapping.tests.all())
    record_rows, record_join, record_simple = condition_rows(mapping.spec.get("record_condition"))
    can_edit = request.membership.has_role(Role.EDITOR)
    return {
        "workspace": request.membership.workspace,
        "mapping": mapping,
        "source_info": get_provider(mapping.source_provider),
        "target_info": get_provider(mapping.target_provider),
        "source_catalogue": source,
        "target_catalogue": target,
        "rules": rules,
        "general_problems": [p for p in mapping.problems if not p["rule"]],
        "record_rows": record_rows,
        "record_join": record_join,
        "record_simple": record_simple,
        "operators": engine.operator_catalogue(),
        "samples": mapping.samples.all(),
        "tests": tests,
        "tests_summary": _tests_summary(tests),
        "can_edit": can_edit,
        **extra,
    }


def _tests_summary(tests) -> dict:
    run_at = [test.last_run_at for test in tests if test.last_run_at]
    return {
        "passed": sum(test.passed is True for test in tests),
        "failed": sum(test.passed is False for test in tests),
        "not_run": sum(test.passed is None for test in tests),
        "run_at": max(run_at) if run_at else None,
    }


def editor_body(request, mapping: Mapping, **extra):
    """After a change: the editor body for htmx (and the preview pane told to re-run once it
    is swapped in), the editor page for a plain POST."""
    mapping.refresh_from_db()
    if request.htmx:
        response = render(
            request, "mappings/_editor_body.html", _editor_context(request, mapping, **extra)
        )
        return trigger_client_event(response, REFRESH_PREVIEW, after="swap")
    for error in extra.get("errors", []):
        messages.error(request, error)
    return redirect("mappings:mapping-detail", mapping.workspace_id, mapping.pk)


@login_required
def mapping_list(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    context = {
        "workspace": membership.workspace,
        "mappings": mappings_for_workspace(workspace=membership.workspace),
        "can_edit": membership.has_role(Role.EDITOR),
    }
    return render(request, "mappings/mapping_list.html", context)


@login_required
def mapping_new(request, workspace_id):
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    form = MappingNewForm(request.POST or None, workspace=membership.workspace)
    if request.method == "POST" and form.is_valid():
        try:
            mapping = services.mapping_create(
                workspace=membership.workspace, user=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return redirect("mappings:mapping-detail", workspace_id, mapping.pk)
    context = {
        "workspace": membership.workspace,
        "form": form,
        "connect_url": reverse("integrations:connection-new", args=[workspace_id]),
    }
    return render(request, "mappings/mapping_new.html", context)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@login_required
def mapping_detail(request, workspace_id, mapping_id):
    """The editor, with the preview already run on a sample: the one in ?sample= (where
    "fetch samples" sends a browser without htmx), else the first."""
    mapping = get_mapping(request, workspace_id, mapping_id)
    context = _editor_context(request, mapping)
    samples = context["samples"] = list(context["samples"])
    wanted = row_index(request.GET.get("sample"), limit=MAX_ID)
    sample = next((s for s in samples if s.pk == wanted), samples[0] if samples else None)
    context["selected_sample"] = sample
    if sample is not None:
        context.update(preview_context(mapping=mapping, record=sample.record, sample=sample))
    context["settings_form"] = MappingSettingsForm(
        mapping=mapping,
        initial={
            "name": mapping.name,
            "source_connection": mapping.source_connection,
            "target_connection": mapping.target_connection,
        },
    )
    return render(request, "mappings/mapping_detail.html", context)


@login_required
@require_POST
def mapping_settings(request, workspace_id, mapping_id):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    form = MappingSettingsForm(request.POST, mapping=mapping)
    if form.is_valid():
        try:
            services.mapping_update(mapping=mapping, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error_messages(error)))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("mappings:mapping-detail", workspace_id, mapping.pk)


@login_required
def mapping_delete(request, workspace_id, mapping_id):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    if request.method == "POST":
        try:
            services.mapping_delete(mapping=mapping)
        except ValidationError as error:
            messages.error(request, " ".join(error_messages(error)))
            return redirect("mappings:mapping-detail", workspace_id, mapping.pk)
        messages.success(request, f"Deleted the mapping “{mapping.name}”.")
        return redirect("mappings:mapping-list", workspace_id)
    return render(request, "mappings/mapping_delete.html", {"mapping": mapping})


@login_required
def mapping_export(request, workspace_id, mapping_id):
    mapping = get_mapping(request, workspace_id, mapping_id)
    response = HttpResponse(
        services.mapping_export(mapping=mapping), content_type="application/json"
    )
    filename = f"mapping-{mapping.source_provider}-to-{mapping.target_provider}-v{mapping.version}"
    response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
    return response


@login_required
def mapping_versions(request, workspace_id, mapping_id):
    mapping = get_mapping(request, workspace_id, mapping_id)
    context = {
        "mapping": mapping,
        "versions": mapping.versions.select_related("created_by"),
        "can_edit": request.membership.has_role(Role.EDITOR),
    }
    return render(request, "mappings/mapping_versions.html", context)


@login_required
@require_POST
def mapping_restore(request, workspace_id, mapping_id, number):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    try:
        services.mapping_restore(mapping=mapping, user=request.user, number=number)
    except ValidationError as error:
        messages.error(request, " ".join(error_messages(error)))
    return redirect("mappings:mapping-detail", workspace_id, mapping.pk)


# --- rules ---------------------------------------------------------------------------------------
def _rule_form_response(request, mapping, form: RuleForm, rule_id: str | None):
    context = _editor_context(request, mapping)
    context.update(
        form=form,
        rule_id=rule_id,
        write_modes=WRITE_MODES,
        source_kinds=SOURCE_KINDS,
        transform_catalogue=engine.transform_catalogue(),
        transforms_info=transforms_by_name(),
    )
    return render(request, "mappings/_rule_form.html", context)


@login_required
def rule_new(request, workspace_id, mapping_id):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    if request.method == "GET":
        return _rule_form_response(request, mapping, RuleForm(), None)
    return _rule_save(request, mapping, None)


@login_required
def rule_edit(request, workspace_id, mapping_id, rule_id):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    rule = next((r for r in mapping.rules if r.get("id") == rule_id), None)
    if rule is None:
        raise Http404("No such rule.")
    if request.method == "GET":
        return _rule_form_response(request, mapping, rule_form_for(rule), rule_id)
    return _rule_save(request, mapping, rule_id)


def _rule_save(request, mapping, rule_id):
    rule, form = rule_from_post(request.POST)
    if not form.errors:
        try:
            services.rule_save(mapping=mapping, user=request.user, rule=rule, rule_id=rule_id)
        except ValidationError as error:
            form.error("general", " ".join(error_messages(error)))
        else:
            return editor_body(request, mapping)
    return _rule_form_response(request, mapping, form, rule_id)


@login_required
def rule_transform_row(request, workspace_id, mapping_id):
    """One more transform row for the rule form (htmx appends it)."""
    get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    info = transforms_by_name().get(request.GET.get("name", ""))
    if info is None:
        return HttpResponse("")
    index = row_index(request.GET.get("index") or "0")
    if index is None:
        return _row_error(request.GET["index"])
    context = {"step": {"name": info["name"], "args": {}}, "info": info, "index": index}
    response = render(request, "mappings/_transform_row.html", context)
    return trigger_client_event(response, REFRESH_PREVIEW, after="swap")


def _row_error(row: str) -> HttpResponse:
    """In place of a new row, why there is none (200: htmx swaps only 2xx answers in)."""
    return HttpResponse(format_html('<p class="errorlist" role="alert">{}</p>', row_error(row)))


@login_required
def rule_condition_row(request, workspace_id, mapping_id):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    index = row_index(request.GET.get("index") or "0")
    if index is None:
        return _row_error(request.GET["index"])
    source = field_catalogue(mapping.source_provider, mapping.source_connection)
    context = {
        "row": {},
        "index": index,
        "prefix": request.GET.get("prefix", "c")
        if request.GET.get("prefix") in ("c", "rc")
        else "c",
        "operators": engine.operator_catalogue(),
        "source_catalogue": source,
    }
    response = render(request, "mappings/_condition_row.html", context)
    return trigger_client_event(response, REFRESH_PREVIEW, after="swap")


@login_required
@require_POST
def rule_move(request, workspace_id, mapping_id, rule_id):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    offset = -1 if request.POST.get("direction") == "up" else 1
    try:
        services.rule_move(mapping=mapping, user=request.user, rule_id=rule_id, offset=offset)
    except ValidationError as error:
        return editor_body(request, mapping, errors=error_messages(error))
    return editor_body(request, mapping)


@login_required
@require_POST
def rule_delete(request, workspace_id, mapping_id, rule_id):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    try:
        services.rule_delete(mapping=mapping, user=request.user, rule_id=rule_id)
    except ValidationError as error:
        return editor_body(request, mapping, errors=error_messages(error))
    return editor_body(request, mapping)


@login_required
@require_POST
def record_condition(request, workspace_id, mapping_id):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    form = RuleForm()
    condition, _, _ = condition_from_post(request.POST, form, "rc")
    errors = [m for messages_ in form.errors.values() for m in messages_]
    if not errors:
        try:
            services.record_condition_save(mapping=mapping, user=request.user, condition=condition)
        except ValidationError as error:
            errors = error_messages(error)
    return editor_body(request, mapping, errors=errors)
