"""Malformed specs are explained, one readable problem per mistake, never an exception."""

import pytest

from mappings.engine import validate_spec


def spec_with(*rules, **top):
    spec = {"source": "ecwid", "target": "highlevel", "object": "contact", "rules": list(rules)}
    spec.update(top)
    return spec


def rule(**changes):
    base = {"id": "r1", "target": "email", "source": {"kind": "field", "value": "email"}}
    return {**base, **changes}


def problems(spec, options=None) -> list[tuple[str, str]]:
    return [(p.field, p.reason) for p in validate_spec(spec, options=options)]


def test_the_mapping_and_its_rules_must_be_objects_and_lists():
    assert problems("not a mapping") == [("mapping", "a mapping must be an object")]
    assert ("rules", "rules must be a list") in problems(spec_with(rules="none"))
    assert problems(spec_with("a string")) == [("rules[0]", "a rule must be an object")]


def test_every_rule_needs_its_own_text_id():
    found = problems(spec_with(rule(id=""), rule(id=7, target="firstName")))
    assert found.count(("rules[0].id", "every rule needs an id (text)")) == 1
    assert ("rules[1].id", "every rule needs an id (text)") in found


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"transforms": "trim"}, "transforms", "transforms must be a list"),
        ({"transforms": ["trim"]}, "transforms[0]", "a transform is"),
        ({"transforms": [{"name": "trim", "x": 1}]}, "transforms[0]", "a transform is"),
        ({"source": "email"}, "source", "source must be"),
        ({"source": {"kind": "field", "value": "email", "x": 1}}, "source", "unknown source key"),
        ({"source": {"kind": "constant", "value": {1, 2}}}, "source.value", "plain JSON data"),
        ({"source": {"kind": "template", "value": 5}}, "source.value", "a template must be text"),
        ({"source": {"kind": "template", "value": "{unclosed"}}, "source.value", "bad template"),
        ({"source": {"kind": "field", "value": ""}}, "source.value", "needs a field path"),
    ],
)
def test_malformed_rule_parts_are_named(changes, field, fragment):
    found = problems(spec_with(rule(**changes)))
    assert any(f == f"rules[0].{field}" and fragment in reason for f, reason in found), found


@pytest.mark.parametrize(
    ("options", "field", "fragment"),
    [
        ({"custom_fields": "all of them"}, "options.custom_fields", "must be a list of {id"),
        ({"custom_fields": [{"name": "no id"}]}, "options.custom_fields", "must be a list of {id"),
        ({"timezone": "Mars/Olympus"}, "options.timezone", ""),
    ],
)
def test_bad_options_are_problems_too(options, field, fragment):
    found = problems(spec_with(rule()), options)
    assert any(f == field and fragment in reason for f, reason in found), found


def test_an_unknown_highlevel_custom_field_key_in_a_source_is_named():
    spec = spec_with(
        rule(source={"kind": "field", "value": "customFields.key:contact.nope"}),
        source="highlevel",
        target="ecwid",
    )
    found = problems(spec, {"custom_fields": [{"id": "cf1", "fieldKey": "contact.real"}]})
    assert any("no custom field" in reason for _, reason in found), found
