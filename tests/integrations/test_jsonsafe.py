"""integrations.jsonsafe: untrusted JSON is parsed within limits, or refused saying why."""

import contextlib
import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.jsonsafe import JSONRejected, loads, nesting_depth, size_text

DEEP = 100_000


def test_it_parses_ordinary_json():
    assert loads('{"email": "a@b.co", "tags": ["x"], "n": 12, "f": 1.5, "ok": true}') == {
        "email": "a@b.co",
        "tags": ["x"],
        "n": 12,
        "f": 1.5,
        "ok": True,
    }
    assert loads(b'\xef\xbb\xbf{"a": "\xc3\xa9"}') == {"a": "é"}  # UTF-8 with a BOM
    assert loads('"\\ud83d\\ude00"') == "😀"


@pytest.mark.parametrize("text", ["[" * DEEP, '{"a":' * DEEP, "[" * DEEP + "]" * DEEP])
def test_it_refuses_very_deep_nesting_quickly(text):
    started = time.monotonic()
    with pytest.raises(JSONRejected, match="JSON nested deeper than 64 levels"):
        loads(text, max_bytes=10 * DEEP)
    assert time.monotonic() - started < 1


def test_the_depth_limit_is_inclusive_and_brackets_in_strings_do_not_count():
    assert loads("[" * 64 + "]" * 64, max_depth=64)
    with pytest.raises(JSONRejected, match="deeper than 64"):
        loads("[" * 65 + "]" * 65)
    assert loads('["[[[[", "\\"[[[", {"k]": "}}}"}]', max_depth=2) == [
        "[[[[",
        '"[[[',
        {"k]": "}}}"},
    ]
    assert nesting_depth('"\\\\" [[') == 2  # an escaped backslash does not escape the quote
    assert nesting_depth("12") == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NaN", "NaN/Infinity are not allowed"),
        ('{"a": Infinity}', "NaN/Infinity are not allowed"),
        ("[-Infinity]", "NaN/Infinity are not allowed"),
        ("1" * 31, "number too large"),
        ("-" + "9" * 5000, "number too large"),  # Python's own 4300-digit limit is never met
        ("1e999", "number too large"),
        ("", "empty body"),
        (" \n ", "empty body"),
        (b"\xff\xfe{}", "not UTF-8"),
        ('"\\ud800"', "not UTF-8"),
        ("{oops", "not valid JSON: Expecting property name"),
        ('{"a": 1', "line 1, column 8"),
    ],
)
def test_it_refuses_with_a_message_that_says_what_to_fix(text, message):
    with pytest.raises(JSONRejected, match=message.replace("(", r"\(")):
        loads(text)


def test_thirty_digit_integers_are_fine_and_the_limit_can_be_changed():
    assert loads("9" * 30) == int("9" * 30)
    with pytest.raises(JSONRejected, match="at most 5 digits"):
        loads("123456", max_int_digits=5)


def test_it_refuses_text_over_the_size_limit():
    with pytest.raises(JSONRejected, match="JSON larger than 1 KB"):
        loads('"' + "x" * 1024 + '"', max_bytes=1024)
    with pytest.raises(JSONRejected, match="JSON larger than 1 KB"):
        loads(b" " * 1025, max_bytes=1024)
    with pytest.raises(JSONRejected, match="larger than"):
        loads('"' + "é" * 600 + '"', max_bytes=1024)  # 1,200 bytes in 602 characters
    assert size_text(256 * 1024) == "256 KB" and size_text(1000) == "1,000 bytes"


def test_it_is_a_value_error_so_existing_handlers_catch_it():
    assert issubclass(JSONRejected, ValueError)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='[]{}"\\:,0123456789.-+eENaIfinty ud8\n', max_size=200))
def test_it_never_raises_anything_but_jsonrejected_on_json_like_text(text):
    with contextlib.suppress(JSONRejected):
        loads(text, max_depth=8)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_it_never_raises_anything_but_jsonrejected_on_any_text_or_bytes(data):
    with contextlib.suppress(JSONRejected):
        loads(data)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**29), max_value=10**29)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_what_json_dumps_writes_comes_back_unchanged_with_its_depth_measured(value):
    text = json.dumps(value)
    assert loads(text) == value
    assert nesting_depth(text) == _depth(value)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0
