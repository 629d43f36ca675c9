import pytest

from mappings.engine import SpecError, compile_mapping, validate_spec


def spec_with(*rules, **top):
    spec = {"source": "ecwid", "target": "highlevel", "object": "contact", "rules": list(rules)}
    spec.update(top)
    return spec


def good_rule(**changes):
    rule = {
        "id": "r1",
        "target": "email",
        "source": {"kind": "field", "value": "email"},
        "transforms": [{"name": "trim", "args": {}}],
        "condition": None,
        "write_mode": "overwrite",
        "required": True,
        "default": None,
    }
    rule.update(changes)
    return rule


def reasons(spec):
    return [(p.field, p.rule, p.reason) for p in validate_spec(spec)]


def test_a_good_spec_has_no_problems():
    assert validate_spec(spec_with(good_rule())) == []


@pytest.mark.parametrize(
    ("rule_changes", "field", "fragment"),
    [
        (
            {"transforms": [{"name": "sparkle"}]},
            "rules[0].transforms[0]",
            "unknown transform “sparkle”",
        ),
        (
            {"transforms": [{"name": "split_name", "args": {"part": 1}}]},
            "rules[0].transforms[0]",
            "split_name: arg “part” must be a string",
        ),
        (
            {"transforms": [{"name": "regex_replace", "args": {"pattern": "[a-"}}]},
            "rules[0].transforms[0]",
            "not a valid regular expression",
        ),
        ({"transforms": [{"name": "trim", "arg": {}}]}, "rules[0].transforms[0]", "is {"),
        (
            {"condition": {"field": "x", "op": "approx", "value": 1}},
            "rules[0].condition",
            "not an operator",
        ),
        ({"write_mode": "sometimes"}, "rules[0].write_mode", "write_mode must be one of"),
        ({"source": {"kind": "formula", "value": "1+1"}}, "rules[0].source", "source must be"),
        (
            {"source": {"kind": "template", "value": "{first"}},
            "rules[0].source.value",
            "bad template",
        ),
        ({"source": {"kind": "field", "value": "a..b"}}, "rules[0].source.value", "field path"),
        ({"target": ""}, "rules[0].target", "target must be a field path"),
        ({"required": "yes"}, "rules[0].required", "true or false"),
        ({"default": {1, 2}}, "rules[0].default", "plain JSON"),
        ({"colour": "red"}, "rules[0].colour", "unknown key"),
    ],
)
def test_each_rule_problem_names_the_rule_and_the_part(rule_changes, field, fragment):
    problems = reasons(spec_with(good_rule(**rule_changes)))
    assert any(
        f == field and rule == "r1" and fragment in reason for f, rule, reason in problems
    ), problems


def test_spec_level_problems():
    problems = reasons(
        {
            "source": "shopify",
            "target": "highlevel",
            "object": "order",
            "direction": "both",
            "rules": {},
        }
    )
    text = " | ".join(reason for _, _, reason in problems)
    assert "source must be one of" in text
    assert "object must be one of" in text
    assert "direction must be 'to_target'" in text
    assert "rules must be a list" in text
    assert reasons("not a mapping") == [("mapping", "", "a mapping must be an object")]


def test_duplicate_ids_and_two_unconditional_writers_of_one_field():
    spec = spec_with(good_rule(), good_rule(), good_rule(id="r2"))
    text = [reason for _, _, reason in reasons(spec)]
    assert "rule id “r1” is used twice" in text
    assert "email is already written by rule r1" in text
    # Appending or conditional rules may share a target.
    ok = spec_with(
        good_rule(target="tags", write_mode="append"),
        good_rule(id="r2", target="tags", write_mode="append"),
        good_rule(id="r3", target="email"),
    )
    assert validate_spec(ok) == []


def test_bad_options_are_reported():
    problems = validate_spec(
        spec_with(good_rule()), options={"default_region": "Narnia", "timezone": "Nowhere/City"}
    )
    assert {p.field for p in problems} == {"options.default_region", "options.timezone"}


def test_compile_refuses_an_invalid_spec_with_every_problem():
    spec = spec_with(good_rule(write_mode="x"), good_rule(id="r2", transforms=[{"name": "nope"}]))
    with pytest.raises(SpecError) as caught:
        compile_mapping(spec)
    assert {p.rule for p in caught.value.problems} == {"r1", "r2"}
