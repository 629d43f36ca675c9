"""Turns compiled rules into one Python function, generated once per mapping.

A mapping is applied to every record of every sync, so the per-rule loop with its many
branches ("has a condition?", "which write mode?") is worth removing: this writes straight-line
code with only the branches each rule needs. Nothing from the spec is pasted into the source;
rule ids, paths, defaults and functions are passed in the namespace under generated names
(R3, X3_0, ...), so a spec cannot inject code. `CompiledMapping.source` shows the result.

The rules are written out twice: once for a record that does not exist in the target yet
(`current` is None: every current value is None, so there is nothing to read, compare with or
append to) and once for an update. Which one runs is decided once per record.
"""

from typing import Any

from mappings.engine.customfields import current_values
from mappings.engine.paths import split_path
from mappings.engine.problems import (
    Change,
    Problem,
    SkippedRule,
    SkipRule,
    TransformError,
)
from mappings.engine.spec import CompiledRule
from mappings.engine.transforms.registry import is_empty

_NOTHING = object()


def _internal(target: str, rule_id: str, exc: Exception) -> Problem:
    reason = f"internal error in a transform: {type(exc).__name__}: {exc}"
    return Problem(target, rule_id, reason, "internal_error")


def _written(payload: dict, rule: CompiledRule) -> Any:
    """What an earlier rule already put in the payload for this target, or _NOTHING."""
    if rule.custom_field_id is not None:
        for item in payload.get("customFields", ()):
            if item["id"] == rule.custom_field_id:
                return item["field_value"]
        return _NOTHING
    value = rule.read_old(payload)
    return _NOTHING if value is None else value


def _drop_change(changes: list[Change], target: str) -> None:
    changes[:] = [change for change in changes if change.field != target]


def write_custom(payload: dict, field_id: str, value: Any) -> None:
    items = payload.setdefault("customFields", [])
    for item in items:
        if item["id"] == field_id:
            item["field_value"] = value
            return
    items.append({"id": field_id, "field_value": value})


_EMPTY = "(not v or v.isspace()) if v.__class__ is str else (v is None or v == [] or v == {})"
_EMPTY_TRIMMED = "not v if v.__class__ is str else (v is None or v == [] or v == {})"


def generate(
    rules: tuple[CompiledRule, ...],
    *,
    shares_targets: bool,
    append_value,
    result_cls,
    record_condition=None,
    record_condition_text: str = "",
) -> tuple[Any, str]:
    """(apply function(record, *, current=None, previous=None), its source)."""
    ns: dict[str, Any] = {
        "Change": Change,
        "Problem": Problem,
        "SkippedRule": SkippedRule,
        "SkipRule": SkipRule,
        "TransformError": TransformError,
        "Result": result_cls,
        "is_empty": is_empty,
        "append_value": append_value,
        "current_values": current_values,
        "write_custom": write_custom,
        "_internal": _internal,
        "_written": _written,
        "_drop_change": _drop_change,
        "_NOTHING": _NOTHING,
        "_tuple_new": tuple.__new__,
    }
    lines = [
        "def apply(record, *, current=None, previous=None):",
        "    if not isinstance(record, dict):",
        "        problem = Problem('', '', 'the source record is not an object', 'bad_record')",
        "        return Result({}, [], [problem], [])",
    ]
    if record_condition is not None:
        ns["RECORD_CONDITION"] = record_condition
        ns["RECORD_SKIPPED"] = f"condition not met: {record_condition_text}"
        lines += [
            "    try:",
            "        if not RECORD_CONDITION(record, previous):",
            "            return Result({}, [], [], [], RECORD_SKIPPED)",
            "    except TransformError as exc:",
            "        reason = 'record condition: ' + str(exc)",
            "        problem = Problem('', '', reason, 'condition_failed')",
            "        return Result({}, [], [problem], [], 'the record condition failed')",
        ]
    lines += [
        "    payload = {}",
        "    changes = []",
        "    problems = []",
        "    skipped = []",
    ]
    # Objects several rules read from (billingPerson...) are fetched once per record.
    parents: dict[str, str] = {}
    for rule in rules:
        parts = split_path(rule.source_path) if rule.source_path else ()
        if len(parts) == 2 and not any(part.isdigit() for part in parts):
            parents.setdefault(parts[0], f"P{len(parents)}")
    for parent, name in parents.items():
        ns[f"K{name}"] = parent
        lines.append(f"    {name} = record.get(K{name})")
        lines.append(f"    if {name}.__class__ is not dict:")
        lines.append(f"        {name} = None")
    for i, rule in enumerate(rules):
        ns[f"RULE{i}"] = rule
        ns[f"ID{i}"] = rule.id
        ns[f"T{i}"] = rule.target
    if rules:
        lines.append("    if current is None:")
        for i, rule in enumerate(rules):
            lines.extend(_rule_lines(i, rule, ns, shares_targets, parents, creating=True))
        lines.append("    else:")
        lines.append("        custom_current = None")
        for i, rule in enumerate(rules):
            lines.extend(_rule_lines(i, rule, ns, shares_targets, parents, creating=False))
    lines.append("    return Result(payload, changes, problems, skipped)")
    source = "\n".join(lines) + "\n"
    code = compile(source, "<mapping>", "exec")
    exec(code, ns)  # noqa: S102 - our own generated source; spec values stay in `ns`
    return ns["apply"], source


