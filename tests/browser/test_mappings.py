"""Build, preview and test a mapping in a real Chromium: a HighLevel custom field and a
condition; then a new user's first mapping from fetched samples, with the preview beside
the rules, following every change."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from integrations.models import Connection
from mappings.models import Mapping
from sandboxes.ecwid import EcwidSandbox
from sandboxes.ecwid import connection_values as ecwid_values
from sandboxes.highlevel import HighLevelSandbox, connection_values
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD, ConnectionFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandboxes():
    highlevel = HighLevelSandbox(SandboxOptions(seed=3), rsa_key_bits=2048)
    ecwid = EcwidSandbox(SandboxOptions(seed=8))
    httpd, server, _ = start_in_thread([highlevel, ecwid])
    yield highlevel, ecwid
    stop(httpd, server)


def _sign_in(page, membership):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(membership.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def _connection(workspace, provider, name, values):
    credentials, settings = values
    return ConnectionFactory(
        workspace=workspace,
        provider=provider,
        name=name,
        settings=settings,
        credentials=credentials,
        status=Connection.Status.CONNECTED,
    )


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"the page scrolls sideways ({width}px > {viewport}px)"


def test_build_a_mapping_with_a_custom_field_and_a_condition_preview_and_test_it(
    page, screenshot, sandboxes
):
    highlevel, _ = sandboxes
    membership = MembershipFactory(role=Role.OWNER)
    _connection(
        membership.workspace, "highlevel", "CRM sandbox", connection_values(highlevel.describe())
    )
    _sign_in(page, membership)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Mappings").click()
    page.get_by_role("link", name="Create your first mapping").click()
    expect(page.get_by_text("No store connection yet")).to_be_visible()
    page.get_by_label("Name").fill("Wholesale customers")
    page.get_by_label("From (source)").select_option("ecwid")
    expect(page.get_by_label("To (target)")).to_have_value("highlevel")
    page.get_by_label("An empty mapping").check()
    expect(page.get_by_label("Target connection")).to_have_value(
        str(Connection.objects.get(name="CRM sandbox").pk)
    )
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

    # A pasted record: the preview runs when the field is left, and after every save.
    page.locator("#preview-record").fill(
        '{"email": " Ana@Example.COM ", "customerGroupName": "Wholesale",'
        ' "stats": {"numberOfOrders": 7}}'
    )
    page.locator("#preview-record").blur()
    preview = page.locator("#preview")
    table = preview.locator("table.preview")
    expect(table.get_by_text("ana@example.com", exact=True)).to_be_visible()

    # Rule 2: a HighLevel custom field, only for wholesale customers.
    page.get_by_role("button", name="Add a rule").click()
    page.get_by_label("HighLevel field to write").select_option(label="Order count (number)")
    page.get_by_label(re.compile("Ecwid by Lightspeed field")).select_option("stats.numberOfOrders")
    # Before it is saved, the preview already shows what the new rule would write.
    expect(preview.get_by_text("Including the new rule 2")).to_be_visible()
    expect(table.get_by_role("cell", name="7", exact=True)).to_be_visible()
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

    # The saved rule: the custom field gets the number, the rule is named.
    expect(preview.get_by_text("Including the new rule")).to_have_count(0)
    expect(table.get_by_text("Order count")).to_be_visible()
    expect(table.get_by_role("cell", name="7", exact=True)).to_be_visible()
    expect(table.locator("tr", has_text="Order count")).to_contain_text("rule 2")
    expect(page.locator("#mapping-version")).to_have_text("version 3")
    screenshot("mapping-03-preview")

    # Save it as a mapping test: it runs at once and passes.
    preview.get_by_text("Save this as a mapping test").click()
    preview.get_by_label("Test name").fill("Wholesale customer")
    preview.get_by_role("button", name="Save test").click()
    tests = page.locator("#tests")
    expect(tests.get_by_text("Wholesale customer")).to_be_visible()
    expect(tests.locator(".badge", has_text="passed")).to_be_visible()
    expect(tests).to_contain_text("run just now")
    screenshot("mapping-04-test-passes")
    assert mapping.tests.get().passed is True


def test_first_mapping_from_the_store_previews_fetched_samples_beside_the_rules(
    page, screenshot, sandboxes
):
    highlevel, ecwid = sandboxes
    membership = MembershipFactory(role=Role.OWNER)
    workspace = membership.workspace
    _connection(workspace, "highlevel", "CRM", connection_values(highlevel.describe()))
    _connection(workspace, "ecwid", "Shop", ecwid_values(ecwid.describe()))
    _sign_in(page, membership)

    # New mapping starts from the workspace's pair and its preset: a name is all it needs.
    page.goto(f"/w/{workspace.pk}/mappings/new/")
    expect(page.get_by_text("Starting from your connections")).to_be_visible()
    expect(page.get_by_label("From (source)")).to_have_value("ecwid")
    expect(page.get_by_label("To (target)")).to_have_value("highlevel")
    expect(page.get_by_label("The recommended preset for these two systems")).to_be_checked()
    page.get_by_label("Name").fill("Shop customers")
    page.get_by_role("button", name="Create mapping").click()
    expect(page.get_by_role("heading", name="Shop customers")).to_be_visible()
    expect(page.get_by_text("Ready")).to_be_visible()

    # Fetch samples: the first is selected and previewed at once.
    page.get_by_role("button", name="Fetch samples from Shop").click()
    expect(page.get_by_label("Sample record").locator("option")).to_have_count(1 + 5)
    mapping = Mapping.objects.get(name="Shop customers")
    first = mapping.samples.order_by("pk").first()
    expect(page.get_by_label("Sample record")).to_have_value(str(first.pk))
    preview = page.locator("#preview")
    expect(preview.locator("table.preview")).to_contain_text(first.record["email"])
    # Every sandbox phone is a number the phone transform takes (E.164, no problem).
    expect(preview.locator("table.preview")).to_contain_text(re.compile(r"\+1\d{10}"))
    expect(preview.locator(".preview-problems")).to_have_count(0)
    expect(preview).not_to_contain_text("['")

    # Two panes on a wide screen: the preview beside the rules, staying in view.
    page.evaluate("window.scrollTo(0, 0)")
    rules_box = page.locator(".editor-rules").bounding_box()
    preview_box = page.locator(".editor-preview").bounding_box()
    assert preview_box["x"] > rules_box["x"] + rules_box["width"] - 1
    assert abs(preview_box["y"] - rules_box["y"]) < 5
    no_sideways_scroll(page)
    screenshot("mapping-05-two-panes")
    page.locator("#tests").scroll_into_view_if_needed()
    box = page.locator(".editor-preview").bounding_box()
    assert 0 <= box["y"] < 100, "the preview stays in view (sticky) while the rules scroll"
    page.screenshot(path=str(SCREENSHOTS / "mapping-06-scrolled.png"))  # the viewport only

    # Another sample: the preview follows the choice.
    second = mapping.samples.order_by("pk")[1]
    page.get_by_label("Sample record").select_option(str(second.pk))
    expect(preview.locator("table.preview")).to_contain_text(second.record["email"])

    # Editing a rule: the preview shows the unsaved change, then the saved one.
    email_row = page.locator("table.rules tbody tr", has_text="E-mail").first
    email_row.get_by_role("button", name=re.compile("Edit")).click()
    page.get_by_label("Value comes from").select_option("constant")
    page.get_by_label("Fixed value").fill("someone@example.org")
    page.get_by_label("Fixed value").blur()
    expect(preview.get_by_text(re.compile("Including your unsaved changes"))).to_be_visible()
    expect(preview.locator("table.preview")).to_contain_text("someone@example.org")
    page.get_by_role("button", name="Save rule").click()
    expect(preview.get_by_text(re.compile("Including your unsaved"))).to_have_count(0)
    expect(preview.locator("table.preview")).to_contain_text("someone@example.org")

    # A rule begun and cancelled: the preview drops it again (static/js/editor.js).
    page.get_by_role("button", name="Add a rule").click()
    page.get_by_label("HighLevel field to write").select_option("source")
    page.get_by_label("Value comes from").select_option("constant")
    page.get_by_label("Fixed value").fill("Web shop")
    page.get_by_label("Fixed value").blur()
    expect(preview.get_by_text(re.compile("Including the new rule"))).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(preview.get_by_text(re.compile("Including the new rule"))).to_have_count(0)
    expect(preview.locator("table.preview")).not_to_contain_text("Web shop")

    # A phone: one column, the preview after the rules, nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    rules_box = page.locator(".editor-rules").bounding_box()
    preview_box = page.locator(".editor-preview").bounding_box()
    assert preview_box["y"] >= rules_box["y"] + rules_box["height"] - 1
    assert preview_box["width"] <= 390
    no_sideways_scroll(page)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "mapping-07-phone-rules.png"))
    page.get_by_role("link", name="Go to the preview").click()
    expect(page.get_by_label("Sample record")).to_be_in_viewport()
    expect(preview.locator("table.preview")).to_contain_text("someone@example.org")
    page.screenshot(path=str(SCREENSHOTS / "mapping-08-phone-preview.png"))
