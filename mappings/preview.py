"""Preview: what a mapping would write for one record, field by field. Writes nothing."""

from dataclasses import dataclass, field
from typing import Any

from mappings import engine
from mappings.catalogues import field_catalogue
from mappings.checks import engine_options, full_spec
from mappings.models import Mapping


# --- -----------------------------------------------------------------
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
class Preview:
    rows: list[PreviewRow] = field(default_factory=list)
    payload: dict = field(default_factory=dict)
    problems: list[engine.Problem] = field(default_factory=list)
    skipped_rules: list = field(default_factory=list)
    skipped_reason: str = ""
    error: str = ""  # the spec itself cannot run (drift, invalid)


def mapping_preview(*, mapping: Mapping, record: Any, current: Any = None) -> Preview:
    try:
        compiled = engine.compile_mapping(full_spec(mapping), options=engine_options(mapping))
    except engine.SpecError as error:
        return Preview(error="; ".join(p.reason for p in error.problems))
    result = compiled.apply(record, current=current)
    labels = field_catalogue(mapping.target_provider, mapping.target_connection).by_path()
    changes = {change.field: change for change in result.changes}
    rule_of = {rule["target"]: rule["id"] for rule in mapping.rules}
    number_of = {rule["id"]: index for index, rule in enumerate(mapping.rules, start=1)}
    rows = []
    for path, value in _flatten_payload(result.payload):
        spec = labels.get(path)
        change = changes.get(path)
        rule_id = change.rule_id if change else rule_of.get(path, "")
        rows.append(
            PreviewRow(
                field=path,
                label=spec.label if spec else path,
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
        problems=result.problems,
        skipped_rules=result.skipped_rules,
        skipped_reason=result.skipped_reason,
    )


def _flatten_payload(payload: dict) -> list[tuple[str, Any]]:
    rows = []
    for key, value in payload.items():
        if key == "customFields" and isinstance(value, list):
            rows += [(f"customFields.{item.get('id')}", item.get("field_value")) for item in value]
        else:
            rows.append((key, value))
    return rows
