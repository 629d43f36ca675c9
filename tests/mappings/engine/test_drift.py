import pytest

from mappings.engine import SpecError, check_drift, compile_mapping, custom_field_paths
from mappings.engine.drift import used_fields

SPEC = {
    "source": "cin7",
    "target": "highlevel",
    "object": "contact",
    "record_condition": {"field": "Status", "op": "equals", "value": "Active"},
    "rules": [
        {
            "id": "email",
            "target": "email",
            "source": {"kind": "field", "value": "Contacts.0.Email"},
        },
        {
            "id": "name",
            "target": "firstName",
            "source": {"kind": "template", "value": "{Contacts.0.Name}"},
        },
        {
            "id": "phone",
            "target": "phone",
            "source": {"kind": "field", "value": "Contacts.0.Phone"},
            "transforms": [
                {"name": "first_non_empty", "args": {"fields": ["Contacts.0.MobilePhone"]}}
            ],
        },
        {
            "id": "vip",
            "target": "customFields.key:vip_level",
            "source": {"kind": "constant", "value": "Gold"},
            "condition": {"field": "CreditLimit", "op": "greater_than", "value": 5000},
        },
    ],
}
CIN7 = {
    "Status",
    "Contacts[].Email",
    "Contacts[].Name",
    "Contacts[].Phone",
    "Contacts[].MobilePhone",
    "CreditLimit",
}
DEFINITIONS = [{"id": "cfV", "fieldKey": "contact.vip_level", "dataType": "TEXT"}]
HIGHLEVEL = {"email", "firstName", "phone"} | custom_field_paths(DEFINITIONS)


def test_no_drift_when_every_field_exists():
    assert check_drift(SPEC, CIN7, HIGHLEVEL) == []
    # Catalogue spellings with .0. or .*. match list indexes too.
    assert check_drift(SPEC, {f.replace("[]", ".0") for f in CIN7}, None) == []


def test_removed_source_fields_are_flagged_wherever_a_rule_reads_them():
    problems = check_drift(SPEC, CIN7 - {"Contacts[].MobilePhone", "CreditLimit", "Status"}, None)
    assert sorted((p.rule, p.reason) for p in problems) == [
        ("", "the record condition reads Status, which cin7 no longer has"),
        ("phone", "reads Contacts.0.MobilePhone, which cin7 no longer has"),
        ("vip", "reads CreditLimit, which cin7 no longer has"),
    ]
    assert {p.code for p in problems} == {"drift"}


def test_a_deleted_highlevel_custom_field_is_flagged_and_the_mapping_refuses_to_compile():
    problems = check_drift(SPEC, CIN7, {"email", "firstName", "phone"})
    assert [(p.rule, p.field) for p in problems] == [("vip", "customFields.key:vip_level")]
    with pytest.raises(SpecError, match="no longer has"):
        compile_mapping(
            SPEC,
            source_fields=CIN7,
            target_fields={"email", "firstName", "phone"},
            options={"custom_fields": DEFINITIONS},
        )
    compile_mapping(
        SPEC, source_fields=CIN7, target_fields=HIGHLEVEL, options={"custom_fields": DEFINITIONS}
    )


def test_a_renamed_custom_field_key_fails_compilation_even_without_field_sets():
    renamed = [{"id": "cfV", "fieldKey": "contact.vip_tier", "dataType": "TEXT"}]
    with pytest.raises(SpecError, match="no such custom field"):
        compile_mapping(SPEC, options={"custom_fields": renamed})


def test_used_fields_lists_both_sides():
    used = used_fields(SPEC)
    assert used["source"][0] == "Status"
    assert "Contacts.0.MobilePhone" in used["source"] and "CreditLimit" in used["source"]
    assert used["target"] == ["email", "firstName", "phone", "customFields.key:vip_level"]
