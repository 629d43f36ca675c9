"""The issue's "done when", in a real Chromium: a new user connects the HighLevel sandbox by
OAuth and the Ecwid sandbox by token, tests both, and sends GET and POST /contacts/ from the
explorer. Screenshots of every step go to test-artifacts/screenshots/."""

import pytest
import requests
from playwright.sync_api import expect

from accounts.models import Role
from integrations.models import Connection
from sandboxes.highlevel import HighLevelSandbox
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.factories import PASSWORD, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def sandboxes():
    apps = [HighLevelSandbox(SandboxOptions(seed=20), rsa_key_bits=2048)]
    try:
        from sandboxes.ecwid import EcwidSandbox
    except ImportError:
        pass
    else:
        apps.append(EcwidSandbox(SandboxOptions(seed=20)))
    httpd, server, base_url = start_in_thread(apps)
    yield base_url
    stop(httpd, server)


@pytest.fixture
def signed_in(page, settings, sandboxes):
    settings.SANDBOX_ENABLED = True
    settings.SANDBOX_URL = sandboxes
    membership = MembershipFactory(role=Role.OWNER, workspace__name="Demo workspace")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(membership.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()
    return page


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"the page scrolls sideways ({width}px > {viewport}px)"


def test_highlevel_by_oauth_then_test_then_explorer(signed_in, screenshot):
    page = signed_in
    page.get_by_role("link", name="Add your first connection").click()
    expect(page.get_by_role("heading", name="Add a connection")).to_be_visible()
    screenshot("wizard-01-choose-system")

    page.get_by_role("link", name="HighLevel").click()
    expect(page.get_by_role("heading", name="Connect HighLevel")).to_be_visible()
    page.get_by_role("link", name="Use sandbox").click()
    expect(page.get_by_text("Filled in from the running sandbox")).to_be_visible()
    page.get_by_label("Name").fill("CRM sandbox")
    page.get_by_label("Read and write").check()
    no_sideways_scroll(page)
    screenshot("wizard-02-oauth-app")

    page.get_by_role("button", name="Continue to HighLevel").click()
    expect(page.get_by_role("heading", name="Choose a location")).to_be_visible()
    screenshot("wizard-03-sandbox-choose-location")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    screenshot("wizard-04-sandbox-consent")
    page.get_by_role("button", name="Allow").click()

    expect(page.get_by_role("heading", name="Test “CRM sandbox”")).to_be_visible()
    # Signed in, not saved: that comes at the end.
    signed_in_message = "Signed in to HighLevel. Test the connection, then save it."
    expect(page.get_by_text(signed_in_message)).to_be_visible()
    badge = page.locator("#connection-status")
    # The test starts as the step opens: no click, and the header follows it.
    expect(page.get_by_text("Connection works")).to_be_visible()
    expect(page.locator("#test-panel")).to_contain_text("contacts.write")
    expect(badge).to_have_text("Connected")  # the header follows the test
    no_sideways_scroll(page)
    screenshot("wizard-05-test-ok")

    page.get_by_role("button", name="Save connection").click()
    expect(page.get_by_text("Connection “CRM sandbox” saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Token health")).to_be_visible()
    expect(page.get_by_text("No flows use this connection yet.")).to_be_visible()
    screenshot("wizard-06-connection-detail")
    connection = Connection.objects.get(name="CRM sandbox")
    assert connection.status == Connection.Status.CONNECTED and not connection.is_draft
    assert connection.scopes == [
        "contacts.readonly",
        "contacts.write",
        "locations/customFields.readonly",
    ]

    page.get_by_role("link", name="Test requests").click()
    nav = page.get_by_role("navigation", name="Operations")
    nav.get_by_role("link", name="List contacts").click()
    expect(page.get_by_role("heading", name="List contacts")).to_be_visible()
    page.get_by_role("button", name="Send").click()
    result = page.get_by_role("region", name="Result")
    expect(result).to_contain_text("200 OK")
    expect(result).to_contain_text("Authorization: [redacted]")
    no_sideways_scroll(page)
    screenshot("wizard-07-explorer-get-contacts")

    nav.get_by_role("link", name="Create contact").click()
    expect(page.get_by_role("heading", name="Create contact")).to_be_visible()
    body = page.get_by_label("JSON body")
    body.fill(body.input_value().replace("ada.lovelace@example.com", "browser.ada@example.org"))
    page.get_by_role("button", name="Send").click()
    expect(result).to_contain_text("201 Created")
    expect(result).to_contain_text("browser.ada@example.org")
    screenshot("wizard-08-explorer-post-contact")


def test_ecwid_by_token_with_use_sandbox_then_test(signed_in, screenshot):
    page = signed_in
    page.get_by_role("link", name="Add your first connection").click()
    page.get_by_role("link", name="Ecwid").click()
    page.get_by_role("link", name="Use sandbox").click()
    expect(page.get_by_text("Filled in from the running sandbox")).to_be_visible()
    screenshot("wizard-11-ecwid-credentials")
    page.get_by_role("button", name="Continue", exact=True).click()
    access = page.get_by_role("heading", name="What may “Ecwid by Lightspeed sandbox” do?")
    expect(access).to_be_visible()
    expect(page.get_by_text("saved", exact=False)).to_have_count(0)  # a draft, said as such
    screenshot("wizard-12-ecwid-access")
    # Back to the credentials and on again: the draft is resumed, no "name taken".
    page.get_by_role("link", name="Back", exact=True).click()
    expect(page.get_by_label("Name")).to_have_value("Ecwid by Lightspeed sandbox")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(access).to_be_visible()
    # The browser's own Back, then Forward, and a refresh: each shows its step.
    page.go_back()
    expect(page.get_by_label("Name")).to_be_visible()
    page.go_forward()
    expect(access).to_be_visible()
    page.reload()
    expect(access).to_be_visible()
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Continue to test").click()
    expect(page.get_by_role("heading", name="Test “Ecwid by Lightspeed sandbox”")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Test “Ecwid by Lightspeed sandbox”")).to_be_visible()
    assert Connection.objects.get(provider="ecwid").is_draft
    # The test started as the step opened: the reload either shows its outcome ("Last
    # tested") or, had it come first, starts it again. Either way the header says so.
    expect(page.locator("#connection-status")).to_have_text("Connected")
    screenshot("wizard-13-ecwid-test-ok")
    page.get_by_role("button", name="Save connection").click()
    expect(page.get_by_text("saved.")).to_be_visible()
    connection = Connection.objects.get(provider="ecwid")
    assert connection.status == Connection.Status.CONNECTED and not connection.is_draft
    assert Connection.objects.count() == 1
    # The sandbox's own test values, shown again on request.
    page.get_by_role("link", name="Show sandbox credentials").click()
    expect(page.locator("#sandbox-credentials")).to_contain_text("secret_")
    screenshot("wizard-15-ecwid-sandbox-credentials")
    page.get_by_role("link", name="Test requests").click()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("region", name="Result")).to_contain_text("200 OK")
    screenshot("wizard-14-ecwid-explorer")


def test_oauth_denied_is_shown_plainly(signed_in, screenshot):
    page = signed_in
    page.goto(page.url.replace("/connections/", "/connections/new/?provider=highlevel&sandbox=1"))
    page.get_by_role("button", name="Continue to HighLevel").click()
    expect(page.get_by_role("heading", name="Choose a location")).to_be_visible()
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    page.get_by_role("button", name="Deny").click()
    expect(page.get_by_role("heading", name="The connection was not made")).to_be_visible()
    expect(page.get_by_text("access_denied").first).to_be_visible()
    screenshot("wizard-09-oauth-denied")
    assert not Connection.objects.exists()


def test_wizard_fits_a_phone(signed_in, screenshot):
    page = signed_in
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Add your first connection").click()
    no_sideways_scroll(page)
    page.get_by_role("link", name="HighLevel").click()
    expect(page.get_by_role("heading", name="Connect HighLevel")).to_be_visible()
    no_sideways_scroll(page)
    screenshot("wizard-10-phone")


def test_a_failed_test_leads_to_fix_and_test_again(signed_in, sandboxes, screenshot):
    page = signed_in
    described = requests.get(f"{sandboxes}/ecwid/_describe", timeout=10).json()
    page.get_by_role("link", name="Add your first connection").click()
    page.get_by_role("link", name="Ecwid").click()
    page.get_by_role("link", name="Use sandbox").click()
    expect(page.get_by_text("Filled in from the running sandbox")).to_be_visible()
    page.get_by_label("Secret token").fill("public_abc")
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_text("a public token cannot read customers")).to_be_visible()
    screenshot("wizard-16-ecwid-public-token-refused")
    page.get_by_label("Secret token").fill("secret_notTheRightOne")
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("button", name="Continue to test").click()
    expect(page.get_by_text("Bad credentials")).to_be_visible()
    fix = page.get_by_role("link", name="Fix and test again")
    expect(fix).to_have_class("button primary")
    expect(page.get_by_role("button", name="Save anyway")).to_have_class("link")
    expect(page.locator("#connection-status")).to_have_text("Needs reconnecting")
    no_sideways_scroll(page)
    screenshot("wizard-17-ecwid-test-failed")
    fix.click()
    expect(page.get_by_label("Name")).to_have_value("Ecwid by Lightspeed sandbox")
    page.get_by_label("Secret token").fill(described["secret_token"])
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Test “Ecwid by Lightspeed sandbox”")).to_be_visible()
    expect(page.get_by_text("Connection works")).to_be_visible()
    expect(page.locator("#connection-status")).to_have_text("Connected")
    page.get_by_role("button", name="Save connection").click()
    expect(page.get_by_text("saved.")).to_be_visible()
    assert Connection.objects.get().status == Connection.Status.CONNECTED


