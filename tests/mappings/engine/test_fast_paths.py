"""The engine's shortcuts must give the answers the plain code gives.

The generated function has a path for records that do not exist in the target yet
(`current` None) and one for updates; several transforms answer common text inputs early.
Each test here holds a shortcut to the long way round.
"""

import contextlib

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.engine import compile_mapping
from mappings.engine.regex import PatternError, compile_pattern, required_character
from mappings.engine.transforms import BuildContext, build_transform
from mappings.presets import list_presets, load_preset

CUSTOM_FIELDS = [
    {"id": "cf1", "fieldKey": "contact.order_count", "dataType": "NUMERICAL"},
    {"id": "cf5", "fieldKey": "contact.notes_text", "dataType": "LARGE_TEXT"},
]


def rule(rule_id, target, source, *transforms, **extra):
    return {
        "id": rule_id,
        "target": target,
        "source": {"kind": "field", "value": source},
        "transforms": [{"name": t} if isinstance(t, str) else t for t in transforms],
        **extra,
    }


# Every write mode but create_only (which the update path skips by design), shared targets,
# defaults, a required rule, a condition, a custom field with its coercion, nested targets.
SPEC = {
    "source": "ecwid",
    "target": "highlevel",
    "object": "contact",
    "rules": [
        rule("e", "email", "email", "email", required=True),
        rule("f", "firstName", "p.first", "trim", write_mode="if_empty"),
        rule("l", "lastName", "p.last", "trim", "upper", default="Unknown"),
        rule("ph", "phone", "p.phone", "phone"),
        rule(
            "t1", "tags", "group", {"name": "to_tags", "args": {"lower": True}}, write_mode="append"
        ),
        rule("t2", "tags", "labels", "to_tags", write_mode="append"),
        rule("n", "notes", "note", "trim", "as_list", write_mode="append"),
        rule(
            "a",
            "address1",
            "p.street",
            {"name": "regex_replace", "args": {"pattern": r"\s*\n\s*", "replacement": ", "}},
            "trim",
        ),
        rule("c", "customFields.cf1", "count"),
        rule("c5", "customFields.cf5", "p.first", write_mode="if_empty"),
        rule(
            "g",
            "source",
            "group",
            condition={"field": "count", "op": "greater_than", "value": 2},
            default="shop",
        ),
    ],
}
MAPPING = compile_mapping(SPEC, options={"custom_fields": CUSTOM_FIELDS})

text = st.one_of(
    st.sampled_from(["", " ", "Ann", " Lee ", "a  b", "VIP, Trade", "x\ny", "+14155550123"]),
    st.text(max_size=12),
)
value = st.one_of(st.none(), text, st.integers(-3, 5), st.booleans(), st.lists(text, max_size=3))
person = st.dictionaries(st.sampled_from(["first", "last", "phone", "street"]), value)
record = st.fixed_dictionaries(
    {},
    optional={
        "email": st.one_of(value, st.just("Ann.Lee@Example.com")),
        "p": st.one_of(person, value),
        "group": value,
        "labels": value,
        "note": value,
        "count": value,
    },
)


def without_create_only(result):
    return result.payload, result.changes, result.problems, result.skipped_rules


@settings(max_examples=600, deadline=None)
@given(record)
def test_a_new_record_maps_as_an_update_of_an_empty_one(source):
    """With nothing current, every current value is None: the creating path, which skips
    reading them, must give exactly what the update path gives for an empty record."""
    created = MAPPING.apply(source)
    updated = MAPPING.apply(source, current={})
    assert without_create_only(created) == without_create_only(updated)
    assert created.skipped_reason == updated.skipped_reason == ""


@pytest.mark.parametrize("preset", list_presets(), ids=lambda p: f"{p['source']}-{p['target']}")
def test_presets_map_new_records_as_updates_of_empty_ones(preset):
    spec = load_preset(preset["source"], preset["target"])
    spec["rules"] = [r for r in spec["rules"] if r.get("write_mode") != "create_only"]
    mapping = compile_mapping(spec, options={"custom_fields": []})
    samples = [
        {},
        {"email": "A@b.com", "billingPerson": {"firstName": " Ann ", "phone": "(415) 555-0123"}},
        {"email": "a@b.com", "firstName": "Ann", "tags": ["VIP"], "notes": ["n1", "n2"]},
        {"email": "x", "customerGroupId": 2, "customerGroupName": "VIP", "privateAdminNotes": " "},
    ]
    for sample in samples:
        assert without_create_only(mapping.apply(sample)) == without_create_only(
            mapping.apply(sample, current={})
        )


def test_the_record_level_checks_run_in_the_generated_function():
    spec = dict(SPEC, record_condition={"field": "count", "op": "greater_than", "value": 0})
    mapping = compile_mapping(spec, options={"custom_fields": CUSTOM_FIELDS})
    assert mapping.apply({"count": 0}).skipped_reason.startswith("condition not met: ")
    failed = mapping.apply({"count": "many"})
    assert failed.skipped_reason == "the record condition failed"
    assert failed.problems[0].code == "condition_failed"
    assert mapping.apply(["not", "a", "record"]).problems[0].code == "bad_record"
    assert mapping.apply({"count": 1, "email": "a@b.co"}).payload["email"] == "a@b.co"


