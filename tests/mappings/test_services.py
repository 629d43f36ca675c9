"""Mapping services: versions, checks, drift, tests, previews, import/export."""

import json

import pytest
from django.core.exceptions import ValidationError

from mappings import services
from mappings.checks import mapping_ready_for_live
from mappings.models import Mapping, MappingVersion
from mappings.preview import mapping_preview

pytestmark = pytest.mark.django_db

EMAIL_RULE = {
    "target": "email",
    "source": {"kind": "field", "value": "email"},
    "transforms": [{"name": "trim", "args": {}}, {"name": "email", "args": {}}],
    "condition": None,
    "write_mode": "overwrite",
    "required": True,
    "default": None,
}


def _blank(workspace, owner, name="Ecwid to HighLevel"):
    return services.mapping_create(
        workspace=workspace,
        user=owner,
        name=name,
        source_provider="ecwid",
        target_provider="highlevel",
        start="blank",
    )


def test_creating_from_the_preset_saves_version_one_and_checks_it(workspace, owner):
    mapping = services.mapping_create(
        workspace=workspace,
        user=owner,
        name="From preset",
        source_provider="ecwid",
        target_provider="highlevel",
    )
    assert mapping.version == 1
    assert mapping.rules, "the preset has rules"
    assert MappingVersion.objects.get(mapping=mapping, number=1).spec == mapping.spec
    assert mapping.checked_at is not None
    assert mapping.spec["source"] == "ecwid" and mapping.spec["target"] == "highlevel"


def test_every_rule_change_is_a_new_version(workspace, owner):
    mapping = _blank(workspace, owner)
    mapping = services.rule_save(mapping=mapping, user=owner, rule=EMAIL_RULE)
    rule_id = mapping.rules[0]["id"]
    mapping = services.rule_save(
        mapping=mapping, user=owner, rule={**EMAIL_RULE, "required": False}, rule_id=rule_id
    )
    assert mapping.version == 3
    assert [v.number for v in mapping.versions.all()] == [3, 2, 1]
    assert mapping.versions.get(number=2).spec["rules"][0]["required"] is True
    services.rule_delete(mapping=mapping, user=owner, rule_id=rule_id)
    assert Mapping.objects.get(pk=mapping.pk).rules == []


def test_a_bad_rule_is_refused_with_the_reason_and_nothing_saved(workspace, owner):
    mapping = _blank(workspace, owner)
    bad = {**EMAIL_RULE, "transforms": [{"name": "regex_replace", "args": {"pattern": "("}}]}
    with pytest.raises(ValidationError) as error:
        services.rule_save(mapping=mapping, user=owner, rule=bad)
    assert "regex" in " ".join(error.value.messages).lower()
    mapping.refresh_from_db()
    assert mapping.version == 1 and mapping.rules == []


def test_moving_rules_reorders_them(workspace, owner):
    mapping = _blank(workspace, owner)
    for target, source in (("email", "email"), ("phone", "billingPerson.phone")):
        rule = {**EMAIL_RULE, "target": target, "source": {"kind": "field", "value": source}}
        rule["transforms"] = []
        mapping = services.rule_save(mapping=mapping, user=owner, rule=rule)
    second = mapping.rules[1]["id"]
    mapping = services.rule_move(mapping=mapping, user=owner, rule_id=second, offset=-1)
    assert [r["target"] for r in mapping.rules] == ["phone", "email"]
    with pytest.raises(ValidationError, match="no longer exists"):
        services.rule_move(mapping=mapping, user=owner, rule_id="nope", offset=1)


def test_drift_is_flagged_when_a_rule_names_a_field_the_provider_does_not_have(workspace, owner):
    mapping = _blank(workspace, owner)
    rule = {**EMAIL_RULE, "source": {"kind": "field", "value": "noSuchEcwidField"}}
    mapping = services.rule_save(mapping=mapping, user=owner, rule=rule)
    kinds = {p["kind"] for p in mapping.problems}
    assert kinds == {"drift"}
    assert any("noSuchEcwidField" in p["field"] + p["reason"] for p in mapping.problems)
    assert not mapping.is_healthy
    assert mapping_ready_for_live(mapping=mapping)


def test_preview_shows_values_changes_and_problems(workspace, owner):
    mapping = _blank(workspace, owner)
    mapping = services.rule_save(mapping=mapping, user=owner, rule=EMAIL_RULE)
    preview = mapping_preview(
        mapping=mapping, record={"email": "  Ana@Example.COM "}, current={"email": "old@x.io"}
    )
    assert preview.payload == {"email": "ana@example.com"}
    row = preview.rows[0]
    assert (row.field, row.value, row.old, row.changed) == (
        "email",
        "ana@example.com",
        "old@x.io",
        True,
    )
    missing = mapping_preview(mapping=mapping, record={"email": ""})
    assert missing.problems and missing.problems[0].field == "email"
    broken = mapping_preview(mapping=mapping, record={"email": "not-an-address"})
    assert broken.problems, "an invalid e-mail is a problem, never a silent value"


