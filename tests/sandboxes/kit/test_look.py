"""The sandbox's own pages (OAuth consent screens) look like the app: one stylesheet and a
favicon served by the sandbox server itself, the app's colours, and classed buttons."""

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from sandboxes.highlevel import HighLevelSandbox
from sandboxes.kit import look
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from sandboxes.orderspace.app import OrderspaceSandbox

APP_CSS = Path(__file__).resolve().parents[3] / "static" / "css" / "app.css"
TIMEOUT = 10


@pytest.fixture(scope="module")
def server():
    apps = [HighLevelSandbox(SandboxOptions(seed=1)), OrderspaceSandbox(SandboxOptions(seed=1))]
    httpd, app, base_url = start_in_thread(apps)
    yield base_url, {name: sandbox.describe() for name, sandbox in app.apps.items()}
    stop(httpd, app)


def _variables(css: str) -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", css, re.S).group(1)
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", root))


def test_the_stylesheet_and_favicon_are_served_at_the_server_root(server):
    base_url, _ = server
    css = requests.get(base_url + look.LOOK_PATH, timeout=TIMEOUT)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert "button.primary" in css.text
    icon = requests.get(base_url + look.FAVICON_PATH, timeout=TIMEOUT)
    assert icon.status_code == 200 and icon.headers["Content-Type"] == "image/svg+xml"
    assert requests.get(base_url + "/_kit/nothing", timeout=TIMEOUT).status_code == 404


def test_the_sandbox_colours_are_the_apps():
    ours, apps = _variables(look.CSS), _variables(APP_CSS.read_text())
    for name in (
        "--fg",
        "--bg",
        "--accent",
        "--accent-dark",
        "--line-strong",
        "--ring",
        "--danger",
    ):
        assert ours[name] == apps[name], f"{name} differs from static/css/app.css"


def _assert_shared_look(html: str) -> None:
    assert f'<link rel="stylesheet" href="{look.LOOK_PATH}">' in html
    assert f'<link rel="icon" href="{look.FAVICON_PATH}"' in html
    assert "<style" not in html  # no page-local look any more
    buttons = re.findall(r"<button[^>]*>", html)
    assert buttons and any('class="primary"' in button for button in buttons)


def test_the_highlevel_consent_pages_use_the_shared_look(server):
    _, described = server
    highlevel = described["highlevel"]
    query = {
        "client_id": highlevel["client_id"],
        "redirect_uri": "http://127.0.0.1:9/callback",
        "response_type": "code",
        "scope": "contacts.readonly",
    }
    url = f"{highlevel['base_url']}/oauth/chooselocation"
    choose = requests.get(f"{url}?{urlencode(query)}", timeout=TIMEOUT)
    _assert_shared_look(choose.text)
    assert "HighLevel sandbox" in choose.text
    location = re.search(r'name="location_id" value="([^"]+)"', choose.text).group(1)
    consent = requests.post(url, data={**query, "location_id": location}, timeout=TIMEOUT)
    _assert_shared_look(consent.text)


def test_the_orderspace_consent_page_uses_the_shared_look(server):
    _, described = server
    orderspace = described["orderspace"]
    query = {
        "client_id": orderspace["client_id"],
        "redirect_uri": "http://127.0.0.1:9/callback",
        "response_type": "code",
        "scope": "read",
    }
    page = requests.get(f"{orderspace['authorize_url']}?{urlencode(query)}", timeout=TIMEOUT)
    _assert_shared_look(page.text)
    assert "Orderspace sandbox" in page.text


def test_page_escapes_its_title_and_system():
    html = look.page("<Shop>", "A & B", "<p>ok</p>").body.decode()
    assert "&lt;Shop&gt; sandbox" in html and "<h1>A &amp; B</h1>" in html and "<p>ok</p>" in html
