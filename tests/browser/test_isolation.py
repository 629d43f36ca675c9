"""The browser fixture's exemption from Django's async-safety check ends with the browser.

Not a browser test itself (no `browser` marker): it runs like any other test, so the root
conftest's guard checks that no browser module before it left the exemption on."""

import asyncio
import os
from pathlib import Path

import pytest

from accounts.models import Workspace
from tests.browser.conftest import ASYNC_UNSAFE, CHROMIUM, async_unsafe_allowed, chromium


@pytest.mark.parametrize("preset", [None, "a developer's own value"])
def test_the_exemption_is_put_back_as_it_was(monkeypatch, preset):
    if preset is None:
        monkeypatch.delenv(ASYNC_UNSAFE, raising=False)
    else:
        monkeypatch.setenv(ASYNC_UNSAFE, preset)
    with async_unsafe_allowed():
        assert os.environ[ASYNC_UNSAFE] == "true"
    assert os.environ.get(ASYNC_UNSAFE) == preset
    with pytest.raises(ZeroDivisionError), async_unsafe_allowed():
        1 / 0  # noqa: B018 - a failing test inside must not leave it on either
    assert os.environ.get(ASYNC_UNSAFE) == preset


@pytest.mark.django_db
def test_after_the_browser_closes_the_orm_works_without_the_exemption(monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    monkeypatch.delenv(ASYNC_UNSAFE, raising=False)
    with chromium() as browser:
        assert browser.is_connected()
        asyncio.get_running_loop()  # Playwright's loop: the reason for the exemption
        assert Workspace.objects.count() == 0  # allowed inside
    assert ASYNC_UNSAFE not in os.environ
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()  # the loop is gone with the browser
    assert Workspace.objects.count() == 0  # and the ORM needs no exemption
