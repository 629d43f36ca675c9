"""Mapping tests run on every save, whatever else the check finds, so their state on the
page is never left over from an earlier version."""

import pytest

from mappings import services
from mappings.checks import mapping_check

pytestmark = pytest.mark.django_db

EMAIL_RULE = {
    "target": "email",
    "source": {"kind": "field", "value": "email"},
    "transforms": [{"name": "email", "args": {}}],
    "condition": None,
    "write_mode": "overwrite",
    "required": True,
    "default": None,
}
# Ecwid has no such field: a drift problem, but the mapping still runs.
GONE_FIELD_RULE = {**EMAIL_RULE, "target": "companyName", "required": False, "transforms": []}
GONE_FIELD_RULE["source"] = {"kind": "field", "value": "noSuchField"}


@pytest.fixture
def mapping(workspace, owner):
    mapping = services.mapping_create(
        workspace=workspace,
        user=owner,
        name="Shop to CRM",
        source_provider="ecwid",
        target_provider="highlevel",
        start="blank",
    )
    mapping = services.rule_save(mapping=mapping, user=owner, rule=EMAIL_RULE)
    services.test_create(
        mapping=mapping,
        name="Lower-cases the e-mail",
        source_record={"email": "Ana@Example.com"},
        expected_payload={"email": "ana@example.com"},
    )
    return mapping


def test_tests_run_on_a_save_even_when_the_mapping_has_drift(mapping, owner):
    mapping = services.rule_save(mapping=mapping, user=owner, rule=GONE_FIELD_RULE)
    assert [p["kind"] for p in mapping.problems] == ["drift"]
    test = mapping.tests.get()
    first_run = test.last_run_at
    assert test.passed is True and first_run is not None

    # A change that breaks the test, saved while the drift is still there: the test runs.
    rule_id = mapping.rules[0]["id"]
    mapping = services.rule_save(
        mapping=mapping, user=owner, rule={**EMAIL_RULE, "transforms": []}, rule_id=rule_id
    )
    test.refresh_from_db()
    assert test.passed is False and test.last_run_at > first_run
    assert {p["kind"] for p in mapping.problems} == {"drift", "test"}


def test_a_test_added_to_a_mapping_with_drift_runs_at_once(mapping, owner):
    mapping = services.rule_save(mapping=mapping, user=owner, rule=GONE_FIELD_RULE)
    test = services.test_create(
        mapping=mapping,
        name="Keeps the address",
        source_record={"email": "b@c.io"},
        expected_payload={"email": "b@c.io"},
    )
    assert test.passed is True and test.last_run_at is not None


def test_tests_that_cannot_run_are_not_run_not_left_passing(mapping, owner):
    assert mapping.tests.get().passed is True
    # The spec no longer compiles (a custom field the target does not have): nothing can
    # run, so the last "pass" must not stay on the page as if it were current.
    spec = {**mapping.spec}
    spec["rules"] = [{**mapping.rules[0], "target": "customFields.gone"}]
    mapping.spec = spec
    mapping.save()
    problems = mapping_check(mapping=mapping)
    assert [p["kind"] for p in problems] == ["test"]
    assert "custom field definitions are needed" in problems[0]["reason"]
    test = mapping.tests.get()
    assert test.passed is None and test.last_run_at is None and test.differences == []
