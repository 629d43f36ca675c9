"""The Content-Security-Policy in a real Chromium: nothing on the pages is blocked, and the
buttons that used inline handlers or htmx eval (add/remove rows, cancel) still work."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Role
from mappings import services as mapping_services
from tests.factories import PASSWORD, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def violations(page):
    """Console errors of the CSP kind ("Refused to execute inline script ...")."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    return found


def test_the_mapping_editor_works_under_the_policy(page, violations):
    membership = MembershipFactory(role=Role.OWNER)
    mapping = mapping_services.mapping_create(
        workspace=membership.workspace,
        user=membership.user,
        name="Shop to CRM",
        source_provider="ecwid",
        target_provider="highlevel",
        start="blank",
    )
    response = page.goto("/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.get_by_label("Email").fill(membership.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()

    page.goto(reverse("mappings:mapping-detail", args=[membership.workspace_id, mapping.pk]))
    page.get_by_role("button", name="Add a rule").click()
    form = page.locator("form.rule-form")
    # Add two transforms: each row is numbered from the rows already there.
    for name in ["trim", "email"]:
        form.get_by_label("Add a transform").select_option(name)
        form.get_by_role("button", name="Add", exact=True).click()
    expect(form.locator(".transform")).to_have_count(2)
    expect(form.locator('input[name="t-1-name"]')).to_have_value("email")
    form.locator(".transform").first.get_by_role("button", name="remove").click()
    expect(form.locator(".transform")).to_have_count(1)
    # Conditions likewise.
    form.get_by_role("button", name="Add a condition").click()
    expect(form.locator("#c-rows .condition")).to_have_count(1)
    form.get_by_role("button", name="Add a condition").click()
    expect(form.locator("#c-rows .condition")).to_have_count(2)
    expect(form.locator('select[name="c-1-field"]')).to_have_count(1)
    form.locator("#c-rows .condition").last.get_by_role("button", name="remove").click()
    expect(form.locator("#c-rows .condition")).to_have_count(1)
    form.get_by_role("button", name="Cancel").click()
    expect(page.locator("form.rule-form")).to_have_count(0)

    for name in ["integrations:connection-list", "accounts:workspace-detail"]:
        page.goto(reverse(name, args=[membership.workspace_id]))
    assert violations == []