def _rule_lines(
    i: int,
    rule: CompiledRule,
    ns: dict,
    shares_targets: bool,
    parents: dict[str, str],
    *,
    creating: bool,
) -> list[str]:
    out = [f"        # rule {i}", "        while True:"]
    add = out.append
    ind = "            "
    handlers = [
        f"{ind}except TransformError as exc:",
        f"{ind}    problems.append(Problem(T{i}, ID{i}, str(exc), 'transform_failed', "
        f"{rule.required!r}))",
        f"{ind}    break",
        f"{ind}except SkipRule as exc:",
        f"{ind}    skipped.append(SkippedRule(ID{i}, T{i}, str(exc)))",
        f"{ind}    break",
        f"{ind}except Exception as exc:  # a bug must not write a wrong value",
        f"{ind}    problems.append(_internal(T{i}, ID{i}, exc))",
        f"{ind}    break",
    ]
    if rule.condition is not None:
        ns[f"C{i}"] = rule.condition
        ns[f"SC{i}"] = rule.skip_condition
        add(f"{ind}try:")
        add(f"{ind}    if not C{i}(record, previous):")
        add(f"{ind}        skipped.append(SC{i})")
        add(f"{ind}        break")
        add(f"{ind}except TransformError as exc:")
        add(
            f"{ind}    problems.append(Problem(T{i}, ID{i}, 'condition: ' + str(exc), "
            "'condition_failed'))"
        )
        add(f"{ind}    break")
    if rule.mode == "create_only" and not creating:
        ns[f"SCO{i}"] = rule.skip_create_only
        add(f"{ind}skipped.append(SCO{i})")
        add(f"{ind}break")
        return out
    never = next((t.skip_reason for t in rule.transforms if hasattr(t, "skip_reason")), None)
    if never is not None:
        # A transform that can only ever skip (an empty value map): the rule never writes.
        ns[f"NEVER{i}"] = SkippedRule(rule.id, rule.target, never)
        add(f"{ind}skipped.append(NEVER{i})")
        add(f"{ind}break")
        return out
    add(f"{ind}try:")
    out.extend(_read_lines(i, rule, ns, ind + "    ", parents))
    for j, transform in enumerate(rule.transforms):
        ns[f"X{i}_{j}"] = transform
        out.extend(_transform_lines(i, j, transform, ns, ind + "    "))
    out.extend(handlers)
    trimmed_last = bool(rule.transforms) and getattr(rule.transforms[-1], "__name__", "") == "trim"
    # After an inlined trim a text value has no outer whitespace left: `not v` is enough.
    add(f"{ind}if {_EMPTY_TRIMMED if trimmed_last else _EMPTY}:")
    if rule.default is not None:
        ns[f"D{i}"] = rule.default
        add(f"{ind}    v = D{i}")
    elif rule.required:
        ns[f"MISSING{i}"] = Problem(rule.target, rule.id, "required value is missing", "missing")
        add(f"{ind}    problems.append(MISSING{i})")
        add(f"{ind}    break")
    else:
        ns[f"SNV{i}"] = rule.skip_no_value
        add(f"{ind}    skipped.append(SNV{i})")
        add(f"{ind}    break")
    if rule.coerce is not None:
        ns[f"CO{i}"] = rule.coerce
        add(f"{ind}try:")
        add(f"{ind}    v = CO{i}(v)")
        out.extend(handlers)
    if creating:
        # Nothing exists yet: the current value is None, and so is what a rule builds on
        # unless an earlier rule for the same target already wrote something.
        old = "None"
        if shares_targets:
            add(f"{ind}base = None")
    else:
        old = "old"
        if rule.custom_field_id is not None:
            ns[f"CF{i}"] = rule.custom_field_id
            add(f"{ind}if custom_current is None:")
            add(f"{ind}    custom_current = current_values(current)")
            add(f"{ind}old = custom_current.get(CF{i})")
        else:
            ns[f"O{i}"] = rule.read_old
            add(f"{ind}old = O{i}(current)")
        # `base` is what this rule builds on: the current value, or what an earlier rule for
        # the same target already wrote; `old` stays the current value, for the change record.
        if shares_targets or rule.mode in ("if_empty", "append"):
            add(f"{ind}base = old")
    if shares_targets:
        add(f"{ind}earlier = _written(payload, RULE{i})")
        add(f"{ind}if earlier is not _NOTHING:")
        add(f"{ind}    base = earlier")
        add(f"{ind}    _drop_change(changes, T{i})")
    builds_on_base = shares_targets or not creating
    if rule.mode == "if_empty" and builds_on_base:
        ns[f"SNE{i}"] = rule.skip_not_empty
        add(f"{ind}if not (base is None or is_empty(base)):")
        add(f"{ind}    skipped.append(SNE{i})")
        add(f"{ind}    break")
    if rule.mode == "append" and builds_on_base:
        add(f"{ind}if base is not None:")
        add(f"{ind}    v = append_value(base, v)")
    if rule.custom_field_id is not None:
        ns[f"CF{i}"] = rule.custom_field_id
        add(f"{ind}write_custom(payload, CF{i}, v)")
    elif len(split_path(rule.target)) == 1:
        add(f"{ind}payload[T{i}] = v")
    else:
        ns[f"W{i}"] = rule.write
        add(f"{ind}W{i}(payload, v)")
    # tuple.__new__ skips NamedTuple's Python-level __new__: same object, a third of the cost.
    change = f"changes.append(_tuple_new(Change, (T{i}, {old}, v, ID{i})))"
    if not creating:
        add(f"{ind}if v != old:")
        add(f"{ind}    {change}")
    elif rule.coerce is None and rule.mode != "append":
        # Nothing is current, so every value written is a change: v passed the emptiness
        # check above (None is empty) or is the default, which is never None.
        add(f"{ind}{change}")
    else:
        # With nothing current, `v != None` is `v is not None` for every value a transform
        # or a JSON record can hold, and the identity test skips a rich comparison.
        add(f"{ind}if v is not None:")
        add(f"{ind}    {change}")
    add(f"{ind}break")
    return out


