"""Text transforms: trimming, case, regex replace, templates, defaults, names."""

import re
from typing import Any

from mappings.engine.paths import compile_getter
from mappings.engine.problems import SkipRule, TransformError
from mappings.engine.regex import PatternError, compile_pattern, compile_sub, required_character
from mappings.engine.templates import TemplateError, compile_template, to_text
from mappings.engine.transforms.registry import (
    Arg,
    ArgError,
    BuildContext,
    is_empty,
    register,
    shown,
)


def _text(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return to_text(value)
    raise TransformError(f"{name} needs text, got a {type(value).__name__}")


_SPACE_RUNS = re.compile(" {2,}")


@register(
    "trim",
    "Trim spaces",
    "Removes spaces, tabs and line breaks at both ends; runs of spaces inside become one "
    "(line breaks inside are kept, so notes keep their paragraphs).",
    [{"input": "  Ann   Lee \n", "output": "Ann Lee"}],
)
def build_trim(args: dict, context: BuildContext):
    def trim(value: Any, record: Any) -> Any:
        if value is None:
            return None
        if type(value) is str:
            stripped = value.strip()
            return _SPACE_RUNS.sub(" ", stripped) if "  " in stripped else stripped
        if isinstance(value, list):
            return [trim(item, record) for item in value]
        return value

    return trim


def _case(name: str, label: str, example: tuple[str, str], method: str) -> None:
    convert = getattr(str, method)

    def build(args: dict, context: BuildContext):
        def change_case(value: Any, record: Any) -> Any:
            if type(value) is str:
                return convert(value)
            if value is None:
                return None
            if isinstance(value, list):
                return [change_case(item, record) for item in value]
            return convert(_text(value, name))

        change_case.text_method = convert  # type: ignore[attr-defined] - codegen inlines it
        return change_case

    register(
        name,
        label,
        f"{label} (also each item of a list).",
        [{"input": example[0], "output": example[1]}],
    )(build)


_case("lower", "Lower case", ("Ann.Lee@Example.COM", "ann.lee@example.com"), "lower")
_case("upper", "Upper case", ("gb", "GB"), "upper")
_case("title", "Title case", ("ann marie LEE", "Ann Marie Lee"), "title")


@register(
    "regex_replace",
    "Regex replace",
    "Replaces every match of a regular expression (RE2 syntax: like Python's, without "
    "backreferences or lookaround); \\1 in the replacement inserts a group. Flags: i (ignore "
    "case), m (multi-line), s (dot matches newline).",
    [
        {
            "input": "12 High St\nFlat 3",
            "args": {"pattern": r"\s*\n\s*", "replacement": ", "},
            "output": "12 High St, Flat 3",
        }
    ],
    args=(
        Arg("pattern", "regex", required=True),
        Arg("replacement", "string", default=""),
        Arg("flags", "string", default="", help="any of i, m, s"),
    ),
)
def build_regex_replace(args: dict, context: BuildContext):
    flags = args["flags"]
    for letter in flags:
        if letter not in "ims":
            raise ArgError(f"arg “flags” may only contain i, m and s, not {shown(letter)}")
    flags = "".join(sorted(set(flags)))
    try:
        # RE2, compiled once per rule: matching is linear in the text (see engine/regex.py).
        pattern = compile_pattern(args["pattern"], flags)
    except PatternError as exc:
        raise ArgError(f"arg “pattern”: {exc}") from None
    try:
        substitute = compile_sub(pattern, args["replacement"])
    except PatternError as exc:
        raise ArgError(f"arg “replacement” is not valid for this pattern: {exc}") from None

    required = required_character(args["pattern"], flags)

    def regex_replace(value: Any, record: Any) -> Any:
        if value is None:
            return None
        text = _text(value, "regex_replace")
        if required is not None and text.__class__ is str and required not in text:
            return text  # nothing can match, so sub would return the text as it is
        try:
            return substitute(text)
        except UnicodeError as exc:  # a lone surrogate cannot be matched as UTF-8
            raise TransformError(f"regex replace failed: {exc}") from None

    return regex_replace


@register(
    "template",
    "Template",
    "Builds text from fields: {value} is the value so far, {billingPerson.city} any field of "
    "the record. Missing fields render as nothing; if every field is empty there is no value.",
    [
        {
            "input": "Ann",
            "args": {"template": "{value} {lastName}"},
            "record": {"lastName": "Lee"},
            "output": "Ann Lee",
        }
    ],
    args=(Arg("template", "string", required=True),),
)
def build_template(args: dict, context: BuildContext):
    try:
        return compile_template(args["template"], {"value": lambda value, record: value})
    except TemplateError as exc:
        raise ArgError(f"arg “template”: {exc}") from None


@register(
    "default",
    "Default if empty",
    "Uses the given value, or the given template, when the value so far is empty (missing, "
    "blank, or an empty list).",
    [
        {"input": "", "args": {"value": "Unknown"}, "output": "Unknown"},
        {
            "input": None,
            "args": {"template": "{firstName} {lastName}"},
            "record": {"firstName": "Ann", "lastName": "Lee"},
            "output": "Ann Lee",
        },
    ],
    args=(Arg("value", "any"), Arg("template", "string")),
)
def build_default(args: dict, context: BuildContext):
    if (args["value"] is None) == (args["template"] is None):
        raise ArgError("give exactly one of 'value' and 'template'")
    if args["template"] is not None:
        try:
            render = compile_template(args["template"])
        except TemplateError as exc:
            raise ArgError(f"arg “template”: {exc}") from None
    else:
        fallback = args["value"]

        def render(value: Any, record: Any) -> Any:
            return fallback

    def default(value: Any, record: Any) -> Any:
        return render(value, record) if is_empty(value) else value

    return default


@register(
    "first_non_empty",
    "First non-empty",
    "Keeps the value so far if it has one, else takes the first of the listed fields that does.",
    [
        {
            "input": None,
            "args": {"fields": ["billingPerson.phone", "phone"]},
            "record": {"billingPerson": {"phone": ""}, "phone": "+14155550123"},
            "output": "+14155550123",
        }
    ],
    args=(Arg("fields", "paths", required=True),),
)
def build_first_non_empty(args: dict, context: BuildContext):
    getters = tuple(compile_getter(path) for path in args["fields"])

    def first_non_empty(value: Any, record: Any) -> Any:
        if not is_empty(value):
            return value
        for get in getters:
            candidate = get(record)
            if not is_empty(candidate):
                return candidate
        return None

    return first_non_empty


@register(
    "join",
    "Join fields",
    "Joins the value so far and the listed fields with a separator, skipping empty ones.",
    [
        {
            "input": "Ann",
            "args": {"fields": ["lastName"], "separator": " "},
            "record": {"lastName": "Lee"},
            "output": "Ann Lee",
        }
    ],
    args=(Arg("fields", "paths", required=True), Arg("separator", "string", default=" ")),
)
def build_join(args: dict, context: BuildContext):
    getters = tuple(compile_getter(path) for path in args["fields"])
    separator = args["separator"]

    def join(value: Any, record: Any) -> Any:
        parts = [to_text(v).strip() for v in (value, *(get(record) for get in getters))]
        parts = [part for part in parts if part]
        return separator.join(parts) if parts else None

    return join


# Lower-case words that belong to the family name ("van der Berg", "de la Cruz").
_PARTICLES = {"van", "von", "der", "den", "de", "da", "di", "del", "della", "la", "le", "du"}
_PARTICLES |= {"dos", "das", "do", "ter", "ten", "bin", "ibn", "al", "el", "st", "st."}


def split_full_name(full: str) -> tuple[str | None, str | None]:
    """("Ann Marie", "van der Berg") from "Ann Marie van der Berg"; "Lee, Ann" is last-first."""
    full = " ".join(full.split())
    if not full:
        return None, None
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip() or None, last.strip() or None
    words = full.split(" ")
    if len(words) == 1:
        return words[0], None
    cut = len(words) - 1
    while cut > 1 and words[cut - 1].lower() in _PARTICLES:
        cut -= 1
    return " ".join(words[:cut]), " ".join(words[cut:])


@register(
    "split_name",
    "Split full name",
    "Takes the first or last name out of a full name. The last word is the last name, with "
    "particles such as 'van der' kept on it; 'Lee, Ann' is read as last, first. A one-word "
    "name is a first name only.",
    [
        {"input": "Ann Marie van der Berg", "args": {"part": "first"}, "output": "Ann Marie"},
        {"input": "Ann Marie van der Berg", "args": {"part": "last"}, "output": "van der Berg"},
    ],
    args=(Arg("part", "string", required=True, choices=("first", "last")),),
)
def build_split_name(args: dict, context: BuildContext):
    index = 0 if args["part"] == "first" else 1

    def split_name(value: Any, record: Any) -> Any:
        if value is None:
            return None
        return split_full_name(_text(value, "split_name"))[index]

    return split_name


EMPTY_TABLE = "the value map has no entries yet"


@register(
    "value_map",
    "Value map",
    "Looks the value up in a table. When it is not in the table the fallback decides: "
    "'problem' (report it), 'pass' (keep the value), 'skip' (leave the target alone) or "
    "'value' (use fallback_value). For a list, 'each' maps every item, 'first_match' takes the "
    "mapping of the first item found in the table.",
    [
        {
            "input": "Wholesale",
            "args": {"table": {"Wholesale": "trade", "General": "retail"}},
            "output": "trade",
        },
        {"input": "VIP", "args": {"table": {"Wholesale": "trade"}}, "error": "no entry"},
    ],
    args=(
        Arg("table", "object", required=True),
        Arg("fallback", "string", default="problem", choices=("problem", "pass", "skip", "value")),
        Arg("fallback_value", "any"),
        Arg("ignore_case", "boolean", default=False),
        Arg("list", "string", default="each", choices=("each", "first_match")),
    ),
)
def build_value_map(args: dict, context: BuildContext):
    ignore_case = args["ignore_case"]
    table = {(k.lower() if ignore_case else k): v for k, v in args["table"].items()}
    fallback = args["fallback"]
    fallback_value = args["fallback_value"]
    if fallback == "value" and fallback_value is None:
        raise ArgError("arg “fallback_value” is required when fallback is “value”")

    def key_of(item: Any) -> str:
        text = to_text(item)
        return text.lower() if ignore_case else text

    def look_up(item: Any) -> Any:
        key = key_of(item)
        if key in table:
            return table[key]
        if fallback == "pass":
            return item
        if fallback == "value":
            return fallback_value
        if fallback == "skip":
            raise SkipRule(f"the value map has no entry for {shown(to_text(item))}")
        raise TransformError(f"the value map has no entry for {shown(to_text(item))}")

    first_match = args["list"] == "first_match"
    if not table and fallback == "skip":
        # Nothing can ever be mapped: say so once, at compile time (codegen then skips the
        # rule without running it, which matters for presets whose tables are not filled in).
        def unmapped(value: Any, record: Any) -> Any:
            if value is None:
                return None
            raise SkipRule(EMPTY_TABLE)

        unmapped.skip_reason = EMPTY_TABLE  # type: ignore[attr-defined]
        return unmapped

    def value_map(value: Any, record: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            if first_match:
                for item in value:
                    if key_of(item) in table:
                        return table[key_of(item)]
                return look_up(", ".join(to_text(item) for item in value))
            return [look_up(item) for item in value]
        return look_up(value)

    return value_map
