"""Mapping specs: plain JSON-able data, checked rule by rule and built into compiled rules.

    {"source": "ecwid", "target": "highlevel", "object": "contact", "direction": "to_target",
     "record_condition": {...} | null,
     "rules": [{"id": "r1", "target": "email",
                "source": {"kind": "field" | "constant" | "template", "value": ...},
                "transforms": [{"name": "trim", "args": {}}],
                "condition": {...} | null,
                "write_mode": "overwrite" | "create_only" | "if_empty" | "append",
                "required": false, "default": null}]}

Rules always read the `source` provider's record and write the `target`'s; the reverse flow
is its own mapping with the two swapped. Validation works by building, so what validates is
exactly what runs.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mappings.engine import customfields
from mappings.engine.conditions import ConditionSpecError, compile_condition
from mappings.engine.paths import compile_getter, compile_setter, is_valid_path
from mappings.engine.problems import Problem, SkippedRule
from mappings.engine.templates import TemplateError, compile_template
from mappings.engine.transforms import ArgError, BuildContext, build_transform
from mappings.engine.transforms.registry import check_region, check_timezone, shown

PROVIDERS = ("highlevel", "orderspace", "ecwid", "cscart", "shift4shop", "cin7")
OBJECTS = ("contact", "task", "note", "tag_set")
DIRECTIONS = ("to_target",)
WRITE_MODES = ("overwrite", "create_only", "if_empty", "append")
SOURCE_KINDS = ("field", "constant", "template")
TOP_KEYS = {"source", "target", "object", "direction", "record_condition", "rules"}
TOP_KEYS |= {"name", "version", "description"}
RULE_KEYS = {"id", "target", "source", "transforms", "condition", "write_mode", "required"}
RULE_KEYS |= {"default", "label"}


@dataclass(slots=True)
class CompiledRule:
    id: str
    target: str
    read: Callable[[Any], Any]  # record -> source value
    source_path: str | None  # set for plain field sources (codegen reads those inline)
    transforms: tuple[Callable[[Any, Any], Any], ...]
    condition: Callable[[Any, Any], bool] | None
    mode: str
    required: bool
    default: Any
    read_old: Callable[[Any], Any]  # current target record -> current value
    write: Callable[[dict, Any], None]
    custom_field_id: str | None  # HighLevel custom field id when the target is one
    coerce: Callable[[Any], Any] | None
    # Prebuilt skip records: they are the same for every record.
    skip_condition: SkippedRule
    skip_create_only: SkippedRule
    skip_not_empty: SkippedRule
    skip_no_value: SkippedRule


def _problem(where: str, rule: str, reason: str) -> Problem:
    return Problem(field=where, rule=rule, reason=reason, code="invalid_spec")


def check_options(options: dict | None) -> tuple[BuildContext, list[dict], list[Problem]]:
    options = options or {}
    problems = []
    region = options.get("default_region") or "US"
    timezone = options.get("timezone") or "UTC"
    try:
        check_region(region, "default_region")
    except ArgError as exc:
        problems.append(_problem("options.default_region", "", str(exc)))
        region = "US"
    try:
        check_timezone(timezone)
    except ArgError as exc:
        problems.append(_problem("options.timezone", "", str(exc)))
        timezone = "UTC"
    custom = options.get("custom_fields")
    if custom is not None and not (
        isinstance(custom, list) and all(isinstance(d, dict) and d.get("id") for d in custom)
    ):
        problems.append(_problem("options.custom_fields", "", "must be a list of {id, ...}"))
        custom = None
    return BuildContext(default_region=region.upper(), timezone=timezone), custom, problems


def build(spec: Any, options: dict | None = None, *, need_custom_fields: bool = True):
    """(record condition, record condition text, [CompiledRule], problems)."""
    context, custom_fields, problems = check_options(options)
    if not isinstance(spec, dict):
        return None, "", [], [_problem("mapping", "", "a mapping must be an object")]
    for key in sorted(set(spec) - TOP_KEYS):
        problems.append(_problem(key, "", f"unknown key {shown(key)}"))
    for key, allowed in (("source", PROVIDERS), ("target", PROVIDERS), ("object", OBJECTS)):
        if spec.get(key) not in allowed:
            problems.append(
                _problem(
                    key,
                    "",
                    f"{key} must be one of {', '.join(allowed)}, not {shown(spec.get(key))}",
                )
            )
    if spec.get("direction", "to_target") not in DIRECTIONS:
        problems.append(
            _problem(
                "direction",
                "",
                "direction must be 'to_target': the reverse flow is its own mapping with "
                "source and target swapped",
            )
        )
    record_check, record_text = None, ""
    if spec.get("record_condition") is not None:
        try:
            record_check, record_text = compile_condition(
                spec["record_condition"], "record_condition"
            )
        except ConditionSpecError as exc:
            problems.append(_problem("record_condition", "", str(exc)))
    rules_spec = spec.get("rules")
    if not isinstance(rules_spec, list):
        problems.append(_problem("rules", "", "rules must be a list"))
        return record_check, record_text, [], problems
    rules: list[CompiledRule] = []
    seen_ids: set[str] = set()
    seen_targets: dict[str, str] = {}
    source_is_hl = spec.get("source") == "highlevel"
    target_is_hl = spec.get("target") == "highlevel"
    for index, rule_spec in enumerate(rules_spec):
        where = f"rules[{index}]"
        if not isinstance(rule_spec, dict):
            problems.append(_problem(where, "", "a rule must be an object"))
            continue
        rule_id = rule_spec.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            problems.append(_problem(f"{where}.id", "", "every rule needs an id (text)"))
            rule_id = f"#{index + 1}"
        elif rule_id in seen_ids:
            twice = f"rule id {shown(rule_id)} is used twice"
            problems.append(_problem(f"{where}.id", rule_id, twice))
        seen_ids.add(rule_id)
        rule_problems: list[Problem] = []
        rule = _build_rule(
            rule_spec,
            rule_id,
            where,
            context,
            custom_fields,
            rule_problems,
            source_is_hl=source_is_hl,
            target_is_hl=target_is_hl,
            need_custom_fields=need_custom_fields,
        )
        problems.extend(rule_problems)
        if rule is None:
            continue
        # Two rules may share a target when they append, or when conditions choose between
        # them; two unconditional overwrites would silently discard one of them.
        exclusive = rule.mode != "append" and rule.condition is None
        if exclusive and rule.target in seen_targets:
            problems.append(
                _problem(
                    f"{where}.target",
                    rule_id,
                    f"{rule.target} is already written by rule {seen_targets[rule.target]}",
                )
            )
        if exclusive:
            seen_targets.setdefault(rule.target, rule_id)
        rules.append(rule)
    return record_check, record_text, rules, problems


def _build_rule(
    rule_spec: dict,
    rule_id: str,
    where: str,
    context: BuildContext,
    custom_fields: list[dict] | None,
    problems: list[Problem],
    *,
    source_is_hl: bool,
    target_is_hl: bool,
    need_custom_fields: bool,
) -> CompiledRule | None:
    def fail(part: str, reason: str) -> None:
        problems.append(_problem(f"{where}.{part}", rule_id, reason))

    for key in sorted(set(rule_spec) - RULE_KEYS):
        fail(key, f"unknown key {shown(key)}")
    target = rule_spec.get("target")
    if not is_valid_path(target):
        fail("target", "target must be a field path such as 'email' or 'billingPerson.city'")
        target = "?"
    read = _build_source(rule_spec.get("source"), fail, custom_fields, source_is_hl)
    source = rule_spec.get("source")
    source_path = None
    if (
        isinstance(source, dict)
        and source.get("kind") == "field"
        and is_valid_path(source.get("value"))
    ) and not (source_is_hl and customfields.is_custom_field_path(source["value"])):
        source_path = source["value"]
    transforms = []
    transform_specs = rule_spec.get("transforms") or []
    if not isinstance(transform_specs, list):
        fail("transforms", "transforms must be a list")
        transform_specs = []
    for t_index, step in enumerate(transform_specs):
        if not isinstance(step, dict) or set(step) - {"name", "args"}:
            fail(f"transforms[{t_index}]", 'a transform is {"name": ..., "args": {...}}')
            continue
        try:
            transforms.append(build_transform(step.get("name"), step.get("args"), context))
        except ArgError as exc:
            fail(f"transforms[{t_index}]", f"{step.get('name')}: {exc}")
    condition = None
    condition_text = ""
    if rule_spec.get("condition") is not None:
        try:
            condition, condition_text = compile_condition(rule_spec["condition"])
        except ConditionSpecError as exc:
            fail("condition", str(exc))
    mode = rule_spec.get("write_mode", "overwrite")
    if mode not in WRITE_MODES:
        fail("write_mode", f"write_mode must be one of {', '.join(WRITE_MODES)}, not {shown(mode)}")
    required = rule_spec.get("required", False)
    if not isinstance(required, bool):
        fail("required", "required must be true or false")
    default = rule_spec.get("default")
    try:
        json.dumps(default)
    except (TypeError, ValueError):
        fail("default", "default must be plain JSON data")
    custom_field_id, coerce = None, None
    read_old = compile_getter(target) if target != "?" else (lambda record: None)
    write = compile_setter(target) if target != "?" else (lambda payload, value: None)
    if target_is_hl and target != "?" and customfields.is_custom_field_path(target):
        if custom_fields is None:
            if need_custom_fields:
                fail(
                    "target", "HighLevel custom field definitions are needed to write custom fields"
                )
        else:
            definition = customfields.find_definition(target, custom_fields)
            if definition is None:
                problems.append(
                    Problem(target, rule_id, "HighLevel has no such custom field", "drift")
                )
            else:
                try:
                    coerce = customfields.coercer(definition, context)
                    custom_field_id = str(definition["id"])
                except ValueError as exc:
                    fail("target", str(exc))
    if problems:
        return None
    reason = f"condition not met: {condition_text}"
    return CompiledRule(
        id=rule_id,
        target=target,
        read=read,
        source_path=source_path,
        transforms=tuple(transforms),
        condition=condition,
        mode=mode,
        required=required,
        default=default,
        read_old=read_old,
        write=write,
        custom_field_id=custom_field_id,
        coerce=coerce,
        skip_condition=SkippedRule(rule_id, target, reason),
        skip_create_only=SkippedRule(rule_id, target, "only written when creating"),
        skip_not_empty=SkippedRule(rule_id, target, "the target already has a value"),
        skip_no_value=SkippedRule(rule_id, target, "no value to write"),
    )


def _build_source(source: Any, fail, custom_fields, source_is_hl: bool):
    if not isinstance(source, dict) or source.get("kind") not in SOURCE_KINDS:
        fail("source", 'source must be {"kind": "field" | "constant" | "template", "value": ...}')
        return lambda record: None
    kind, value = source["kind"], source.get("value")
    if set(source) - {"kind", "value"}:
        unknown = sorted(set(source) - {"kind", "value"})[0]
        fail("source", f"unknown source key {shown(unknown)}")
    if kind == "constant":
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            fail("source.value", "a constant must be plain JSON data")
        return lambda record: value
    if kind == "template":
        if not isinstance(value, str):
            fail("source.value", "a template must be text such as '{first_name} {last_name}'")
            return lambda record: None
        try:
            render = compile_template(value)
        except TemplateError as exc:
            fail("source.value", f"bad template: {exc}")
            return lambda record: None
        return lambda record: render(None, record)
    if not is_valid_path(value):
        fail("source.value", "a field source needs a field path such as 'email'")
        return lambda record: None
    if source_is_hl and customfields.is_custom_field_path(value):
        return _custom_field_reader(value, fail, custom_fields)
    return compile_getter(value)


def _custom_field_reader(path: str, fail, custom_fields):
    ref = path[len(customfields.PREFIX) :]
    if ref.startswith(customfields.KEY_PREFIX):
        definition = customfields.find_definition(path, custom_fields or [])
        if definition is None:
            fail("source.value", f"HighLevel has no custom field {shown(ref)}")
            return lambda record: None
        ref = str(definition["id"])
    field_id = ref
    return lambda record: customfields.current_values(record).get(field_id)
