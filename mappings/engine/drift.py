"""Schema drift: rules that name a field the provider no longer has.

A deleted or renamed HighLevel custom field, or a platform attribute that went away, makes a
rule silently read nothing or write nowhere. Checked on save and before every run; a mapping
with drift does not compile, so a flow using it refuses to write.

Field sets come from the providers' field catalogues. A list index in a path ("contacts.0.Email")
also matches the catalogue spellings "contacts.*.Email" and "contacts[].Email"; HighLevel custom
fields are "customFields.<id>" and "customFields.key:<fieldKey>" (customfields.custom_field_paths
makes both from the definitions).
"""

import re
from typing import Any

from mappings.engine.conditions import condition_fields
from mappings.engine.problems import Problem
from mappings.engine.templates import TemplateError, template_fields

# Transforms whose args name more fields of the source record.
_FIELD_ARGS = {"first_non_empty": "fields", "join": "fields"}


def source_fields_of_rule(rule: dict) -> list[str]:
    """Every source field a rule reads: its source, its condition, and transform args."""
    fields: list[str] = []
    source = rule.get("source") or {}
    if source.get("kind") == "field" and isinstance(source.get("value"), str):
        fields.append(source["value"])
    elif source.get("kind") == "template" and isinstance(source.get("value"), str):
        fields.extend(_template_fields(source["value"]))
    for step in rule.get("transforms") or []:
        if not isinstance(step, dict):
            continue
        args = step.get("args") or {}
        name = step.get("name")
        if name in _FIELD_ARGS and isinstance(args.get(_FIELD_ARGS[name]), list):
            fields.extend(f for f in args[_FIELD_ARGS[name]] if isinstance(f, str))
        if name == "template" and isinstance(args.get("template"), str):
            fields.extend(f for f in _template_fields(args["template"]) if f != "value")
    fields.extend(condition_fields(rule.get("condition")))
    return list(dict.fromkeys(fields))


def _template_fields(text: str) -> list[str]:
    try:
        return template_fields(text)
    except TemplateError:
        return []


def _spellings(path: str) -> set[str]:
    star = re.sub(r"(^|\.)\d+(?=\.|$)", r"\1*", path)
    brackets = re.sub(r"\.\d+(?=\.|$)", "[]", path)
    zero = re.sub(r"(^|\.)\d+(?=\.|$)", r"\g<1>0", path)
    return {path, star, brackets, zero}


def _known(path: str, fields: set[str]) -> bool:
    return not _spellings(path).isdisjoint(fields)


def check_drift(
    spec: dict,
    source_fields: set[str] | None,
    target_fields: set[str] | None,
    *,
    options: dict | None = None,
) -> list[Problem]:
    """A problem for every rule naming a field the source or target no longer has. Either
    set may be None (not known: not checked)."""
    problems: list[Problem] = []
    if source_fields is not None:
        for path in condition_fields(spec.get("record_condition")):
            if not _known(path, source_fields):
                problems.append(
                    Problem(
                        path,
                        "",
                        f"the record condition reads {path}, which "
                        f"{spec.get('source')} no longer has",
                        "drift",
                    )
                )
    for rule in spec.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        rule_id = str(rule.get("id", ""))
        target = rule.get("target")
        if source_fields is not None:
            for path in source_fields_of_rule(rule):
                if not _known(path, source_fields):
                    problems.append(
                        Problem(
                            str(target),
                            rule_id,
                            f"reads {path}, which {spec.get('source')} no longer has",
                            "drift",
                        )
                    )
        known = target_fields is None or not isinstance(target, str)
        if not known and not _known(target, target_fields):
            problems.append(
                Problem(
                    target,
                    rule_id,
                    f"writes {target}, which {spec.get('target')} no longer has",
                    "drift",
                )
            )
    return problems


def used_fields(spec: dict) -> dict[str, Any]:
    """{"source": [...], "target": [...]}: the fields a mapping touches (for the editor)."""
    source: list[str] = list(condition_fields(spec.get("record_condition")))
    target: list[str] = []
    for rule in spec.get("rules") or []:
        if isinstance(rule, dict):
            source.extend(source_fields_of_rule(rule))
            if isinstance(rule.get("target"), str):
                target.append(rule["target"])
    return {"source": list(dict.fromkeys(source)), "target": list(dict.fromkeys(target))}
