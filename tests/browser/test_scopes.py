"""Scopes in a real Chromium: the wizard's OAuth step explains each scope it asks for, the
HighLevel sandbox's consent screen shows and grants them, and a connection granted contacts
scopes only is offered "Reconnect with this scope" on its page, which adds the custom-field
scope and comes back.
Screenshots go to test-artifacts/screenshots/scopes-*.png."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from integrations.models import Connection
from sandboxes.highlevel import HighLevelSandbox
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.factories import PASSWORD, MembershipFactory
from tests.integrations.scope_support import CONTACTS_ONLY, oauth_connection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CUSTOM = "locations/customFields.readonly"


@pytest.fixture(scope="module")
def sandbox():
    app = HighLevelSandbox(SandboxOptions(seed=23), rsa_key_bits=2048)
    httpd, server, base_url = start_in_thread([app])
    yield app, base_url
    stop(httpd, server)


@pytest.fixture
def signed_in(page, settings, sandbox):
    _app, base_url = sandbox
    settings.SANDBOX_ENABLED = True
    settings.SANDBOX_URL = base_url
    membership = MembershipFactory(role=Role.OWNER, workspace__name="Demo workspace")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(membership.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()
    return page, membership.workspace


def test_the_oauth_step_and_the_consent_screen_explain_each_scope(signed_in, screenshot):
    page, workspace = signed_in
    page.goto(f"/w/{workspace.pk}/connections/new/?provider=highlevel&method=oauth&sandbox=1")
    scope_list = page.get_by_role("list", name="What each scope is for:")
    expect(scope_list).to_contain_text(CUSTOM)
    expect(scope_list).to_contain_text("List the sub-account's custom fields")
    page.get_by_label("Name").fill("CRM")
    page.get_by_label("Read and write").check()
    screenshot("scopes-01-oauth-step")

    page.get_by_role("button", name="Continue to HighLevel").click()
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    expect(page.get_by_text("View the sub-account's custom fields")).to_be_visible()
    screenshot("scopes-02-consent")
    page.get_by_role("button", name="Allow").click()
    expect(page).to_have_url(re.compile(r"/setup/\?step=test$"))
    assert CUSTOM in Connection.objects.get(name="CRM").scopes


def test_reconnect_with_this_scope_from_the_notice(signed_in, screenshot, sandbox):
    page, workspace = signed_in
    app, _ = sandbox
    connection = oauth_connection(workspace, app.describe(), CONTACTS_ONLY, name="Old CRM")
    page.goto(f"/w/{workspace.pk}/connections/{connection.pk}/")
    notice = page.locator(".missing-scope")
    expect(notice).to_contain_text("Missing scope on “Old CRM”")
    expect(notice).to_contain_text("cannot list the sub-account's custom fields")
    screenshot("scopes-03-missing-scope-notice")

    page.get_by_role("button", name="Reconnect with this scope").click()
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    expect(page.get_by_role("listitem")).to_contain_text([*CONTACTS_ONLY, CUSTOM])
    screenshot("scopes-04-consent-with-the-new-scope")
    page.get_by_role("button", name="Allow").click()
    # Back where the button was, which now lists nothing missing.
    expect(page).to_have_url(re.compile(rf"/connections/{connection.pk}/$"))
    expect(page.get_by_role("heading", name="Old CRM")).to_be_visible()
    expect(page.locator(".missing-scope")).to_have_count(0)
    screenshot("scopes-05-back-after-reconnect")
    connection.refresh_from_db()
    assert CUSTOM in connection.scopes and Connection.objects.count() == 1
