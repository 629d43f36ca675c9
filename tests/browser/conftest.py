import contextlib
import os
from pathlib import Path

import pytest

from tests.support import skip_unless

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@contextlib.contextmanager
def async_unsafe_allowed():
    """Let Django's ORM run under Playwright's event loop, then put the variable back as it
    was (unset, or a developer's own value): no later test may inherit the exemption."""
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@contextlib.contextmanager
def chromium():
    """Playwright and a headless Chromium. Playwright's sync API keeps an event loop running
    in this thread for as long as it is open, and Django refuses ORM calls under a running
    loop; tests and the live server still run synchronously, so the exemption is granted for
    exactly that long."""
    from playwright.sync_api import sync_playwright

    with async_unsafe_allowed(), sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


# Per module, not per session: while Playwright is open its loop is "running" in this thread,
# so a session-wide browser would break (or need the exemption for) every test run after it.
# Test modules stay together in any order pytest-randomly picks.
@pytest.fixture(scope="module")
def browser():
    skip_unless(
        Path(CHROMIUM).exists(), "Debian's chromium is not installed (apt-get install chromium)"
    )
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
