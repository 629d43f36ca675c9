"""Corners of the generated apply function that mutation testing showed no test reached:
rules sharing a target (custom fields too), append's de-duplication, rules that can only
skip, nested targets, list-index sources, and the result's dict form."""

import pytest

from mappings.engine import Change, SpecError, append_value, compile_mapping, validate_spec

CUSTOM_FIELDS = [
    {"id": "cf5", "fieldKey": "contact.notes_text", "dataType": "LARGE_TEXT"},
    {"id": "cf6", "fieldKey": "contact.nickname", "dataType": "TEXT"},
]


def rule(rule_id, target, source, *transforms, **extra):
    return {
        "id": rule_id,
        "target": target,
        "source": {"kind": "field", "value": source},
        "transforms": [{"name": t} if isinstance(t, str) else t for t in transforms],
        **extra,
    }


def compiled(*rules, source="ecwid", target="highlevel", options=None):
    spec = {"source": source, "target": target, "object": "contact", "rules": list(rules)}
    return compile_mapping(spec, options=options)


@pytest.mark.parametrize("current", [None, {"customFields": [{"id": "cf5", "value": "old"}]}])
def test_two_rules_appending_to_one_custom_field_build_on_each_other(current):
    m = compiled(
        rule("a", "customFields.cf5", "first", write_mode="append"),
        rule("b", "customFields.cf5", "second", write_mode="append"),
        rule("n", "customFields.cf6", "nick"),
        options={"custom_fields": CUSTOM_FIELDS},
    )
    result = m.apply({"first": "one", "second": "two", "nick": "Al"}, current=current)
    start = "" if current is None else "old\n\n"
    assert result.payload == {
        "customFields": [
            {"id": "cf5", "field_value": f"{start}one\n\ntwo"},  # one entry, updated in place
            {"id": "cf6", "field_value": "Al"},
        ]
    }
    # One change for the shared target: the last rule's, from what is current.
    [change] = [c for c in result.changes if c.field == "customFields.cf5"]
    assert change.new == f"{start}one\n\ntwo" and change.rule_id == "b"


def test_only_appending_rules_may_share_a_target():
    with pytest.raises(SpecError, match="already written by rule a"):
        compiled(
            rule("a", "customFields.cf6", "first"),
            rule("b", "customFields.cf6", "second"),
            options={"custom_fields": CUSTOM_FIELDS},
        )


def test_two_rules_appending_tags_keep_each_tag_once():
    m = compiled(
        rule("a", "tags", "groups", write_mode="append"),
        rule("b", "tags", "labels", write_mode="append"),
    )
    result = m.apply({"groups": ["VIP", "Trade"], "labels": [" vip ", "new"]}, current={})
    assert result.payload == {"tags": ["VIP", "Trade", "new"]}


@pytest.mark.parametrize(
    ("old", "new", "merged"),
    [
        (["Ann"], "Bea", ["Ann", "Bea"]),  # a list and one item
        ("Ann", ["ANN ", "Bea"], ["Ann", "Bea"]),  # one item and a list, case and spaces ignored
        (["Ann"], ["Bea", " bea"], ["Ann", "Bea"]),  # repeats within what is added, too
        ([1, 2], [2, 3], [1, 2, 3]),  # not text: compared by value
        ([None], [None, 0], [None, 0]),
        ("Met at the fair.  \n", "Called back.", "Met at the fair.\n\nCalled back."),
        ("Met at the fair. Called back.", "Called back.", "Met at the fair. Called back."),
        ("", "first", "first"),
        (None, ["x"], ["x"]),
    ],
)
def test_append_adds_only_what_is_not_there(old, new, merged):
    assert append_value(old, new) == merged
    assert append_value(merged, new) == merged  # twice changes nothing


def test_a_rule_that_can_only_skip_is_skipped_without_running():
    empty_map = {"name": "value_map", "args": {"table": {}, "fallback": "skip"}}
    m = compiled(rule("g", "tags", "group", empty_map))
    result = m.apply({"group": "Wholesale"})
    assert result.payload == {} and result.problems == []
    [skipped] = result.skipped_rules
    assert (skipped.rule_id, skipped.reason) == ("g", "the value map has no entries yet")


