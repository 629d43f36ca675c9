"""The shared look, in a real Chromium at a laptop's width (1366) and a phone's (390): every
main page and the sandbox's consent pages have the favicon, no sideways scroll, buttons in the
shared style (never the browser's default), badges in words (never a raw key such as
`needs_reconnect`), and each system's logo with alt text where systems are listed.
Screenshots: test-artifacts/screenshots/look-<page>-<width>.png."""

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Role
from integrations.models import Connection
from integrations.providers.keys import PROVIDER_KEYS
from sandboxes.highlevel import HighLevelSandbox
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from sandboxes.orderspace.app import OrderspaceSandbox
from tests.factories import (
    PASSWORD,
    ConnectionFactory,
    FlowFactory,
    MappingFactory,
    MembershipFactory,
    RunFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1366, 390)
RAW_KEY = re.compile(r"\b[a-z]+_[a-z_]+\b")
STATUSES = ["connected", "needs_reconnect", "failing", "new", "disabled", "connected"]


@pytest.fixture(scope="module")
def sandboxes():
    apps = [
        HighLevelSandbox(SandboxOptions(seed=2), rsa_key_bits=2048),
        OrderspaceSandbox(SandboxOptions(seed=2)),
    ]
    httpd, server, _ = start_in_thread(apps)
    yield {name: app.describe() for name, app in server.apps.items()}
    stop(httpd, server)


@pytest.fixture
def workspace_pages(page):
    """An owner's workspace with a connection to each system (in every status), flows that
    succeeded, failed and are paused, and a mapping; signed in."""
    membership = MembershipFactory(role=Role.OWNER, workspace__name="Look workspace")
    workspace = membership.workspace
    for key, status in zip(PROVIDER_KEYS, STATUSES, strict=True):
        ConnectionFactory(
            workspace=workspace,
            provider=key,
            status=status,
            name=f"{key.capitalize()} account with a rather long name",
            last_error="HTTP 401: the token was refused" if status != "connected" else "",
        )
    good = FlowFactory(workspace=workspace, name="Store customers into the CRM")
    RunFactory(flow=good, dry_run=False)
    bad = FlowFactory(workspace=workspace, name="Orders into HighLevel")
    RunFactory(flow=bad, dry_run=False, status="failed", failed=3, message="HTTP 422")
    FlowFactory(workspace=workspace, name="Held", enabled=False, mode="test")
    MappingFactory(workspace=workspace, name="Ecwid customers → HighLevel contacts")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(membership.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()
    ws = workspace.pk
    return {
        "connections": reverse("integrations:connection-list", args=[ws]),
        "wizard": reverse("integrations:connection-new", args=[ws]),
        "flows": reverse("sync:flow-list", args=[ws]),
        "mappings": reverse("mappings:mapping-list", args=[ws]),
        "diagnostics": reverse("diagnostics:dashboard", args=[ws]),
        "account": reverse("accounts:workspace-detail", args=[ws]),
    }


def check_look(page, name: str, width: int, screenshot) -> None:
    screenshot(f"look-{name}-{width}")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= page.evaluate("window.innerWidth"), (
        f"{name} at {width}px scrolls sideways ({scroll_width}px wide)"
    )
    assert page.locator('link[rel="icon"]').count() == 1, f"{name} has no favicon link"
    for text in page.locator(".badge").all_inner_texts():
        assert not RAW_KEY.search(text), f"{name}: a badge shows a raw key: {text!r}"
    # Chromium's own button: 13.33px text, grey "buttonface", arrow cursor.
    looks = page.eval_on_selector_all(
        "button",
        """buttons => buttons.map(b => {
            const s = getComputedStyle(b);
            return {text: b.textContent.trim(), cursor: s.cursor, size: s.fontSize,
                    background: s.backgroundColor, family: s.fontFamily,
                    body: getComputedStyle(document.body).fontFamily};
        })""",
    )
    for look in looks:
        where = f"{name}: button {look['text']!r}"
        assert look["cursor"] in ("pointer", "not-allowed"), f"{where} has the default cursor"
        assert look["background"] != "rgb(239, 239, 239)", f"{where} has the default grey"
        assert look["size"] != "13.3333px", f"{where} has the browser's small default text"
        assert look["family"] == look["body"], f"{where} is not in the page's font"


def check_logos(page, name: str, at_least: int) -> None:
    logos = page.locator("img.logo")
    assert logos.count() >= at_least, f"{name}: {logos.count()} logos"
    for logo in logos.all():
        assert (logo.get_attribute("alt") or "").strip(), f"{name}: a logo without alt text"
        assert logo.evaluate("img => img.complete && img.naturalWidth > 0"), f"{name}: not loaded"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_main_pages_share_one_look(page, workspace_pages, screenshot, width):
    page.set_viewport_size({"width": width, "height": 900})
    for name, url in workspace_pages.items():
        page.goto(url)
        check_look(page, name, width, screenshot)
        if name in ("connections", "wizard"):
            check_logos(page, name, at_least=len(PROVIDER_KEYS))
    page.goto(workspace_pages["connections"])
    expect(page.locator(".status-needs_reconnect")).to_have_text("Needs reconnecting")
    page.goto(workspace_pages["diagnostics"])
    expect(page.locator("#flows .status-failing")).to_have_text("Failing")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_sandbox_consent_pages_have_the_same_look(page, sandboxes, screenshot, width):
    page.set_viewport_size({"width": width, "height": 900})
    highlevel = sandboxes["highlevel"]
    query = {
        "client_id": highlevel["client_id"],
        "redirect_uri": "http://127.0.0.1:9/callback",
        "response_type": "code",
        "scope": "contacts.readonly contacts.write",
        "state": "s",
    }
    page.goto(f"{highlevel['base_url']}/oauth/chooselocation?{urlencode(query)}")
    expect(page.get_by_role("heading", name="Choose a location")).to_be_visible()
    check_look(page, "sandbox-highlevel-location", width, screenshot)
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
    check_look(page, "sandbox-highlevel-consent", width, screenshot)
    allow = page.get_by_role("button", name="Allow")
    assert allow.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(36, 84, 214)"

    orderspace = sandboxes["orderspace"]
    query = {**query, "client_id": orderspace["client_id"], "scope": "read write"}
    page.goto(f"{orderspace['authorize_url']}?{urlencode(query)}")
    expect(page.get_by_role("heading", name="Authorization required")).to_be_visible()
    check_look(page, "sandbox-orderspace-consent", width, screenshot)


def test_a_connection_needing_a_reconnect_reads_in_words(page, workspace_pages):
    page.goto(workspace_pages["connections"])
    assert Connection.objects.filter(status="needs_reconnect").exists()
    assert "needs_reconnect" not in page.locator("main").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_sign_in_page_has_the_look_and_a_primary_button(page, screenshot, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/accounts/login/")
    check_look(page, "sign-in", width, screenshot)
    sign_in = page.get_by_role("button", name="Sign In")
    assert sign_in.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(36, 84, 214)"
