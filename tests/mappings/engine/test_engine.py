import pytest

from mappings.engine import Change, SpecError, compile_mapping

CUSTOM_FIELDS = [
    {"id": "cf1", "fieldKey": "contact.order_count", "dataType": "NUMERICAL"},
    {
        "id": "cf2",
        "fieldKey": "contact.favourite_colour",
        "dataType": "SINGLE_OPTIONS",
        "picklistOptions": ["Red", "Green"],
    },
    {
        "id": "cf3",
        "fieldKey": "contact.channels",
        "dataType": "CHECKBOX",
        "picklistOptions": ["Email", "SMS"],
    },
    {"id": "cf4", "fieldKey": "contact.customer_since", "dataType": "DATE"},
    {"id": "cf5", "fieldKey": "contact.notes_text", "dataType": "LARGE_TEXT"},
    {"id": "cf6", "fieldKey": "contact.upload", "dataType": "FILE_UPLOAD"},
]


def rule(rule_id, target, source, *transforms, **extra):
    if isinstance(source, str):
        source = {"kind": "field", "value": source}
    return {
        "id": rule_id,
        "target": target,
        "source": source,
        "transforms": [{"name": t} if isinstance(t, str) else t for t in transforms],
        **extra,
    }


def mapping(*rules, source="ecwid", target="highlevel", **extra):
    spec = {"source": source, "target": target, "object": "contact", "rules": list(rules)}
    spec.update(extra)
    return spec


def compiled(*rules, options=None, **extra):
    return compile_mapping(mapping(*rules, **extra), options=options)


def test_payload_changes_and_problems_for_a_new_record():
    m = compiled(
        rule("e", "email", "email", "email", required=True),
        rule("f", "firstName", "billingPerson.firstName", "trim"),
        rule("p", "phone", "billingPerson.phone", "phone"),
    )
    result = m.apply({"email": " A@B.com", "billingPerson": {"firstName": " Ann ", "phone": "x"}})
    assert result.payload == {"email": "a@b.com", "firstName": "Ann"}
    assert result.changes == [
        Change("email", None, "a@b.com", "e"),
        Change("firstName", None, "Ann", "f"),
    ]
    [problem] = result.problems
    assert (problem.field, problem.rule, problem.code) == ("phone", "p", "transform_failed")
    assert not problem.blocking  # an optional field: the rest of the contact may be written
    assert result.ok


def test_missing_required_value_is_a_blocking_problem_never_an_empty_string():
    m = compiled(rule("e", "email", "email", "trim", "email", required=True))
    for record in ({}, {"email": "   "}, {"email": None}):
        result = m.apply(record)
        assert "email" not in result.payload
        assert [p.reason for p in result.problems] == ["required value is missing"]
        assert not result.ok


def test_failed_transform_on_a_required_rule_blocks_the_record():
    m = compiled(rule("e", "email", "email", "email", required=True))
    result = m.apply({"email": "not-an-address"})
    assert result.payload == {}
    assert result.problems[0].blocking and not result.ok


def test_default_applies_when_the_source_is_empty():
    m = compiled(rule("c", "country", "countryCode", "trim", default="US", required=True))
    assert m.apply({"countryCode": " "}).payload == {"country": "US"}
    assert m.apply({"countryCode": "GB"}).payload == {"country": "GB"}


def test_constant_and_template_sources():
    m = compiled(
        rule("s", "source", {"kind": "constant", "value": "ecwid"}),
        rule("n", "name", {"kind": "template", "value": "{first} {last}"}),
    )
    assert m.apply({"first": "Ann", "last": "Lee"}).payload == {
        "source": "ecwid",
        "name": "Ann Lee",
    }
    result = m.apply({})
    assert result.payload == {"source": "ecwid"}
    assert [s.reason for s in result.skipped_rules] == ["no value to write"]