def _transform_lines(i: int, j: int, transform: Any, ns: dict, ind: str) -> list[str]:
    """One transform step. The commonest ones on text are inlined; any other value still goes
    through the transform itself, so the result is the same either way."""
    name = getattr(transform, "__name__", "")
    if name == "trim":
        return [
            f"{ind}if v.__class__ is str:",
            f"{ind}    v = v.strip()",
            f"{ind}    if '  ' in v:",
            f"{ind}        v = X{i}_{j}(v, record)",
            f"{ind}elif v is not None:",
            f"{ind}    v = X{i}_{j}(v, record)",
        ]
    text_method = getattr(transform, "text_method", None)
    if text_method is not None:
        # lower/upper/title: on text the transform is exactly this str method.
        ns[f"M{i}_{j}"] = text_method
        return [
            f"{ind}v = M{i}_{j}(v) if v.__class__ is str else X{i}_{j}(v, record)",
        ]
    return [f"{ind}v = X{i}_{j}(v, record)"]


def _read_lines(i: int, rule: CompiledRule, ns: dict, ind: str, parents: dict) -> list[str]:
    """Reading the source value: plain one- and two-level field paths inline (the record is
    known to be a dict here), anything else through the compiled reader."""
    ns[f"R{i}"] = rule.read
    parts = split_path(rule.source_path) if rule.source_path else ()
    if len(parts) == 1 and not parts[0].isdigit():
        ns[f"K{i}"] = parts[0]
        return [f"{ind}v = record.get(K{i})"]
    if len(parts) == 2 and parts[0] in parents:
        ns[f"K{i}"] = parts[1]
        parent = parents[parts[0]]
        return [f"{ind}v = None if {parent} is None else {parent}.get(K{i})"]
    return [f"{ind}v = R{i}(record)"]
