"""JSON from outside (pasted into a form, posted to a webhook): limited before it is parsed.

`json.loads` recurses once per level of nesting, so `[[[[...` a hundred thousand deep raises
RecursionError (not ValueError) and a 5,000-digit number trips Python's int limit with a
ValueError that has no `.msg`; NaN and Infinity parse but cannot be stored or sent on. `loads`
refuses all of these with `JSONRejected` (a ValueError) whose message says what to fix, and
measures the nesting with a linear scan before the parser sees the text. Pure Python, no Django.
"""

import json
import math
import re
from itertools import accumulate
from typing import Any

MAX_DEPTH = 64
MAX_BYTES = 1024 * 1024
MAX_INT_DIGITS = 30


class JSONRejected(ValueError):
    """The text is not JSON we accept; the message says why, in words a person can act on."""


# A string token, closing quote optional so that an unterminated string ends the scan instead
# of being retried from every later quote; possessive, so nothing is ever backtracked.
_STRING = re.compile(r'"(?:[^"\\]++|\\[\s\S])*+"?')
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# A \u escape of a UTF-16 surrogate: only then can a parsed string hold a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def size_text(limit: int) -> str:
    """1048576 -> "1 MB", 262144 -> "256 KB", 1000 -> "1,000 bytes"."""
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MB"
    if limit % 1024 == 0:
        return f"{limit // 1024} KB"
    return f"{limit:,} bytes"


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in `text` (0 for a scalar), brackets inside strings
    not counted. Linear in the length of the text and never recursive; the text need not be
    valid JSON."""
    skeleton = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not skeleton:
        return 0
    return max(0, max(accumulate(map(_STEP.__getitem__, skeleton))))


def loads(
    data: str | bytes | bytearray,
    *,
    max_depth: int = MAX_DEPTH,
    max_bytes: int = MAX_BYTES,
    max_int_digits: int = MAX_INT_DIGITS,
) -> Any:
    """Parse `data` as JSON, or raise JSONRejected saying what to fix."""
    text = _text(data, max_bytes)
    if not text.strip():
        raise JSONRejected("empty body: send a JSON value such as {}")
    depth = nesting_depth(text)
    if depth > max_depth:
        raise JSONRejected(f"JSON nested deeper than {max_depth} levels ({depth}); flatten it")

    def parse_int(digits: str) -> int:
        if len(digits.lstrip("-")) > max_int_digits:
            raise JSONRejected(
                f"number too large: integers may have at most {max_int_digits} digits"
            )
        return int(digits)

    def parse_float(number: str) -> float:
        value = float(number)
        if not math.isfinite(value):
            raise JSONRejected(f"number too large: {number[:20]} does not fit a float")
        return value

    try:
        value = json.loads(
            text,
            parse_int=parse_int,
            parse_float=parse_float,
            parse_constant=_refuse_constant,
        )
    except JSONRejected:
        raise
    except json.JSONDecodeError as error:
        raise JSONRejected(
            f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except (ValueError, RecursionError) as error:  # belt and braces: the checks above
        raise JSONRejected(f"not valid JSON: {error}") from None
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(value)
    return value


def _text(data: str | bytes | bytearray, max_bytes: int) -> str:
    too_large = f"JSON larger than {size_text(max_bytes)}"
    if isinstance(data, bytes | bytearray | memoryview):
        if len(data) > max_bytes:
            raise JSONRejected(too_large)
        try:
            return bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise JSONRejected(
                f"not UTF-8: byte {error.start} cannot be read; send the JSON as UTF-8 text"
            ) from None
    if not isinstance(data, str):
        raise TypeError(f"JSON must be text or bytes, not {type(data).__name__}")
    # Every character is at least one byte: only text that might fit is encoded to measure.
    if len(data) > max_bytes:
        raise JSONRejected(too_large)
    try:
        size = len(data.encode("utf-8"))
    except UnicodeEncodeError:
        raise JSONRejected("not UTF-8: the text holds a lone surrogate character") from None
    if size > max_bytes:
        raise JSONRejected(too_large)
    return data.removeprefix("\ufeff")


def _refuse_constant(name: str) -> Any:
    raise JSONRejected(f"NaN/Infinity are not allowed (found {name}); use null or a number")


def _refuse_lone_surrogates(value: Any) -> None:
    """A \\ud800 escape on its own parses into a string that cannot be encoded as UTF-8, so it
    could not be stored or shown. The depth check bounds json.dumps' recursion here."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise JSONRejected(
            "not UTF-8: a \\u escape is half of a surrogate pair; send the whole character"
        ) from None
