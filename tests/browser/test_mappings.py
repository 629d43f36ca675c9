"""Build, preview and test a mapping in a real Chromium, with a HighLevel custom field."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from integrations.models import Connection
from mappings.models import Mapping
from sandboxes.highlevel import HighLevelSandbox, connection_values
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.factories import PASSWORD, ConnectionFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def highlevel_sandbox():
    app = HighLevelSandbox(SandboxOptions(seed=3), rsa_key_bits=2048)
    httpd, server, _ = start_in_thread([app])
    yield app
    stop(httpd, server)


def test_build_a_mapping_with_a_custom_field_and_a_condition_preview_and_test_it(
    page, screenshot, highlevel_sandbox
):
    membership = MembershipFactory(role=Role.OWNER)
    credentials, settings = connection_values(highlevel_sandbox.describe())
    ConnectionFactory(
        workspace=membership.workspace,
        provider="highlevel",
        name="CRM sandbox",
        settings=settings,
        credentials=credentials,
        status=Connection.Status.CONNECTED,
    )
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(membership.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Mappings").click()
    page.get_by_role("link", name="Create your first mapping").click()
    page.get_by_label("Name").fill("Wholesale customers")
    page.get_by_label("From (source)").select_option("ecwid")
    page.get_by_label("To (target)").select_option("highlevel")
    page.get_by_label("An empty mapping").check()
    page.get_by_label("Target connection").select_option(label="CRM sandbox")
    screenshot("mapping-01-new")
    page.get_by_role("button", name="Create mapping").click()
    expect(page.get_by_role("heading", name="Wholesale customers")).to_be_visible()

    # Rule 1: the e-mail, cleaned and required.
    page.get_by_role("button", name="Add a rule").click()
    page.get_by_label("HighLevel field to write").select_option("email")
    page.get_by_label(re.compile("Ecwid by Lightspeed field")).select_option("email")
    page.get_by_label("Add a transform").select_option("email")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(".transform")).to_have_count(1)
    page.get_by_role("checkbox", name=re.compile("Required")).check()
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("table.rules tbody tr")).to_have_count(1)

    # Rule 2: a HighLevel custom field, only for wholesale customers.
    page.get_by_role("button", name="Add a rule").click()
    page.get_by_label("HighLevel field to write").select_option(label="Order count (number)")
    page.get_by_label(re.compile("Ecwid by Lightspeed field")).select_option("stats.numberOfOrders")
    page.get_by_role("button", name="Add a condition").last.click()
    condition = page.locator("#c-rows .condition")
    condition.get_by_label("Field").select_option("customerGroupName")
    condition.get_by_label("Operator").select_option("equals")
    condition.get_by_label("Value").fill("Wholesale")
    screenshot("mapping-02-rule-form")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("table.rules tbody tr:not(.problem-row)")).to_have_count(2)
    expect(page.get_by_text("Ready")).to_be_visible()

    mapping = Mapping.objects.get(name="Wholesale customers")
    custom = mapping.rules[1]
    assert custom["target"].startswith("customFields.")
    assert custom["condition"] == {
        "field": "customerGroupName",
        "op": "equals",
        "value": "Wholesale",
    }

    # Preview on a pasted record: the custom field gets the number, the rule is named.
    page.locator("#preview-record").fill(
        '{"email": " Ana@Example.COM ", "customerGroupName": "Wholesale",'
        ' "stats": {"numberOfOrders": 7}}'
    )
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    table = preview.locator("table.preview")
    expect(table.get_by_text("ana@example.com", exact=True)).to_be_visible()
    expect(table.get_by_text("Order count")).to_be_visible()
    expect(table.get_by_role("cell", name="7", exact=True)).to_be_visible()
    expect(table.get_by_role("cell", name="rule 2")).to_be_visible()
    expect(page.locator("#mapping-version")).to_have_text("version 3")
    screenshot("mapping-03-preview")

    # Save it as a mapping test: it runs at once and passes.
    preview.get_by_label("Test name").fill("Wholesale customer")
    preview.get_by_role("button", name="Save test").click()
    tests = page.locator("#tests")
    expect(tests.get_by_text("Wholesale customer")).to_be_visible()
    expect(tests.locator(".badge", has_text="pass")).to_be_visible()
    screenshot("mapping-04-test-passes")
    assert mapping.tests.get().passed is True
