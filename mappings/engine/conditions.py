"""Conditions: field / operator / value, combined with and / or / not groups.

    {"field": "customerGroupName", "op": "equals", "value": "Wholesale"}
    {"and": [{...}, {"or": [{...}, {...}]}]}
    {"not": {...}}

Text comparisons trim and ignore case unless the leaf says "ignore_case": false. A condition
compiles into `(record, previous) -> bool` plus a readable description, which is what the
skip reason shows. Comparing a number with text that is not a number is a problem (raised as
TransformError), not a silent False.
"""

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mappings.engine.paths import compile_getter, is_valid_path
from mappings.engine.problems import TransformError
from mappings.engine.problems import shown as shown_value
from mappings.engine.templates import to_text
from mappings.engine.transforms.coerce import parse_number
from mappings.engine.transforms.registry import is_empty

Check = Callable[[Any, Any], bool]


class ConditionSpecError(ValueError):
    pass


@dataclass(frozen=True)
class Operator:
    name: str
    label: str
    value: str  # what the value must be: "none", "any", "list", "number"
    description: str
    example: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "description": self.description,
            "example": dict(self.example),
        }


OPERATORS = {
    op.name: op
    for op in (
        Operator(
            "equals",
            "equals",
            "any",
            "Same value; text ignores case and outer spaces; a number matches numeric text.",
            {"record": {"customerGroupName": "Wholesale"}, "value": "wholesale", "result": True},
        ),
        Operator(
            "not_equals",
            "does not equal",
            "any",
            "The opposite of equals.",
            {"record": {"status": "A"}, "value": "D", "result": True},
        ),
        Operator(
            "contains",
            "contains",
            "any",
            "Text contains the value, or a list has it as an item.",
            {"record": {"tags": ["vip", "trade"]}, "value": "VIP", "result": True},
        ),
        Operator(
            "not_contains",
            "does not contain",
            "any",
            "The opposite of contains.",
            {"record": {"email": "a@shop.com"}, "value": "@test.", "result": True},
        ),
        Operator(
            "in_list",
            "is one of",
            "list",
            "The value is one of the listed values.",
            {"record": {"customerGroupId": 3}, "value": [2, 3], "result": True},
        ),
        Operator(
            "not_in_list",
            "is not one of",
            "list",
            "The value is none of the listed values (an empty value is not in any list).",
            {"record": {"country": "US"}, "value": ["GB", "IE"], "result": True},
        ),
        Operator(
            "is_empty",
            "is empty",
            "none",
            "Missing, blank text, or an empty list.",
            {"record": {"phone": " "}, "value": None, "result": True},
        ),
        Operator(
            "not_empty",
            "is not empty",
            "none",
            "Has a value.",
            {"record": {"phone": "+14155550123"}, "value": None, "result": True},
        ),
        Operator(
            "greater_than",
            "is greater than",
            "number",
            "Numeric comparison; an empty value is never greater; text that is not a number "
            "is a problem.",
            {"record": {"CreditLimit": "7500"}, "value": 5000, "result": True},
        ),
        Operator(
            "greater_or_equal",
            "is at least",
            "number",
            "Numeric comparison, as greater than.",
            {"record": {"CreditLimit": 5000}, "value": 5000, "result": True},
        ),
        Operator(
            "less_than",
            "is less than",
            "number",
            "Numeric comparison, as greater than.",
            {"record": {"Discount": "2.5"}, "value": 10, "result": True},
        ),
        Operator(
            "less_or_equal",
            "is at most",
            "number",
            "Numeric comparison, as greater than.",
            {"record": {"Discount": 10}, "value": 10, "result": True},
        ),
        Operator(
            "changed",
            "changed",
            "none",
            "Differs from the record as last seen; true when there is no previous record.",
            {"record": {"email": "new@x.com"}, "previous": {"email": "old@x.com"}, "result": True},
        ),
        Operator(
            "unchanged",
            "did not change",
            "none",
            "The same as in the record as last seen; false when there is no previous record.",
            {"record": {"email": "a@x.com"}, "previous": {"email": "a@x.com"}, "result": True},
        ),
    )
}


def operator_catalogue() -> list[dict[str, Any]]:
    return [op.as_dict() for op in OPERATORS.values()]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(actual: Any, want: Any, ignore_case: bool) -> bool:
    """Equality as a person means it: numbers match numeric text ("5000" == 5000), text
    ignores outer spaces (and case, unless ignore_case is off)."""
    if _is_number(want) and isinstance(actual, str):
        actual, want = want, actual
    if _is_number(actual) and isinstance(want, str):
        try:
            return parse_number(want) == actual
        except TransformError:
            return False
    if isinstance(actual, str) and isinstance(want, str):
        if ignore_case:
            return actual.strip().casefold() == want.strip().casefold()
        return actual.strip() == want.strip()
    if isinstance(actual, bool) or isinstance(want, bool):
        return actual is want
    if isinstance(actual, list) and isinstance(want, list):
        return len(actual) == len(want) and all(
            _same(a, w, ignore_case) for a, w in zip(actual, want, strict=True)
        )
    return actual == want


def condition_fields(condition: Any) -> list[str]:
    """Every field path a (valid) condition reads."""
    if not isinstance(condition, dict):
        return []
    for group in ("and", "or"):
        if group in condition and isinstance(condition[group], list):
            return [f for item in condition[group] for f in condition_fields(item)]
    if "not" in condition:
        return condition_fields(condition["not"])
    field = condition.get("field")
    return [field] if isinstance(field, str) else []