def test_a_nested_target_is_written_nested():
    m = compiled(
        rule("f", "billingPerson.firstName", "firstName"),
        rule("e", "email", "email"),
        source="highlevel",
        target="ecwid",
    )
    result = m.apply({"firstName": "Ann", "email": "ann@example.org"})
    assert result.payload == {"billingPerson": {"firstName": "Ann"}, "email": "ann@example.org"}
    assert Change("billingPerson.firstName", None, "Ann", "f") in result.changes


def test_sources_by_list_index_and_two_levels_read_the_right_value():
    m = compiled(
        rule("e", "email", "contacts.0.Email"),
        rule("p", "phone", "contacts.1.Phone"),
        rule("c", "city", "address.city"),
        rule("f", "firstName", "address.first"),
        source="cin7",
    )
    record = {
        "contacts": [{"Email": "a@example.org"}, {"Phone": "+15125550100"}],
        "address": {"city": "Austin", "first": "Ann"},
    }
    assert m.apply(record).payload == {
        "email": "a@example.org",
        "phone": "+15125550100",
        "city": "Austin",
        "firstName": "Ann",
    }
    assert m.apply({"contacts": "not a list", "address": "not an object"}).payload == {}


def test_the_result_as_a_dict():
    m = compiled(rule("e", "email", "email"), rule("f", "firstName", "first"))
    data = m.apply({"email": "a@example.org"}).as_dict()
    assert data == {
        "payload": {"email": "a@example.org"},
        "changes": [{"field": "email", "old": None, "new": "a@example.org", "rule_id": "e"}],
        "problems": [],
        "skipped_rules": [{"rule_id": "f", "field": "firstName", "reason": "no value to write"}],
        "skipped_reason": "",
    }


def test_validation_checks_custom_fields_only_when_their_definitions_are_given():
    spec = {
        "source": "ecwid",
        "target": "highlevel",
        "object": "contact",
        "rules": [rule("x", "customFields.key:contact.nope", "email")],
    }
    assert validate_spec(spec) == []  # the definitions are not known: nothing to say yet
    problems = validate_spec(spec, options={"custom_fields": CUSTOM_FIELDS})
    assert [p.rule for p in problems] == ["x"]


def test_the_compiled_mapping_knows_whether_it_writes_custom_fields():
    plain = compiled(rule("e", "email", "email"))
    custom = compiled(
        rule("n", "customFields.cf6", "nick"), options={"custom_fields": CUSTOM_FIELDS}
    )
    assert (plain.uses_custom_fields, custom.uses_custom_fields) == (False, True)
    assert (
        plain.shares_targets,
        compiled(
            rule("a", "tags", "x", write_mode="append"), rule("b", "tags", "y", write_mode="append")
        ).shares_targets,
    ) == (False, True)


def test_a_missing_required_value_names_its_rule():
    [problem] = compiled(rule("e", "email", "email", required=True)).apply({}).problems
    assert (problem.field, problem.rule, problem.code) == ("email", "e", "missing")


def test_an_update_compares_with_the_current_custom_field_value():
    m = compiled(rule("n", "customFields.cf6", "nick"), options={"custom_fields": CUSTOM_FIELDS})
    current = {"customFields": [{"id": "cf5", "value": "x"}, {"id": "cf6", "value": "Al"}]}
    assert m.apply({"nick": "Al"}, current=current).changes == []
    [change] = m.apply({"nick": "Bo"}, current=current).changes
    assert (change.old, change.new) == ("Al", "Bo")


def test_drift_is_checked_with_either_field_set_alone():
    spec = {
        "source": "ecwid",
        "target": "highlevel",
        "object": "contact",
        "rules": [rule("e", "email", "email")],
    }
    with pytest.raises(SpecError):
        compile_mapping(spec, target_fields={"firstName"})
    with pytest.raises(SpecError):
        compile_mapping(spec, source_fields={"name"})
    compiled_spec = compile_mapping(spec, target_fields={"email"}, source_fields={"email"})
    assert compiled_spec.spec == spec


def test_the_record_condition_text_is_kept_for_the_skip_reason():
    spec = {
        "source": "ecwid",
        "target": "highlevel",
        "object": "contact",
        "rules": [rule("e", "email", "email")],
        "record_condition": {"field": "group", "op": "equals", "value": "Trade"},
    }
    m = compile_mapping(spec)
    assert m.record_condition_text and m.record_condition_text in m.apply({}).skipped_reason
