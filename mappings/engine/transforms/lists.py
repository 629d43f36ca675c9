"""List transforms: list <-> delimited text, and tags from a field."""

from typing import Any

from mappings.engine.problems import TransformError
from mappings.engine.templates import to_text
from mappings.engine.transforms.registry import Arg, ArgError, BuildContext, register, shown


@register(
    "list_to_string",
    "List to text",
    "Joins a list into one string with a separator, skipping empty items. Text passes through.",
    [{"input": ["vip", "wholesale"], "args": {"separator": ", "}, "output": "vip, wholesale"}],
    args=(Arg("separator", "string", default=", "),),
)
def build_list_to_string(args: dict, context: BuildContext):
    separator = args["separator"]

    def list_to_string(value: Any, record: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list):
            return to_text(value)
        parts = [to_text(item).strip() for item in value]
        parts = [part for part in parts if part]
        return separator.join(parts) if parts else None

    return list_to_string


@register(
    "string_to_list",
    "Text to list",
    "Splits text on a separator into a list, trimming items and dropping empty ones.",
    [{"input": "vip, wholesale,,", "args": {"separator": ","}, "output": ["vip", "wholesale"]}],
    args=(Arg("separator", "string", default=","),),
)
def build_string_to_list(args: dict, context: BuildContext):
    separator = args["separator"]
    if not separator:
        raise ArgError("arg “separator” must not be empty")

    def string_to_list(value: Any, record: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            return value
        parts = [part.strip() for part in to_text(value).split(separator)]
        return [part for part in parts if part]

    return string_to_list


@register(
    "to_tags",
    "Tags from a field",
    "Makes a tag list from a field: comma-separated text (Cin7 Tags), one value (Ecwid "
    "customerGroupName) or a list of values or objects (CS-Cart usergroups, read by 'key'; "
    "an object of objects counts as a list of its values). "
    "Items are trimmed, de-duplicated (ignoring case) and optionally prefixed and lower-cased.",
    [
        {"input": "VIP, Wholesale, vip", "output": ["VIP", "Wholesale"]},
        {
            "input": [{"usergroup_id": "4", "name": "Wholesale"}],
            "args": {"key": "name", "prefix": "group:", "lower": True},
            "output": ["group:wholesale"],
        },
    ],
    args=(
        Arg("separator", "string", default=","),
        Arg("key", "string", default="name", help="which key of an object item is the tag"),
        Arg("prefix", "string", default=""),
        Arg("lower", "boolean", default=False),
        Arg("status", "string", help="keep only object items whose 'status' is this, e.g. A"),
    ),
)
def build_to_tags(args: dict, context: BuildContext):
    separator, key, prefix, lower = args["separator"], args["key"], args["prefix"], args["lower"]
    status = args["status"]
    if not separator:
        raise ArgError("arg “separator” must not be empty")

    def item_text(item: Any) -> str:
        if isinstance(item, dict):
            if key not in item:
                raise TransformError(f"a tag item has no {shown(key)} key")
            item = item[key]
        return to_text(item)

    def to_tags(value: Any, record: Any) -> Any:
        if value is None:
            return None
        if value.__class__ is str and separator not in value:
            # One tag (a customer group name): nothing to split or de-duplicate.
            tag = " ".join(value.split())
            if not tag:
                return []
            return [prefix + (tag.lower() if lower else tag)]
        if isinstance(value, dict):
            # PHP hashes arrive as {"4": {...}, "6": {...}}; a single object as {...}.
            value = [value] if key in value else list(value.values())
        if isinstance(value, list):
            if status is not None:
                value = [v for v in value if not isinstance(v, dict) or v.get("status") == status]
            raw = [item_text(item) for item in value]
        else:
            raw = to_text(value).split(separator)
        tags: list[str] = []
        seen: set[str] = set()
        for text in raw:
            tag = " ".join(text.split())
            if not tag:
                continue
            tag = prefix + (tag.lower() if lower else tag)
            folded = tag.casefold()
            if folded not in seen:
                seen.add(folded)
                tags.append(tag)
        return tags

    return to_tags


@register(
    "as_list",
    "As a list",
    "Wraps a single value in a list (a list stays as it is), for list fields such as "
    "HighLevel notes and tags. Blank text is no value.",
    [{"input": "Prefers e-mail", "output": ["Prefers e-mail"]}],
)
def build_as_list(args: dict, context: BuildContext):
    def as_list(value: Any, record: Any) -> Any:
        if value is None or isinstance(value, list):
            return value
        if value.__class__ is str and (not value or value.isspace()):
            return None  # blank text is no value, not a list holding an empty note
        return [value]

    return as_list