def compile_condition(condition: Any, where: str = "condition") -> tuple[Check, str]:
    """(check, description); raises ConditionSpecError naming the bad part."""
    if not isinstance(condition, dict):
        raise ConditionSpecError(f"{where} must be an object")
    for group in ("and", "or"):
        if group in condition:
            return _compile_group(condition, group, where)
    if "not" in condition:
        if set(condition) != {"not"}:
            raise ConditionSpecError(f"{where}.not must be the only key")
        inner, desc = compile_condition(condition["not"], f"{where}.not")
        return (lambda r, p: not inner(r, p)), f"not ({desc})"
    return _compile_leaf(condition, where)


def _compile_group(condition: dict, group: str, where: str) -> tuple[Check, str]:
    items = condition[group]
    if set(condition) != {group} or not isinstance(items, list) or not items:
        raise ConditionSpecError(f"{where}.{group} must be the only key, a non-empty list")
    parts = [compile_condition(c, f"{where}.{group}[{i}]") for i, c in enumerate(items)]
    checks = tuple(check for check, _ in parts)
    text = f" {group} ".join(
        f"({desc})" if " and " in desc or " or " in desc else desc for _, desc in parts
    )
    if group == "and":
        return (lambda r, p: all(c(r, p) for c in checks)), text
    return (lambda r, p: any(c(r, p) for c in checks)), text


def _compile_leaf(leaf: dict, where: str) -> tuple[Check, str]:
    unknown = set(leaf) - {"field", "op", "value", "ignore_case"}
    if unknown:
        raise ConditionSpecError(f"{where} has unknown key {shown_value(sorted(unknown)[0])}")
    field, op_name = leaf.get("field"), leaf.get("op")
    if not is_valid_path(field):
        raise ConditionSpecError(f"{where}.field must be a field path")
    op = OPERATORS.get(op_name) if isinstance(op_name, str) else None
    if op is None:
        raise ConditionSpecError(
            f"{where}.op {shown_value(op_name)} is not an operator (one of {', '.join(OPERATORS)})"
        )
    ignore_case = leaf.get("ignore_case", True)
    if not isinstance(ignore_case, bool):
        raise ConditionSpecError(f"{where}.ignore_case must be true or false")
    value = leaf.get("value")
    if op.value == "list" and not isinstance(value, list):
        raise ConditionSpecError(f"{where}.value must be a list for {op.name}")
    if op.value == "number":
        try:
            value = parse_number(value)
        except TransformError:
            raise ConditionSpecError(f"{where}.value must be a number for {op.name}") from None
    if op.value == "any" and value is None:
        raise ConditionSpecError(f"{where}.value is required for {op.name}")
    get = compile_getter(field)
    shown = "" if op.value == "none" else f" {shown_value(value)}"
    description = f"{field} {op.label}{shown}"
    return _CHECK_BUILDERS[op.name](get, value, ignore_case, field), description


def _equals(get, value, ignore_case, field):
    return lambda r, p: _same(get(r), value, ignore_case)


def _contains(get, value, ignore_case, field):
    needle = None if isinstance(value, list | dict) else to_text(value)

    def check(record, previous):
        actual = get(record)
        if isinstance(actual, list):
            return any(_same(item, value, ignore_case) for item in actual)
        if actual is None or needle is None or isinstance(actual, dict):
            return False
        text = to_text(actual)
        if ignore_case:
            return needle.casefold() in text.casefold()
        return needle in text

    return check


def _in_list(get, value, ignore_case, field):
    def check(record, previous):
        actual = get(record)
        return not is_empty(actual) and any(_same(actual, v, ignore_case) for v in value)

    return check


def _compare(test):
    def build(get, value, ignore_case, field):
        def check(record, previous):
            actual = get(record)
            if actual.__class__ is int or actual.__class__ is float:
                return test(actual, value) if actual == actual else False  # NaN: never
            if is_empty(actual):
                return False
            try:
                number = parse_number(actual)
            except TransformError:
                raise TransformError(f"{field} is not a number: {shown_value(actual)}") from None
            return test(number, value)

        return check

    return build


def _changed(get, value, ignore_case, field):
    return lambda r, p: p is None or get(r) != get(p)


def _negate(build):
    def negated(get, value, ignore_case, field):
        check = build(get, value, ignore_case, field)
        return lambda r, p: not check(r, p)

    return negated


_CHECK_BUILDERS = {
    "equals": _equals,
    "not_equals": _negate(_equals),
    "contains": _contains,
    "not_contains": _negate(_contains),
    "in_list": _in_list,
    "not_in_list": lambda g, v, i, f: (
        lambda r, p: not is_empty(g(r)) and not any(_same(g(r), x, i) for x in v)
    ),
    "is_empty": lambda g, v, i, f: lambda r, p: is_empty(g(r)),
    "not_empty": lambda g, v, i, f: lambda r, p: not is_empty(g(r)),
    "greater_than": _compare(operator.gt),
    "greater_or_equal": _compare(operator.ge),
    "less_than": _compare(operator.lt),
    "less_or_equal": _compare(operator.le),
    "changed": _changed,
    "unchanged": lambda g, v, i, f: lambda r, p: p is not None and g(r) == g(p),
}