def test_mapping_tests_run_on_every_save_and_block_going_live(workspace, owner):
    mapping = _blank(workspace, owner)
    mapping = services.rule_save(mapping=mapping, user=owner, rule=EMAIL_RULE)
    test = services.test_create(
        mapping=mapping,
        name="lower-cases",
        source_record={"email": "A@B.CO"},
        expected_payload={"email": "a@b.co"},
    )
    assert test.passed is True
    assert mapping_ready_for_live(mapping=mapping) == []
    # Change the rule so the output differs: the test fails on save, with the difference.
    mapping = services.rule_save(
        mapping=mapping,
        user=owner,
        rule={**EMAIL_RULE, "transforms": [{"name": "upper", "args": {}}]},
        rule_id=mapping.rules[0]["id"],
    )
    test.refresh_from_db()
    assert test.passed is False
    assert test.differences == [{"field": "email", "expected": "a@b.co", "actual": "A@B.CO"}]
    assert any(p["kind"] == "test" for p in mapping.problems)
    assert mapping_ready_for_live(mapping=mapping)
    with pytest.raises(ValidationError, match="already has a test"):
        services.test_create(
            mapping=mapping, name="Lower-cases", source_record={}, expected_payload={}
        )


def test_export_then_import_gives_the_same_rules(workspace, owner):
    mapping = services.mapping_create(
        workspace=workspace,
        user=owner,
        name="Original",
        source_provider="ecwid",
        target_provider="highlevel",
    )
    text = services.mapping_export(mapping=mapping)
    copy = services.mapping_create(
        workspace=workspace,
        user=owner,
        name="Copy",
        source_provider="ecwid",
        target_provider="highlevel",
        start="import",
        import_text=text,
    )
    assert copy.rules == mapping.rules
    with pytest.raises(ValidationError, match="maps ecwid → highlevel"):
        services.mapping_create(
            workspace=workspace,
            user=owner,
            name="Wrong pair",
            source_provider="cin7",
            target_provider="highlevel",
            start="import",
            import_text=text,
        )
    with pytest.raises(ValidationError):
        services.mapping_create(
            workspace=workspace,
            user=owner,
            name="Garbage",
            source_provider="ecwid",
            target_provider="highlevel",
            start="import",
            import_text="{not json",
        )


def test_names_are_unique_per_workspace_and_sides_must_differ(workspace, owner):
    _blank(workspace, owner, name="Same")
    with pytest.raises(ValidationError, match="already has a mapping"):
        _blank(workspace, owner, name="same")
    with pytest.raises(ValidationError, match="different systems"):
        services.mapping_create(
            workspace=workspace,
            user=owner,
            name="Loop",
            source_provider="ecwid",
            target_provider="ecwid",
            start="blank",
        )


def test_a_connection_from_another_workspace_or_provider_is_refused(workspace, owner):
    from tests.factories import ConnectionFactory

    foreign = ConnectionFactory(provider="ecwid")
    with pytest.raises(ValidationError, match="not in this workspace"):
        services.mapping_create(
            workspace=workspace,
            user=owner,
            name="X",
            source_provider="ecwid",
            target_provider="highlevel",
            start="blank",
            source_connection=foreign,
        )
    wrong = ConnectionFactory(provider="cin7", workspace=workspace)
    with pytest.raises(ValidationError, match="connection to Ecwid by Lightspeed"):
        services.mapping_create(
            workspace=workspace,
            user=owner,
            name="Y",
            source_provider="ecwid",
            target_provider="highlevel",
            start="blank",
            source_connection=wrong,
        )


def test_restoring_a_version_is_itself_a_new_version(workspace, owner):
    mapping = _blank(workspace, owner)
    mapping = services.rule_save(mapping=mapping, user=owner, rule=EMAIL_RULE)
    mapping = services.mapping_restore(mapping=mapping, user=owner, number=1)
    assert mapping.version == 3 and mapping.rules == []
    with pytest.raises(ValidationError, match="no version 9"):
        services.mapping_restore(mapping=mapping, user=owner, number=9)


def test_parse_json_record_says_what_is_wrong():
    with pytest.raises(ValidationError, match="not valid JSON"):
        services.parse_json_record("{", what="sample")
    with pytest.raises(ValidationError, match="must be a JSON object"):
        services.parse_json_record(json.dumps([1, 2]), what="sample")


def test_without_a_target_connection_custom_fields_are_not_called_deleted(workspace, owner):
    mapping = _blank(workspace, owner)
    rule = {**EMAIL_RULE, "target": "customFields.key:loyalty_number", "transforms": []}
    rule["required"] = False
    mapping = services.rule_save(mapping=mapping, user=owner, rule=rule)
    assert [p["kind"] for p in mapping.problems] == []
    typo = {**rule, "target": "emial"}
    mapping = services.rule_save(mapping=mapping, user=owner, rule=typo)
    assert [p["kind"] for p in mapping.problems] == ["drift"]
