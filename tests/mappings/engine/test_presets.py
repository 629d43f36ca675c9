import importlib
import json

import pytest

from mappings.engine import SpecError, compile_mapping, export_mapping, import_mapping
from mappings.engine.drift import used_fields
from mappings.presets import PresetNotFound, list_presets, load_preset

PLATFORMS = ["ecwid", "orderspace", "cscart", "shift4shop", "cin7"]
PAIRS = [(p, "highlevel") for p in PLATFORMS] + [("highlevel", p) for p in PLATFORMS]
# Fields the sync puts on records beyond the platform's own catalogue: HighLevel notes (the
# contact's note bodies) and CS-Cart user groups (fetched per user from /users/:id/usergroups).
EXTRA_FIELDS = {"highlevel": {"notes"}, "cscart": {"usergroups"}}
# What a platform's API never returns, so its preset cannot copy it to HighLevel: CS-Cart's
# users API writes the billing address columns but does not read them back.
UNREADABLE = {"cscart": {"address1", "city", "postalCode", "country"}}


def platform_fields(key):
    if key == "highlevel":
        from integrations.providers.highlevel.schemas import Contact

        return set(Contact.model_fields) | EXTRA_FIELDS["highlevel"]
    module = importlib.import_module(f"integrations.providers.{key}.fields")
    return {field.path for field in module.catalogue()} | EXTRA_FIELDS.get(key, set())


def test_there_is_a_preset_for_every_platform_and_direction():
    assert sorted((p["source"], p["target"]) for p in list_presets()) == sorted(PAIRS)


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_presets_compile_and_use_only_fields_the_platforms_have(source, target):
    spec = load_preset(source, target)
    compile_mapping(spec, options={"custom_fields": []})
    used = used_fields(spec)
    known_source, known_target = platform_fields(source), platform_fields(target)
    assert [f for f in used["source"] if f not in known_source] == []
    assert [f for f in used["target"] if f not in known_target] == []
    targets = set(used["target"])
    # Each covers the basics the issue names.
    if target == "highlevel":
        assert {
            "email",
            "firstName",
            "lastName",
            "phone",
            "companyName",
            "address1",
            "city",
            "postalCode",
            "country",
            "tags",
            "businessId",
        } - UNREADABLE.get(source, set()) <= targets
    else:
        assert len(targets) >= 9


def test_load_preset_returns_a_copy_and_refuses_unknown_pairs():
    first = load_preset("ecwid", "highlevel")
    first["rules"].clear()
    assert load_preset("ecwid", "highlevel")["rules"]
    with pytest.raises(PresetNotFound, match="no preset for ecwid->cin7"):
        load_preset("ecwid", "cin7")


ECWID_CUSTOMER = {
    "id": 17,
    "email": "Ann.Lee@Example.com",
    "customerGroupId": 2,
    "customerGroupName": "Wholesale",
    "billingPerson": {
        "name": "Ann Lee",
        "firstName": "Ann",
        "lastName": "Lee",
        "companyName": "Acme",
        "street": "1 High St\nFlat 2",
        "city": "Austin",
        "countryCode": "us",
        "postalCode": "78701",
        "stateOrProvinceCode": "TX",
        "phone": "(512) 555-0134",
    },
    "privateAdminNotes": "Prefers e-mail.",
}


def test_ecwid_to_highlevel_preset_on_a_customer():
    result = compile_mapping(load_preset("ecwid", "highlevel")).apply(ECWID_CUSTOMER)
    assert result.ok and result.problems == []
    assert result.payload == {
        "email": "ann.lee@example.com",
        "firstName": "Ann",
        "lastName": "Lee",
        "phone": "+15125550134",
        "companyName": "Acme",
        "address1": "1 High St, Flat 2",
        "city": "Austin",
        "state": "TX",
        "postalCode": "78701",
        "country": "US",
        "tags": ["wholesale"],
        "notes": ["Prefers e-mail."],
    }
    assert ("business", "the value map has no entries yet") in {
        (s.rule_id, s.reason) for s in result.skipped_rules
    }
    # Written once, mapped again: nothing to change.
    again = compile_mapping(load_preset("ecwid", "highlevel")).apply(
        ECWID_CUSTOMER, current=result.payload
    )
    assert again.changes == []


def test_general_group_is_not_a_tag():
    record = dict(ECWID_CUSTOMER, customerGroupId=0, customerGroupName="General")
    result = compile_mapping(load_preset("ecwid", "highlevel")).apply(record)
    assert "tags" not in result.payload


def test_orderspace_buyer_name_is_split_and_company_required_back():
    to_hl = compile_mapping(load_preset("orderspace", "highlevel"))
    result = to_hl.apply(
        {
            "company_name": "Acme",
            "buyers": [{"name": "Ann van der Berg", "email_address": "ann@acme.test"}],
        }
    )
    assert (result.payload["firstName"], result.payload["lastName"]) == ("Ann", "van der Berg")
    back = compile_mapping(load_preset("highlevel", "orderspace"))
    payload = back.apply({"firstName": "Ann", "lastName": "Lee", "email": "ann@acme.test"}).payload
    assert payload["company_name"] == "Ann Lee"
    assert payload["buyers"] == [{"email_address": "ann@acme.test", "name": "Ann Lee"}]


def test_cin7_tags_and_cscart_groups_become_highlevel_tags():
    cin7 = compile_mapping(load_preset("cin7", "highlevel")).apply(
        {"Name": "Acme", "Tags": "VIP, Trade", "Contacts": [{"Name": "Ann Lee", "Email": "a@b.co"}]}
    )
    assert cin7.payload["tags"] == ["vip", "trade"]
    cscart = compile_mapping(load_preset("cscart", "highlevel")).apply(
        {
            "email": "a@b.co",
            "usergroups": [
                {"usergroup_id": "4", "status": "A"},
                {"usergroup_id": "6", "status": "D"},
            ],
        }
    )
    assert cscart.payload["tags"] == ["cscart-group-4"]


def test_highlevel_to_cin7_builds_contacts_and_tags_text():
    result = compile_mapping(load_preset("highlevel", "cin7")).apply(
        {
            "firstName": "Ann",
            "lastName": "Lee",
            "email": "A@B.co",
            "tags": ["vip", "trade"],
            "companyName": "Acme",
        }
    )
    assert result.payload["Name"] == "Acme"
    assert result.payload["Contacts"] == [{"Name": "Ann Lee", "Email": "a@b.co"}]
    assert result.payload["Tags"] == "vip,trade"


def test_export_then_import_gives_the_same_spec():
    spec = load_preset("shift4shop", "highlevel")
    text = export_mapping(spec)
    assert json.loads(text)["format"] == "contactbridge.mapping"
    assert import_mapping(text) == spec
    assert import_mapping(json.dumps(spec)) == spec  # a bare spec is accepted too


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not JSON: Expecting property name"),
        (b"\xff\xfe", "not UTF-8|not JSON"),
        ('{"format": "zapier", "mapping": {}}', "not a ContactBridge mapping"),
        ('{"format": "contactbridge.mapping", "format_version": 9, "mapping": {}}', "newer"),
        (
            '{"format": "contactbridge.mapping", "format_version": 1, "mapping": {"rules": []}}',
            "source must be one of",
        ),
    ],
)
def test_import_explains_what_is_wrong(text, message):
    with pytest.raises(SpecError, match=message):
        import_mapping(text)
