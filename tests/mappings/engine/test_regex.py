"""User regular expressions run on RE2: linear time, refused at save when too large, and
replacements read as Python reads them."""

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.engine import validate_spec
from mappings.engine.regex import PatternError, compile_pattern, compile_sub
from mappings.engine.transforms import BuildContext, build_transform

CONTEXT = BuildContext()


def regex_rule(pattern, replacement="", flags=""):
    return {
        "id": "r1",
        "target": "address1",
        "source": {"kind": "field", "value": "street"},
        "transforms": [
            {
                "name": "regex_replace",
                "args": {"pattern": pattern, "replacement": replacement, "flags": flags},
            }
        ],
    }


def spec_problems(pattern, replacement=""):
    spec = {
        "source": "ecwid",
        "target": "highlevel",
        "object": "contact",
        "rules": [regex_rule(pattern, replacement)],
    }
    return " ".join(p.reason for p in validate_spec(spec))


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(a|aa)+$", r"(a*)*b", r"(\w+\s?)+$"])
def test_catastrophic_backtracking_patterns_complete_instantly(pattern):
    replace = build_transform("regex_replace", {"pattern": pattern, "replacement": "x"}, CONTEXT)
    started = time.monotonic()
    assert isinstance(replace("a" * 50 + "b", None), str)
    assert isinstance(replace("a" * 100_000 + "!", None), str)
    assert time.monotonic() - started < 0.5  # Python's re: longer than anyone would wait


def test_the_classic_one_gives_the_right_answer_too():
    replace = build_transform("regex_replace", {"pattern": r"(a+)+$", "replacement": "x"}, CONTEXT)
    assert replace("a" * 50 + "b", None) == "a" * 50 + "b"
    assert replace("b" + "a" * 50, None) == "bx"


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("a{4294967296}", "too large/complex: {4294967296} repeats more than 1,000 times"),
        ("(" * 1000 + "a" + ")" * 1000, "too large/complex: it has 2,001 characters"),
        ("(" * 150 + "a" + ")" * 150, "too large/complex: its groups nest 150 deep"),
        ("(a{1000}){1000}", "too large/complex: more than RE2 allows"),
        (r"\pL{1000}", "too large/complex: more than RE2 allows"),
        (".{500}", "too large/complex: it compiles to"),
        ("x" * 1001, "at most 1,000"),
    ],
)
def test_over_large_patterns_are_refused_at_save_with_the_reason(pattern, message):
    problems = spec_problems(pattern)
    assert message in problems and "simplify it" in problems


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"(\w+) \1", "backreferences such as \\1 or (?P=name) are not supported"),
        (r"(?P<w>\w+) (?P=w)", "backreferences"),
        (r"foo(?=bar)", "lookahead and lookbehind"),
        (r"(?<!@)example", "lookahead and lookbehind"),
        (r"a++", "possessive quantifiers are not supported"),
        (r"end\Z", "write \\z for the end of the text"),
        (r"[a-", "not a valid regular expression: missing ]"),
    ],
)
def test_syntax_re2_lacks_is_named_in_the_message(pattern, message):
    assert message in spec_problems(pattern)


def test_patterns_are_compiled_once_when_the_rule_is_built(monkeypatch):
    import re2

    replace = build_transform("regex_replace", {"pattern": r"\s+", "replacement": " "}, CONTEXT)
    monkeypatch.setattr(re2, "compile", lambda *a, **k: pytest.fail("compiled again"))
    assert replace("a \n b", None) == "a b"


def test_flags_still_work():
    def run(pattern, flags, value):
        args = {"pattern": pattern, "replacement": "-", "flags": flags}
        return build_transform("regex_replace", args, CONTEXT)(value, None)

    assert run("flat", "i", "FLAT 3") == "- 3"
    assert run("^x", "m", "x\nx") == "-\n-"
    assert run("a.b", "s", "a\nb") == "-"
    assert run("a.b", "", "a\nb") == "a\nb"


@pytest.mark.parametrize(
    "replacement",
    [r"<\1>", r"\g<1>-\g<2>", r"\g<0>", r"\n\t", r"\\1", r"\101", r"\0", r"a\-b", r"\g<word>", "é"],
)
def test_replacements_read_as_python_reads_them(replacement):
    pattern = r"(?P<word>\w+) (\d+)"
    expected = re.sub(pattern, replacement, "flat 3, unit 12")
    got = build_transform(
        "regex_replace", {"pattern": pattern, "replacement": replacement}, CONTEXT
    )("flat 3, unit 12", None)
    assert got == expected


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        (r"\3", "there is no group 3: the pattern has 2 groups"),
        (r"\g<nope>", "no group named “nope”"),
        (r"\g", "write \\g<name>"),
        (r"\q", "bad escape \\q"),
        ("trailing\\", "lone backslash"),
    ],
)
def test_a_bad_replacement_is_refused_at_save(replacement, message):
    problems = spec_problems(r"(\w+) (\d+)", replacement)
    assert "not valid for this pattern" in problems and message in problems


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab\\gn<>0123()é", max_size=10), st.text(alphabet="abé", max_size=6))
def test_compile_sub_never_raises_anything_but_pattern_error(replacement, text):
    try:
        substitute = compile_sub(compile_pattern("(a)(b)?"), replacement)
    except PatternError:
        return
    assert isinstance(substitute(text), str)


# Pieces whose meaning RE2 and Python share (Python also matches $ before a final line break,
# and after an empty match tries a longer one at the same place; RE2 does neither).
PIECES = ["a", "b", "é", ".", "(", ")", "*", "+", "[ab]", "[^a]", "{2}", "^", "a|b", "\\n"]


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=6).map("".join),
    st.text(alphabet="ab é\n", max_size=10),
    st.sampled_from([r"<\g<0>>", "-", r"\1", ""]),
)
def test_substitution_gives_what_python_gives(pattern, text, replacement):
    try:
        python = re.compile(pattern)
        substitute = compile_sub(compile_pattern(pattern), replacement)
    except (re.error, PatternError):
        return
    try:
        expected = python.sub(replacement, text)
    except (re.error, IndexError):
        return
    assert substitute(text) == expected
