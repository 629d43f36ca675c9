"""Preview, samples and mapping tests of the editor (see views.py for the rest)."""

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from accounts.models import Role
from mappings import services
from mappings.checks import mapping_check
from mappings.forms import row_index
from mappings.models import MappingSample, MappingTest
from mappings.preview import mapping_preview
from mappings.views import editor_body, error_messages, get_mapping

MAX_ID = 10**18  # below the largest 64-bit primary key: a bigger "id" is no sample


@login_required
@require_POST
def preview(request, workspace_id, mapping_id):
    mapping = get_mapping(request, workspace_id, mapping_id)
    context = {"mapping": mapping, "can_edit": request.membership.has_role(Role.EDITOR)}
    try:
        record, current = _preview_input(request, mapping)
    except ValidationError as error:
        context["error"] = " ".join(error_messages(error))
        return render(request, "mappings/_preview.html", context)
    result = mapping_preview(mapping=mapping, record=record, current=current)
    context.update(
        preview=result,
        record_json=json.dumps(record, indent=2, ensure_ascii=False),
        current_json=json.dumps(current, indent=2, ensure_ascii=False) if current else "",
        payload_json=json.dumps(result.payload, indent=2, ensure_ascii=False),
    )
    return render(request, "mappings/_preview.html", context)


def _preview_input(request, mapping):
    sample_id = request.POST.get("sample")
    text = request.POST.get("record", "").strip()
    if sample_id:
        pk = row_index(sample_id, limit=MAX_ID)
        sample = mapping.samples.filter(pk=pk).first() if pk is not None else None
        if sample is None:
            raise ValidationError("That sample no longer exists.")
        record = sample.record
    elif text:
        record = services.parse_json_record(text, what="sample record")
    else:
        raise ValidationError("Choose a saved sample, fetch one, or paste a record as JSON.")
    current_text = request.POST.get("current", "").strip()
    current = (
        services.parse_json_record(current_text, what="target's current record")
        if current_text
        else None
    )
    return record, current


@login_required
@require_POST
def sample_new(request, workspace_id, mapping_id):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    errors = []
    try:
        if request.POST.get("fetch"):
            services.sample_fetch(mapping=mapping)
        else:
            record = services.parse_json_record(request.POST.get("record", ""), what="sample")
            services.sample_create(
                mapping=mapping, name=request.POST.get("name", ""), record=record
            )
    except ValidationError as error:
        errors = error_messages(error)
    return editor_body(request, mapping, errors=errors)


@login_required
@require_POST
def sample_delete(request, workspace_id, mapping_id, sample_id):
    mapping = get_mapping(request, workspace_id, mapping_id, Role.EDITOR)
    services.sample_delete(sample=get_object_or_404(MappingSample, pk=sample_id, mapping=mapping))
    return editor_body(request, mapping)


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
