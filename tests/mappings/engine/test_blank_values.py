"""Blank text is no value (docs/mapping.md, "required / default"): a source value of only
whitespace never reaches the payload as "   ", whether or not the rule's chain ends in `trim`.

The generated code has two emptiness checks, a cheaper one after an inlined trim and the full
one otherwise; these tests pin the full one, which a missing `isspace()` would quietly break."""

import pytest

from mappings.engine import Change, compile_mapping

BLANKS = ["   ", "\t", " \n\t ", "\u00a0", "\u2003 "]  # spaces, tabs, newlines, NBSP, em space


def _rule(*transforms, source=None, **extra) -> dict:
    return {
        "id": "r",
        "target": "firstName",
        "source": source or {"kind": "field", "value": "name"},
        "transforms": [{"name": name} for name in transforms],
        **extra,
    }


def _apply(rule: dict, record: dict, current=None):
    spec = {"source": "ecwid", "target": "highlevel", "object": "contact", "rules": [rule]}
    return compile_mapping(spec).apply(record, current=current)


# No transform, and chains whose last step is not trim (lower/upper keep whitespace as it is).
CHAINS = [(), ("lower",), ("upper",), ("trim", "lower")]
CURRENTS = [None, {"firstName": "Ann"}]  # creating, and updating an existing contact


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("chain", CHAINS, ids=lambda c: "+".join(c) or "none")
@pytest.mark.parametrize("current", CURRENTS, ids=["create", "update"])
def test_an_optional_rule_writes_nothing_for_blank_text(blank, chain, current):
    result = _apply(_rule(*chain), {"name": blank}, current)
    assert result.payload == {} and result.changes == [] and result.problems == []
    assert [(s.rule_id, s.reason) for s in result.skipped_rules] == [("r", "no value to write")]


@pytest.mark.parametrize("blank", BLANKS)
@pytest.mark.parametrize("chain", CHAINS, ids=lambda c: "+".join(c) or "none")
@pytest.mark.parametrize("current", CURRENTS, ids=["create", "update"])
def test_a_required_rule_reports_blank_text_as_missing(blank, chain, current):
    result = _apply(_rule(*chain, required=True), {"name": blank}, current)
    assert "firstName" not in result.payload
    assert [(p.code, p.reason) for p in result.problems] == [
        ("missing", "required value is missing")
    ]
    assert not result.ok


@pytest.mark.parametrize("chain", CHAINS, ids=lambda c: "+".join(c) or "none")
@pytest.mark.parametrize("current", CURRENTS, ids=["create", "update"])
def test_blank_text_takes_the_default(chain, current):
    result = _apply(_rule(*chain, default="Friend"), {"name": "   "}, current)
    assert result.payload == {"firstName": "Friend"}
    old = None if current is None else "Ann"
    assert result.changes == [Change("firstName", old, "Friend", "r")]


@pytest.mark.parametrize("current", CURRENTS, ids=["create", "update"])
def test_a_blank_constant_and_a_template_of_blanks_are_no_value(current):
    constant = _rule(source={"kind": "constant", "value": "  "})
    assert _apply(constant, {}, current).payload == {}
    template = _rule(source={"kind": "template", "value": "{first} {last}"})
    result = _apply(template, {"first": " ", "last": "\t"}, current)
    assert result.payload == {} and result.problems == []


@pytest.mark.parametrize("current", CURRENTS, ids=["create", "update"])
def test_text_with_something_in_it_is_written_as_it_is(current):
    result = _apply(_rule(), {"name": "  Ann  "}, current)
    assert result.payload == {"firstName": "  Ann  "}  # no trim asked for: kept as it is
    result = _apply(_rule("trim"), {"name": "  Ann  "}, current)
    assert result.payload == {"firstName": "Ann"}


def test_a_trim_at_the_end_still_makes_blank_text_no_value():
    result = _apply(_rule("trim"), {"name": " \t "})
    assert result.payload == {} and result.skipped_rules[0].reason == "no value to write"


def test_blank_current_text_counts_as_empty_for_if_empty():
    rule = _rule(write_mode="if_empty")
    result = _apply(rule, {"name": "Ann"}, {"firstName": "   "})
    assert result.payload == {"firstName": "Ann"}
    result = _apply(rule, {"name": "Ann"}, {"firstName": "Bea"})
    assert result.payload == {} and result.skipped_rules[0].rule_id == "r"