PATTERNS = [r"\s*\n\s*", r"a", r"(?i)A", r"x|\n", r"[ab]c", r"\n+", r"(\d+)-(\d+)", r"(?s)a.\n"]


@settings(max_examples=800, deadline=None)
@given(st.sampled_from(PATTERNS), st.text(alphabet="aAbcx-\n 12", max_size=12))
def test_regex_replace_skips_the_regex_only_when_it_cannot_match(pattern, value):
    replace = build_transform(
        "regex_replace", {"pattern": pattern, "replacement": "<>"}, BuildContext()
    )
    assert replace(value, None) == re2.sub(pattern, "<>", value)


def test_required_character_is_only_a_plain_top_level_literal():
    assert required_character(r"\s*\n\s*") == "\n"
    assert required_character(r"[ab]c") == "c"
    assert required_character(r"\d+\.\d+") == "."
    assert required_character(r"[\]x]y") == "y"
    for pattern in [r"(?i)a", r"a|b", r"a+", r"(a)", r"[ab]", r"", r"\pLx?", r"\Qab\E", r"a{2}"]:
        assert required_character(pattern) is None, pattern
    assert required_character("a", "i") is None


@settings(max_examples=1500, deadline=None)
@given(
    st.text(alphabet="ab\n.()[]|*+?{}2,^$\\sQEpLx:-", max_size=14),
    st.lists(st.text(alphabet="ab\n{}2,.()[]|*+?-:x", max_size=10), max_size=5),
)
def test_a_required_character_is_in_every_match(pattern, texts):
    try:
        compiled = compile_pattern(pattern)
    except PatternError:
        return
    required = required_character(pattern)
    if required is None:
        return
    for text in texts:
        without = text.replace(required, "")
        assert compiled.search(without) is None, (pattern, required, without)


def reference_tags(value, separator=",", prefix="", lower=False):
    """to_tags' general path for text, written out: split, squeeze spaces, de-duplicate."""
    tags, seen = [], set()
    for part in value.split(separator):
        tag = " ".join(part.split())
        if tag:
            tag = prefix + (tag.lower() if lower else tag)
            if tag.casefold() not in seen:
                seen.add(tag.casefold())
                tags.append(tag)
    return tags


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="ab ,;\tÉ", max_size=10),
    st.sampled_from([",", ";"]),
    st.sampled_from(["", "g:"]),
    st.booleans(),
)
def test_to_tags_on_text_matches_the_general_path(value, separator, prefix, lower):
    args = {"separator": separator, "prefix": prefix, "lower": lower}
    to_tags = build_transform("to_tags", args, BuildContext())
    assert to_tags(value, None) == reference_tags(value, separator, prefix, lower)


@pytest.mark.parametrize("blank", ["", " ", "\n\t"])
def test_as_list_treats_blank_text_as_no_value(blank):
    as_list = build_transform("as_list", {}, BuildContext())
    assert as_list(blank, None) is None
    assert as_list("note", None) == ["note"]
    assert as_list(["a", ""], None) == ["a", ""]


def test_a_customer_without_notes_writes_no_empty_note():
    mapping = compile_mapping(load_preset("ecwid", "highlevel"), options={"custom_fields": []})
    result = mapping.apply({"email": "a@b.com", "privateAdminNotes": ""})
    assert "notes" not in result.payload
    assert all(change.field != "notes" for change in result.changes)
    updated = mapping.apply(
        {"email": "a@b.com", "privateAdminNotes": "  "}, current={"notes": ["kept"]}
    )
    assert "notes" not in updated.payload


def test_change_case_inlined_for_text_and_not_for_other_values():
    mapping = compile_mapping(
        {
            "source": "ecwid",
            "target": "highlevel",
            "object": "contact",
            "rules": [rule("c", "country", "c", "upper"), rule("l", "city", "l", "lower")],
        }
    )
    assert mapping.apply({"c": "gb", "l": ["A", "B"]}).payload == {
        "country": "GB",
        "city": ["a", "b"],
    }
    [problem] = mapping.apply({"c": {"x": 1}}).problems
    assert problem.code == "transform_failed"


def test_cached_phone_failures_keep_no_traceback():
    """A cached failure must not hold the stack that raised it (records, pages) alive."""
    from mappings.engine import phones

    phones._slow_cache.clear()
    for _ in range(2):
        with contextlib.suppress(Exception):  # only the cache entry matters here
            phones.slow_e164_cached("not a phone at all", "US")
    cached = list(phones._slow_cache.values())
    assert cached and all(getattr(entry, "__traceback__", None) is None for entry in cached)
