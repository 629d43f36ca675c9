"""Small builders so the preset modules read like a table of rules."""

from typing import Any


def field(path: str) -> dict:
    return {"kind": "field", "value": path}


def template(text: str) -> dict:
    return {"kind": "template", "value": text}


def step(name: str, **args: Any) -> dict:
    return {"name": name, "args": args}


def rule(
    rule_id: str,
    target: str,
    source: dict,
    *transforms: dict,
    mode: str = "overwrite",
    required: bool = False,
    default: Any = None,
    condition: dict | None = None,
    label: str = "",
) -> dict:
    spec = {
        "id": rule_id,
        "target": target,
        "source": source,
        "transforms": list(transforms),
        "condition": condition,
        "write_mode": mode,
        "required": required,
        "default": default,
    }
    if label:
        spec["label"] = label
    return spec


def mapping(source: str, target: str, rules: list[dict], *, name: str, description: str) -> dict:
    return {
        "name": name,
        "description": description,
        "source": source,
        "target": target,
        "object": "contact",
        "direction": "to_target",
        "record_condition": None,
        "rules": rules,
    }


TRIM = step("trim")
EMAIL = step("email")
PHONE = step("phone")
UPPER = step("upper")
# Tags HighLevel stores lower-cased; matching its spelling keeps a second run change-free.
HL_TAGS = step("to_tags", lower=True)
# A value map the user fills in (group/business ids differ per account). Until then the rule
# is skipped with the reason "the value map has no entry for ...", never a guessed value.
UNMAPPED = step("value_map", table={}, fallback="skip")
FIRST_TAG_MAPPED = step("value_map", table={}, fallback="skip", list="first_match")
NOTES_TO_TEXT = step("list_to_string", separator="\n\n")
AS_LIST = step("as_list")
