import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from config.celery import app as celery_app
from sandboxes.catalogue import SANDBOXES
from sandboxes.highlevel import HighLevelSandbox
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.support import skip_unless, worker_database_url

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

ROOT = Path(__file__).resolve().parents[2]
# Ecwid customers in the journeys' sandboxes: few, as every write costs API budget (Cin7: 60 a
# minute). Random seed 9 gives five of five different companies: the HighLevel → Cin7 preset
# names the Cin7 customer after the company, and Cin7 refuses a second customer of the same
# name, so a second person of one company would fail as a duplicate (a limitation of that
# preset, not of the journeys).
SANDBOX_CUSTOMERS, SANDBOX_RANDOM_SEED = 5, 9


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


# --- the sandboxes, the worker ----------------------------------------------------------------
@pytest.fixture
def sandboxes(live_server, settings):
    """All six, seeded with a few Ecwid customers only (HighLevel and Cin7 start empty, so
    each run's outcomes are known), webhooks pointed at the live server."""

    def options(seed=0):
        return SandboxOptions(
            seed=seed, random_seed=SANDBOX_RANDOM_SEED, webhook_base=live_server.url
        )

    apps = [HighLevelSandbox(options(), rsa_key_bits=2048)]
    apps += [
        sandbox.app_class(options(SANDBOX_CUSTOMERS if key == "ecwid" else 0))
        for key, sandbox in SANDBOXES.items()
        if key != "highlevel"
    ]
    httpd, server, base_url = start_in_thread(apps)
    settings.SANDBOX_ENABLED = True
    settings.SANDBOX_URL = base_url  # what "Use sandbox" reads
    yield base_url
    stop(httpd, server)


@pytest.fixture
def worker(transactional_db, live_server):
    """A real worker on the test database, for the queues the Procfile's workers take. With
    the embedded filesystem broker, the live server and the worker share a folder of their
    own (VAR_DIR for the worker, the same folders here): a developer's `make run` worker
    never sees these messages, nor this worker theirs."""
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
    }
    # Test runs keep their broker queue under var/test (pyproject's pytest env), apart from
    # a developer's `make run`; messages earlier tests left there are dropped first, so this
    # worker acts only on what this test sends. Celery's connection pools are left alone.
    if django_settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out"):
            folder = Path(django_settings.CELERY_BROKER_TRANSPORT_OPTIONS[key])
            folder.mkdir(parents=True, exist_ok=True)
            for message in folder.glob("*.msg"):
                message.unlink(missing_ok=True)
    else:
        celery_app.control.purge()
    scratch = tempfile.TemporaryDirectory(prefix="journey-worker-")
    log = open(Path(scratch.name) / "worker.log", "w+")  # noqa: SIM115 - read at the end
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=threads",
            "--concurrency=4",
            "--queues=realtime,bulk,celery",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.seek(0)
        output = log.read()
        log.close()
        scratch.cleanup()
        print("worker output (end):\n" + output[-6000:])  # pytest shows it on a failure
