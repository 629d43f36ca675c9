"""Preview, samples and mapping tests of the editor (see views.py for the rest)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.models import Role
from integrations.providers.registry import get_provider
from mappings import services
from mappings.checks import mapping_check
from mappings.forms import MAX_ID, row_index, rule_from_post
from mappings.models import MappingSample, MappingTest
from mappings.preview import preview_context
from mappings.views import REFRESH_PREVIEW, editor_body, error_messages, get_mapping


@login_required
@require_POST
def preview(request, workspace_id, mapping_id):
    """The preview pane's result. With the rule form's fields in the post (the pane sends
    the open rule form along), it previews the mapping as it would be with that rule saved."""
    mapping = get_mapping(request, workspace_id, mapping_id)
    context = {"mapping": mapping, "can_edit": request.membership.has_role(Role.EDITOR)}
    try:
        record, current, sample = _preview_input(request, mapping)
    except ValidationError as error:
        context["error"] = " ".join(error_messages(error))
        return render(request, "mappings/_preview.html", context)
    if record is None:
        if not request.POST.get("refresh"):  # asked for, so say what is missing
            context["error"] = "Choose a saved sample, fetch samples, or paste a record as JSON."
        # Re-run by itself after a change: nothing chosen yet is no error, just how to start.
        return render(request, "mappings/_preview.html", context)
    spec, context["draft_note"], context["draft_rule_number"] = _draft(request, mapping)
    context.update(
        preview_context(mapping=mapping, record=record, current=current, spec=spec, sample=sample)
    )
    return render(request, "mappings/_preview.html", context)


def _preview_input(request, mapping):
    """(record, target's current record, sample) from the pane's form; record None when
    neither a sample is chosen nor a record pasted."""
    sample_id = request.POST.get("sample")
    text = request.POST.get("record", "").strip()
    sample = None
    if sample_id:
        pk = row_index(sample_id, limit=MAX_ID)
        sample = mapping.samples.filter(pk=pk).first() if pk is not None else None
        if sample is None:
            raise ValidationError("That sample no longer exists. Choose another.")
        record = sample.record
    elif text:
        record = services.parse_json_record(text, what="sample record")
    else:
        return None, None, None
    current_text = request.POST.get("current", "").strip()
    current = (
        services.parse_json_record(current_text, what="target's current record")
        if current_text
        else None
    )
    return record, current, sample


def _draft(request, mapping) -> tuple[dict | None, str, int]:
    """(spec to preview, a note saying what is shown, the edited rule's number) for the
    rule form sent along; (None, "", 0) when no rule is being edited."""
    if "source_kind" not in request.POST or not request.membership.has_role(Role.EDITOR):
        return None, "", 0
    rule_id = request.POST.get("rule_id") or None
    rule, form = rule_from_post(request.POST)
    if form.errors:
        first = next(iter(form.errors.values()))[0]
        return (
            None,
            f"Showing the saved rules: the rule you are editing is not complete ({first})",
            0,
        )
    try:
        spec = services.spec_with_draft_rule(mapping=mapping, rule=rule, rule_id=rule_id)
    except ValidationError as error:
        reasons = " ".join(error_messages(error))
        return None, f"Showing the saved rules: the rule you are editing cannot run ({reasons})", 0
    ids = [r["id"] for r in spec["rules"]]
    number = ids.index(rule_id or services.DRAFT_RULE_ID) + 1
    what = f"your unsaved changes to rule {number}" if rule_id else f"the new rule {number}"
    return spec, f"Including {what}: save the rule to keep it.", number


def _samples_response(request, mapping, *, selected=None, errors=()):
    """After a sample change: for htmx the sample tools and, swapped out of band, the picker
    with `selected` chosen (else the one chosen before, if it is still there); the preview
    re-runs on it. Without htmx, the editor page showing that sample."""
    samples = list(mapping.samples.all())
    if selected is None:
        chosen = row_index(request.POST.get("sample"), limit=MAX_ID)
        selected = next((s for s in samples if s.pk == chosen), None)
    if not request.htmx:
        for error in errors:
            messages.error(request, error)
        url = reverse("mappings:mapping-detail", args=[mapping.workspace_id, mapping.pk])
        return redirect(f"{url}?sample={selected.pk}" if selected else url)
    context = {
        "workspace": request.membership.workspace,
        "mapping": mapping,
        "source_info": get_provider(mapping.source_provider),
        "samples": samples,
        "selected_sample": selected,
        "sample_errors": errors,
        "can_edit": True,
    }
    response = render(request, "mappings/_sample_tools.html", context)
    return trigger_client_event(response, REFRESH_PREVIEW, after="swap")


@login_required
@require_POST
def sample_new(request, workspace_id, mapping_id):
    """Fetch samples from the source connection (the first is then shown), or save one typed
    in (then shown)."""
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    try:
        if request.POST.get("fetch"):
            sample = services.samples_fetch(mapping=mapping)[0]
        else:
            record = services.parse_json_record(request.POST.get("record", ""), what="sample")
            sample = services.sample_create(
                mapping=mapping, name=request.POST.get("name", ""), record=record
            )
    except ValidationError as error:
        return _samples_response(request, mapping, errors=error_messages(error))
    return _samples_response(request, mapping, selected=sample)


@login_required
@require_POST
def sample_delete(request, workspace_id, mapping_id, sample_id):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    services.sample_delete(sample=get_object_or_404(MappingSample, pk=sample_id, mapping=mapping))
    return _samples_response(request, mapping)


@login_required
@require_POST
def test_new(request, workspace_id, mapping_id):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    errors = []
    try:
        record = services.parse_json_record(request.POST.get("record", ""), what="test input")
        expected = services.parse_json_record(
            request.POST.get("expected", ""), what="expected output"
        )
        current_text = request.POST.get("current", "").strip()
        current = (
            services.parse_json_record(current_text, what="current record")
            if current_text
            else None
        )
        services.test_create(
            mapping=mapping,
            name=request.POST.get("name", ""),
            source_record=record,
            current_record=current,
            expected_payload=expected,
        )
    except ValidationError as error:
        errors = error_messages(error)
    if errors and request.htmx:
        # Said next to the form, in the preview pane, not above the rules.
        response = render(request, "mappings/_errors.html", {"errors": errors})
        return reswap(retarget(response, "#save-test-errors"), "innerHTML")
    return editor_body(request, mapping, errors=errors)


@login_required
@require_POST
def test_delete(request, workspace_id, mapping_id, test_id):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    services.test_delete(test=get_object_or_404(MappingTest, pk=test_id, mapping=mapping))
    return editor_body(request, mapping)


@login_required
@require_POST
def mapping_recheck(request, workspace_id, mapping_id):
    """Check again now, reading the providers' fields fresh (a custom field may be gone)."""
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    mapping_check(mapping=mapping, fresh=True)
    return editor_body(request, mapping)
