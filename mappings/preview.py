"""Preview: what a mapping would write for one record, field by field. Writes nothing."""

import json
from dataclasses import dataclass, field
from typing import Any

from mappings import engine
from mappings.catalogues import field_catalogue
from mappings.checks import engine_options, full_spec
from mappings.models import Mapping


@dataclass
class PreviewRow:
    field: str
    label: str
    value: Any
    rule_id: str
    old: Any = None
    changed: bool = False
    rule_number: int = 0  # the rule's place in the list, as the editor numbers it


@dataclass
class PreviewNote:
    """A problem or a skipped rule, named as the editor names things (label, rule number)."""

    field: str
    label: str
    reason: str
    rule_number: int = 0


@dataclass
class Preview:
    rows: list[PreviewRow] = field(default_factory=list)
    payload: dict = field(default_factory=dict)
    problems: list[PreviewNote] = field(default_factory=list)
    skipped_rules: list[PreviewNote] = field(default_factory=list)
    skipped_reason: str = ""
    error: str = ""  # the spec itself cannot run (drift, invalid)


def mapping_preview(
    *, mapping: Mapping, record: Any, current: Any = None, spec: dict | None = None
) -> Preview:
    """`spec`: a spec other than the saved one (the saved one with a rule being edited)."""
    spec = full_spec(mapping, spec)
    try:
        compiled = engine.compile_mapping(spec, options=engine_options(mapping))
    except engine.SpecError as error:
        return Preview(error="; ".join(p.reason for p in error.problems))
    result = compiled.apply(record, current=current)
    labels = field_catalogue(mapping.target_provider, mapping.target_connection).by_path()
    changes = {change.field: change for change in result.changes}
    rule_of = {rule["target"]: rule["id"] for rule in spec["rules"]}
    number_of = {rule["id"]: index for index, rule in enumerate(spec["rules"], start=1)}

    def label(path: str) -> str:
        spec_field = labels.get(path)
        return spec_field.label if spec_field else path

    rows = []
    for path, value in _flatten_payload(result.payload):
        change = changes.get(path)
        rule_id = change.rule_id if change else rule_of.get(path, "")
        rows.append(
            PreviewRow(
                field=path,
                label=label(path),
                value=value,
                rule_id=rule_id,
                old=change.old if change else None,
                changed=change is not None,
                rule_number=number_of.get(rule_id, 0),
            )
        )
    return Preview(
        rows=rows,
        payload=result.payload,
        problems=[
            PreviewNote(p.field, label(p.field), p.reason, number_of.get(p.rule, 0))
            for p in result.problems
        ],
        skipped_rules=[
            PreviewNote(s.field, label(s.field), s.reason, number_of.get(s.rule_id, 0))
            for s in result.skipped_rules
        ],
        skipped_reason=result.skipped_reason,
    )


def preview_context(
    *,
    mapping: Mapping,
    record: Any,
    current: Any = None,
    spec: dict | None = None,
    sample=None,
) -> dict:
    """What templates/mappings/_preview.html shows for one record: the preview, the record,
    and the JSON a "save as a mapping test" form carries."""
    result = mapping_preview(mapping=mapping, record=record, current=current, spec=spec)
    return {
        "preview": result,
        "record": record,
        "sample": sample,
        "record_json": json.dumps(record, indent=2, ensure_ascii=False),
        "current_json": json.dumps(current, indent=2, ensure_ascii=False) if current else "",
        "payload_json": json.dumps(result.payload, indent=2, ensure_ascii=False),
    }


def _flatten_payload(payload: dict) -> list[tuple[str, Any]]:
    rows = []
    for key, value in payload.items():
        if key == "customFields" and isinstance(value, list):
            rows += [(f"customFields.{item.get('id')}", item.get("field_value")) for item in value]
        else:
            rows.append((key, value))
    return rows