def test_an_abandoned_setup_is_a_draft_to_finish_later(signed_in, screenshot):
    page = signed_in
    page.get_by_role("link", name="Add your first connection").click()
    page.get_by_role("link", name="Ecwid").click()
    page.get_by_role("link", name="Use sandbox").click()
    expect(page.get_by_text("Filled in from the running sandbox")).to_be_visible()
    page.get_by_role("button", name="Continue", exact=True).click()
    access = page.get_by_role("heading", name="What may “Ecwid by Lightspeed sandbox” do?")
    expect(access).to_be_visible()
    # Walk away: the connection list has nothing half-made in it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    expect(page.get_by_text("No connections yet")).to_be_visible()
    page.get_by_role("link", name="Add your first connection").click()
    expect(page.get_by_role("heading", name="Unfinished setups")).to_be_visible()
    screenshot("wizard-18-unfinished-setups")
    page.get_by_role("link", name="Draft — finish setup").click()
    expect(access).to_be_visible()


def test_cin7_webhook_authentication_shows_the_fields_of_the_chosen_way(signed_in, screenshot):
    page = signed_in
    page.goto(page.url.replace("/connections/", "/connections/new/?provider=cin7"))
    user_name = page.get_by_label("Webhook user name")
    header = page.get_by_label("Webhook header name")
    expect(page.get_by_label("Bearer token", exact=False)).to_be_checked()
    expect(user_name).to_be_hidden()
    expect(header).to_be_hidden()
    page.get_by_label("Basic", exact=False).check()
    expect(user_name).to_be_visible()
    expect(header).to_be_hidden()
    page.get_by_label("Custom header", exact=False).check()
    expect(header).to_be_visible()
    expect(user_name).to_be_hidden()
    no_sideways_scroll(page)
    screenshot("wizard-19-cin7-webhook-auth")
