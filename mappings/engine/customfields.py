"""HighLevel custom fields: find a field by id or key, and coerce a value to its data type.

Definitions are what GET /locations/{id}/customFields returns: {id, fieldKey, dataType,
picklistOptions}. HighLevel drops values that do not fit a field's type without saying so,
which is the "custom fields that never write" bug; here such a value is a problem instead.
"""

from collections.abc import Callable
from typing import Any

from mappings.engine.problems import TransformError
from mappings.engine.templates import to_text
from mappings.engine.transforms.coerce import parse_number
from mappings.engine.transforms.registry import BuildContext, is_empty, shown

PREFIX = "customFields."
KEY_PREFIX = "key:"
TEXT_TYPES = {"TEXT", "LARGE_TEXT", "PHONE", "EMAIL"}
NUMBER_TYPES = {"NUMERICAL", "MONETORY", "MONETARY", "FLOAT"}
MULTI_TYPES = {"CHECKBOX", "MULTIPLE_OPTIONS"}
SINGLE_TYPES = {"SINGLE_OPTIONS", "RADIO"}
SUPPORTED_TYPES = TEXT_TYPES | NUMBER_TYPES | MULTI_TYPES | SINGLE_TYPES | {"DATE"}


def is_custom_field_path(path: str) -> bool:
    return path.startswith(PREFIX)


def find_definition(path: str, definitions: list[dict]) -> dict | None:
    """The definition for "customFields.<id>" or "customFields.key:<fieldKey>"; a key
    matches with or without HighLevel's "contact." prefix."""
    ref = path[len(PREFIX) :]
    if ref.startswith(KEY_PREFIX):
        key = ref[len(KEY_PREFIX) :]
        for definition in definitions:
            field_key = str(definition.get("fieldKey") or "")
            if key in (field_key, field_key.removeprefix("contact.")):
                return definition
        return None
    for definition in definitions:
        if definition.get("id") == ref:
            return definition
    return None


def custom_field_paths(definitions: list[dict]) -> set[str]:
    """Both spellings of every custom field, for check_drift's field sets."""
    paths = set()
    for definition in definitions:
        paths.add(PREFIX + str(definition.get("id")))
        key = str(definition.get("fieldKey") or "")
        if key:
            paths.add(PREFIX + KEY_PREFIX + key)
            paths.add(PREFIX + KEY_PREFIX + key.removeprefix("contact."))
    return paths


def _options(definition: dict) -> list[str]:
    options = []
    for option in definition.get("picklistOptions") or []:
        if isinstance(option, dict):
            option = option.get("label") or option.get("value") or option.get("key")
        if option is not None:
            options.append(to_text(option))
    return options


def coercer(definition: dict, context: BuildContext) -> Callable[[Any], Any]:
    """value -> the value this field stores; raises TransformError when it cannot.
    Raises ValueError (at compile time) for data types we cannot write."""
    kind = str(definition.get("dataType") or "").upper()
    name = definition.get("fieldKey") or definition.get("id")
    if kind not in SUPPORTED_TYPES:
        raise ValueError(f"custom field {name} has data type {kind or '?'}, which we cannot write")
    if kind in TEXT_TYPES:
        return lambda value: to_text(value) if not isinstance(value, list) else _no_list(name)
    if kind in NUMBER_TYPES:
        return parse_number
    if kind == "DATE":
        from mappings.engine.transforms.coerce import build_date

        to_date = build_date(
            {"input_formats": None, "from_timezone": None, "to_timezone": "UTC", "output": "date"},
            context,
        )
        return lambda value: to_date(value, None)
    options = _options(definition)
    by_fold = {option.casefold(): option for option in options}

    def one_option(item: Any) -> str:
        text = to_text(item).strip()
        if text.casefold() not in by_fold:
            allowed = ", ".join(options) or "none defined"
            raise TransformError(f"{shown(text)} is not an option of {name} (options: {allowed})")
        return by_fold[text.casefold()]

    if kind in SINGLE_TYPES:

        def single(value: Any) -> str:
            if isinstance(value, list):
                if len(value) != 1:
                    raise TransformError(f"{name} takes one option, got {len(value)}")
                value = value[0]
            return one_option(value)

        return single

    def multiple(value: Any) -> list[str]:
        items = value if isinstance(value, list) else to_text(value).split(",")
        chosen = []
        for item in items:
            if not is_empty(item):
                option = one_option(item)
                if option not in chosen:
                    chosen.append(option)
        return chosen

    return multiple


def _no_list(name: str) -> str:
    raise TransformError(f"{name} is a text field; a list needs 'List to text' first")


def current_values(current: Any) -> dict[str, Any]:
    """{id: value} from a HighLevel contact's `customFields` ([{id, value}] on reads, or
    [{id, field_value}] as we write them, or already a dict)."""
    raw = current.get("customFields") if isinstance(current, dict) else None
    if isinstance(raw, dict):
        return raw
    values = {}
    for item in raw or []:
        if isinstance(item, dict) and "id" in item:
            values[item["id"]] = item.get("value", item.get("field_value"))
    return values