def test_write_modes_against_the_current_target():
    m = compiled(
        rule("o", "firstName", "first"),
        rule("c", "source", {"kind": "constant", "value": "shop"}, write_mode="create_only"),
        rule("i", "city", "city", write_mode="if_empty"),
        rule("a", "tags", "group", "to_tags", write_mode="append"),
    )
    record = {"first": "Ann", "city": "Leeds", "group": "VIP"}
    created = m.apply(record)
    assert created.payload == {
        "firstName": "Ann",
        "source": "shop",
        "city": "Leeds",
        "tags": ["VIP"],
    }

    current = {"firstName": "Anne", "city": "York", "tags": ["newsletter"]}
    updated = m.apply(record, current=current)
    assert updated.payload == {"firstName": "Ann", "tags": ["newsletter", "VIP"]}
    assert {(s.rule_id, s.reason) for s in updated.skipped_rules} == {
        ("c", "only written when creating"),
        ("i", "the target already has a value"),
    }
    assert [(c.field, c.old, c.new) for c in updated.changes] == [
        ("firstName", "Anne", "Ann"),
        ("tags", ["newsletter"], ["newsletter", "VIP"]),
    ]


def test_a_second_run_on_the_written_result_changes_nothing():
    m = compiled(
        rule("f", "firstName", "first"),
        rule("t", "tags", "group", "to_tags", write_mode="append"),
        rule("n", "notes", "note", "trim", write_mode="append"),
    )
    record = {"first": "Ann", "group": "vip", "note": "Prefers e-mail"}
    current = {"firstName": "Ann", "tags": ["VIP", "other"], "notes": "Old note\n\nPrefers e-mail"}
    result = m.apply(record, current=current)
    assert result.changes == []
    assert result.payload["tags"] == ["VIP", "other"]  # no duplicate, whatever the case


def test_append_text_adds_a_paragraph_once():
    m = compiled(
        rule("n", "privateAdminNotes", "note", write_mode="append"),
        target="ecwid",
        source="highlevel",
    )
    result = m.apply({"note": "Second"}, current={"privateAdminNotes": "First"})
    assert result.payload == {"privateAdminNotes": "First\n\nSecond"}


def test_record_condition_skips_the_whole_record_with_the_reason():
    m = compiled(
        rule("e", "email", "email"),
        record_condition={"field": "customerGroupName", "op": "equals", "value": "Wholesale"},
    )
    result = m.apply({"email": "a@b.co", "customerGroupName": "General"})
    assert result.skipped and result.payload == {} and not result.ok
    assert result.skipped_reason == "condition not met: customerGroupName equals “Wholesale”"
    assert m.apply({"email": "a@b.co", "customerGroupName": "wholesale"}).payload


def test_rule_condition_tag_vip_when_credit_limit_over_5000():
    m = compiled(
        rule(
            "vip",
            "tags",
            {"kind": "constant", "value": ["VIP"]},
            write_mode="append",
            condition={"field": "CreditLimit", "op": "greater_than", "value": 5000},
        ),
        source="cin7",
    )
    assert m.apply({"CreditLimit": 7500}).payload == {"tags": ["VIP"]}
    result = m.apply({"CreditLimit": 100})
    assert result.payload == {}
    assert result.skipped_rules[0].reason == "condition not met: CreditLimit is greater than 5000"
    broken = m.apply({"CreditLimit": "call us"})
    assert broken.problems[0].code == "condition_failed"


def test_changed_condition_uses_the_previous_source_record():
    m = compiled(rule("e", "email", "email", condition={"field": "email", "op": "changed"}))
    assert m.apply({"email": "a@b.co"}, previous={"email": "a@b.co"}).payload == {}
    assert m.apply({"email": "a@b.co"}, previous={"email": "x@b.co"}).payload == {"email": "a@b.co"}


def test_nested_target_paths_build_objects_and_lists():
    m = compiled(
        rule("n", "Contacts.0.Name", "name"),
        rule("e", "Contacts.0.Email", "email"),
        rule("c", "Addresses.0.City", "city"),
        source="highlevel",
        target="cin7",
    )
    result = m.apply(
        {"name": "Ann", "email": "a@b.co", "city": "Leeds"},
        current={"Contacts": [{"Name": "Ann", "Email": "old@b.co"}]},
    )
    assert result.payload == {
        "Contacts": [{"Name": "Ann", "Email": "a@b.co"}],
        "Addresses": [{"City": "Leeds"}],
    }
    assert [c.field for c in result.changes] == ["Contacts.0.Email", "Addresses.0.City"]


