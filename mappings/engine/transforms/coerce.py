"""Type coercions: numbers, booleans, text, dates and times."""

import math
import re
import zoneinfo
from datetime import UTC, date, datetime
from typing import Any

from mappings.engine.problems import TransformError
from mappings.engine.templates import to_text
from mappings.engine.transforms.registry import Arg, ArgError, BuildContext, register, shown

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def parse_number(value: Any, decimal_separator: str = ".") -> int | float:
    if isinstance(value, bool):
        raise TransformError("a true/false value is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TransformError(f"not a finite number: {shown(value)}")
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if not isinstance(value, str):
        raise TransformError(f"a {type(value).__name__} is not a number")
    text = value.strip().lstrip("$€£¥").replace(" ", "").replace("\u00a0", "")
    thousands = "," if decimal_separator == "." else "."
    text = text.replace(thousands, "")
    if decimal_separator != ".":
        text = text.replace(decimal_separator, ".")
    if _NUMBER.fullmatch(text) is None:
        raise TransformError(f"not a number: {shown(value)}")
    if "." not in text:
        return int(text)
    number = float(text)
    if not math.isfinite(number):
        raise TransformError(f"number out of range: {shown(value)}")
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


@register(
    "to_number",
    "Number",
    "Reads a number from text ('1,234.50' -> 1234.5; CS-Cart sends numbers as text). Whole "
    "numbers stay whole. With integer on, a fraction is a problem.",
    [
        {"input": "1,234.50", "output": 1234.5},
        {"input": "1.234,50", "args": {"decimal_separator": ","}, "output": 1234.5},
        {"input": "12 apples", "error": "not a number"},
    ],
    args=(
        Arg("decimal_separator", "string", default=".", choices=(".", ",")),
        Arg("integer", "boolean", default=False),
    ),
)
def build_to_number(args: dict, context: BuildContext):
    separator, integer = args["decimal_separator"], args["integer"]

    def to_number(value: Any, record: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number = parse_number(value, separator)
        if integer and not isinstance(number, int):
            raise TransformError(f"not a whole number: {shown(value)}")
        return number

    return to_number


_TRUE = ["true", "yes", "y", "1", "on", "t"]
_FALSE = ["false", "no", "n", "0", "off", "f"]


@register(
    "to_boolean",
    "True/false",
    "Reads true/false from text or numbers (CS-Cart 'Y'/'N', '1'/'0', 'yes'/'no'), ignoring "
    "case. Anything not in either list is a problem.",
    [{"input": "Y", "output": True}, {"input": "maybe", "error": "not true/false"}],
    args=(
        Arg("true_values", "list", default=_TRUE),
        Arg("false_values", "list", default=_FALSE),
    ),
)
def build_to_boolean(args: dict, context: BuildContext):
    true_values = {to_text(v).strip().lower() for v in args["true_values"]}
    false_values = {to_text(v).strip().lower() for v in args["false_values"]}
    if true_values & false_values:
        raise ArgError("true_values and false_values overlap")

    def to_boolean(value: Any, record: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, list | dict):
            raise TransformError(f"a {type(value).__name__} is not true/false")
        text = to_text(value).strip().lower()
        if not text:
            return None
        if text in true_values:
            return True
        if text in false_values:
            return False
        raise TransformError(f"not true/false: {shown(value)}")

    return to_boolean


@register(
    "to_string",
    "Text",
    "Turns numbers and true/false into text (5.0 -> '5', true -> 'true'); lists and objects "
    "are a problem (use 'List to text').",
    [{"input": 5000.0, "output": "5000"}],
)
def build_to_string(args: dict, context: BuildContext):
    def to_string(value: Any, record: Any) -> Any:
        return None if value is None else to_text(value)

    return to_string


# Formats tried when none are given: ISO 8601, then the platforms' own spellings.
DEFAULT_DATE_FORMATS = (
    "iso",
    "%Y-%m-%d %H:%M:%S %z",  # Ecwid "2021-12-21 06:05:58 +0000"
    "%m/%d/%Y %H:%M:%S",  # Shift4Shop
    "%m/%d/%Y",
    "unix",  # CS-Cart `timestamp`, seconds since 1970
)


def _parse_one(text: str, fmt: str) -> date | datetime:
    if fmt == "iso":
        if len(text) <= 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    if fmt == "unix":
        if not text.isdigit() or not 9 <= len(text) <= 11:
            raise ValueError("not a unix time")
        return datetime.fromtimestamp(int(text), UTC)
    parsed = datetime.strptime(text, fmt)
    if "%H" not in fmt and "%I" not in fmt:
        return parsed.date()
    return parsed


@register(
    "date",
    "Date / time",
    "Reads a date or date-time (ISO 8601, Ecwid '2021-12-21 06:05:58 +0000', Shift4Shop "
    "'12/21/2021 06:05:58', unix seconds, or the formats given) and writes it as 'date' "
    "(2021-12-21), 'datetime' (ISO 8601 in to_timezone), 'unix', or a strftime pattern. "
    "Times without a zone are read in from_timezone (default: the connection's).",
    [
        {"input": "2021-12-21 23:05:58 +0000", "args": {"output": "date"}, "output": "2021-12-21"},
        {
            "input": "2021-12-21 23:05:58 +0000",
            "args": {"output": "datetime", "to_timezone": "Europe/Berlin"},
            "output": "2021-12-22T00:05:58+01:00",
        },
        {"input": "31/12/2021", "error": "not a date"},
    ],
    args=(
        Arg("input_formats", "list", help="strptime patterns, 'iso' or 'unix'"),
        Arg("from_timezone", "timezone"),
        Arg("to_timezone", "timezone", default="UTC"),
        Arg("output", "string", default="date", help="date, datetime, unix or a pattern"),
    ),
)
def build_date(args: dict, context: BuildContext):
    formats = tuple(args["input_formats"] or DEFAULT_DATE_FORMATS)
    if not all(isinstance(f, str) and f for f in formats):
        raise ArgError("arg “input_formats” must be a list of non-empty strings")
    from_zone = zoneinfo.ZoneInfo(args["from_timezone"] or context.timezone)
    to_zone = zoneinfo.ZoneInfo(args["to_timezone"])
    output = args["output"]
    if output not in ("date", "datetime", "unix") and "%" not in output:
        raise ArgError("arg “output” must be date, datetime, unix or a strftime pattern")

    def parse(value: Any) -> date | datetime:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if not isinstance(value, str):
            raise TransformError(f"a {type(value).__name__} is not a date")
        text = value.strip()
        for fmt in formats:
            try:
                return _parse_one(text, fmt)
            except (ValueError, OverflowError, OSError):
                continue
        raise TransformError(f"not a date in a known format: {shown(value)}")

    def to_date(value: Any, record: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            moment = parse(value)
            if isinstance(moment, datetime):
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=from_zone)
                moment = moment.astimezone(to_zone)
            elif output in ("datetime", "unix"):
                moment = datetime(moment.year, moment.month, moment.day, tzinfo=from_zone)
                moment = moment.astimezone(to_zone)
            if output == "date":
                return (moment.date() if isinstance(moment, datetime) else moment).isoformat()
            if output == "datetime":
                return moment.isoformat()
            if output == "unix":
                return int(moment.timestamp())
            return moment.strftime(output)
        except (ValueError, OverflowError, OSError) as exc:
            raise TransformError(f"cannot convert the date {shown(value)}: {exc}") from None

    return to_date