def test_highlevel_custom_fields_by_id_and_key_with_their_types():
    m = compiled(
        rule("n", "customFields.key:order_count", "stats.numberOfOrders"),
        rule("c", "customFields.cf2", "colour"),
        rule("m", "customFields.key:contact.channels", "channels"),
        rule("d", "customFields.key:customer_since", "registered"),
        rule("t", "customFields.cf5", "notes"),
        options={"custom_fields": CUSTOM_FIELDS},
    )
    record = {
        "stats": {"numberOfOrders": "12"},
        "colour": "red",
        "channels": "sms, Email",
        "registered": "2021-12-21 06:05:58 +0000",
        "notes": 42,
    }
    result = m.apply(record, current={"customFields": [{"id": "cf1", "value": 12}]})
    assert result.payload == {
        "customFields": [
            {"id": "cf1", "field_value": 12},
            {"id": "cf2", "field_value": "Red"},
            {"id": "cf3", "field_value": ["SMS", "Email"]},
            {"id": "cf4", "field_value": "2021-12-21"},
            {"id": "cf5", "field_value": "42"},
        ]
    }
    assert "customFields.key:order_count" not in [c.field for c in result.changes]
    assert len(result.changes) == 4


def test_a_value_a_custom_field_cannot_hold_is_a_problem():
    m = compiled(
        rule("n", "customFields.cf1", "count"),
        rule("c", "customFields.cf2", "colour"),
        options={"custom_fields": CUSTOM_FIELDS},
    )
    result = m.apply({"count": "a dozen", "colour": "Purple"})
    assert result.payload == {}
    assert [p.rule for p in result.problems] == ["n", "c"]
    assert "not an option" in result.problems[1].reason


def test_custom_fields_need_definitions_and_must_exist():
    with pytest.raises(SpecError, match="custom field definitions are needed"):
        compiled(rule("n", "customFields.cf1", "count"))
    with pytest.raises(SpecError, match="no such custom field"):
        compiled(
            rule("n", "customFields.key:gone", "count"), options={"custom_fields": CUSTOM_FIELDS}
        )
    with pytest.raises(SpecError, match="cannot write"):
        compiled(rule("n", "customFields.cf6", "x"), options={"custom_fields": CUSTOM_FIELDS})


def test_reading_highlevel_custom_fields_as_a_source():
    m = compiled(
        rule("c", "AdditionalField1", "customFields.key:favourite_colour"),
        source="highlevel",
        target="shift4shop",
        options={"custom_fields": CUSTOM_FIELDS},
    )
    record = {"customFields": [{"id": "cf2", "value": "Green"}]}
    assert m.apply(record).payload == {"AdditionalField1": "Green"}


def test_rules_sharing_an_append_target_build_on_each_other():
    m = compiled(
        rule("g", "tags", "group", "to_tags", write_mode="append"),
        rule(
            "v",
            "tags",
            {"kind": "constant", "value": ["vip"]},
            write_mode="append",
            condition={"field": "limit", "op": "greater_than", "value": 5000},
        ),
    )
    result = m.apply({"group": "trade", "limit": 6000}, current={"tags": ["old"]})
    assert result.payload == {"tags": ["old", "trade", "vip"]}
    assert result.changes == [Change("tags", ["old"], ["old", "trade", "vip"], "v")]


def test_a_record_that_is_not_an_object_is_a_problem():
    result = compiled(rule("e", "email", "email")).apply(["not", "a", "dict"])
    assert result.problems[0].code == "bad_record" and not result.ok


def test_spec_strings_are_never_pasted_into_the_generated_code():
    sneaky = "x')\nimport os\nos._exit(1)\n#"
    m = compiled(rule(sneaky, sneaky.replace("\n", "_").replace(".", "_"), "a"))
    assert sneaky not in m.source and "import os" not in m.source
    assert list(m.apply({"a": 1}).payload.values()) == [1]


def test_result_as_dict_is_json_ready():
    import json

    result = compiled(rule("e", "email", "email", "email")).apply({"email": "bad"})
    data = json.loads(json.dumps(result.as_dict()))
    assert data["problems"][0]["rule"] == "e"
