"""The "Flows and the sync engine" issue's "done when", in a real Chromium against the live
server, the six sandboxes (in this process, their webhooks sent to the live server) and a
real Celery worker process (the realtime, bulk and default queues, on this test's database
and broker):

1. Ecwid and HighLevel are connected through the wizard ("Use sandbox").
2. Flows → New flow → Ecwid → HighLevel from the preset, saved in test mode; a dry run shows
   what it would create, writing nothing; going live; Run now creates the contacts.
3. A customer changed in the Ecwid admin (the sandbox's /_control) fires a webhook at the
   live server; the worker applies it and HighLevel has the change within seconds.
4. HighLevel → Cin7 Core with the "enrich" action: live, run, and the Cin7 customer's
   Comments hold the HighLevel profile.

Screenshots of every step: test-artifacts/screenshots/sync-journey-*.png.
"""

import re
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from accounts.models import Role
from integrations.models import Connection
from integrations.providers.base import ObjectType
from integrations.providers.registry import adapter_for
from mappings.checks import mapping_ready_for_live
from sync.models import Flow, Run
from tests.browser.conftest import SANDBOX_CUSTOMERS
from tests.factories import PASSWORD, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = SANDBOX_CUSTOMERS  # Ecwid's seeded customers (tests/browser/conftest.py)
WAIT = 20_000  # ms: a run goes through the broker and the worker
CRM = "CRM sandbox (HighLevel)"


# The sandboxes and the worker: fixtures in tests/browser/conftest.py.


@pytest.fixture
def shot(screenshot):
    return lambda name: screenshot(f"sync-journey-{name}")


# --- steps ------------------------------------------------------------------------------------
def sign_in(page):
    membership = MembershipFactory(role=Role.OWNER, workspace__name="Journey workspace")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(membership.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()


def connect_by_token(page, system: str) -> Connection:
    """A platform through the wizard, with the sandbox's credentials."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    page.get_by_role("link", name=re.compile("Add (your first )?connection")).first.click()
    page.get_by_role("link", name=system).click()
    page.get_by_role("link", name="Use sandbox").click()
    expect(page.get_by_text("Filled in from the running sandbox")).to_be_visible()
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Continue to test").click()
    expect(page.get_by_text("Connection works")).to_be_visible()
    page.get_by_role("button", name="Save connection").click()
    expect(page.get_by_text("saved.")).to_be_visible()
    return Connection.objects.order_by("-pk").first()


def connect_highlevel(page) -> Connection:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Connections").click()
    page.get_by_role("link", name=re.compile("Add (your first )?connection")).first.click()
    page.get_by_role("link", name="HighLevel").click()
    page.get_by_role("link", name="Use sandbox").click()
    expect(page.get_by_text("Filled in from the running sandbox")).to_be_visible()
    page.get_by_label("Name").fill("CRM sandbox")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Continue to HighLevel").click()
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_text("Connection works")).to_be_visible()
    page.get_by_role("button", name="Save connection").click()
    expect(page.get_by_text("Connection “CRM sandbox” saved.")).to_be_visible()
    return Connection.objects.get(name="CRM sandbox")


def new_flow(page, name: str, source: str, target: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Flows").click()
    page.get_by_role("link", name=re.compile("New flow|Create your first flow")).click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("From (source)").select_option(label=source)
    page.get_by_label("To (target)").select_option(label=target)
    # htmx redraws the fields for the pair: the preset is offered, and chosen.
    expect(page.locator("#id_mapping")).to_have_value("preset")


def wait_for_run(page, status: str = "Succeeded"):
    progress = page.locator("#run-progress")
    expect(progress.locator(".badge", has_text=status)).to_be_visible(timeout=WAIT)
    return progress


def contacts_in(connection: Connection) -> list[dict]:
    """Every contact of the HighLevel sandbox, read through the app's adapter."""
    adapter = adapter_for(connection, ObjectType.CONTACT)
    return [record for record, _ in adapter.list_changed(adapter.new_cursor())]


def run_of(page) -> Run:
    run_id = int(re.search(r"/runs/(\d+)/", page.url).group(1))
    return Run.objects.get(pk=run_id)


def test_ecwid_to_highlevel_then_a_webhook_then_highlevel_to_cin7(page, shot, sandboxes, worker):
    started = time.monotonic()
    timings = {}

    def lap(name):
        timings[name] = round(time.monotonic() - started, 1)

    sign_in(page)
    ecwid = connect_by_token(page, "Ecwid")
    shot("01-ecwid-connected")
    highlevel = connect_highlevel(page)
    shot("02-highlevel-connected")
    lap("connected")

    # --- Ecwid → HighLevel from the preset, in test mode: a dry run ---------------------------
    new_flow(page, "Customers into HighLevel", f"{ecwid.name} (Ecwid by Lightspeed)", CRM)
    shot("03-new-flow-ecwid-to-highlevel")
    page.get_by_role("button", name="Create flow").click()
    expect(page.get_by_text("in test mode: dry runs write nothing")).to_be_visible()
    expect(page.locator("h1 .badge", has_text="Test mode")).to_be_visible()
    flow = Flow.objects.get(name="Customers into HighLevel")
    shot("04-flow-test-mode")

    page.get_by_role("button", name="Dry run").click()
    progress = wait_for_run(page)
    expect(progress.locator("progress")).to_have_attribute("value", str(CUSTOMERS))
    expect(progress.locator(".count-created")).to_have_text(f"{CUSTOMERS}would be created")
    rows = page.locator("#run-items table.run-items tbody tr")
    expect(rows.locator(".badge", has_text="Would create")).to_have_count(CUSTOMERS)
    expect(rows.locator("td:nth-child(3)", has_text="new")).to_have_count(CUSTOMERS)
    shot("05-dry-run")
    dry = run_of(page)
    assert dry.dry_run and dry.created == CUSTOMERS, (dry.status, dry.message)
    assert contacts_in(highlevel) == []  # a dry run writes nothing
    lap("dry run")

    # --- going live (the preset is healthy: its checks, fields and tests pass), Run now ---------
    page.get_by_role("link", name="← Customers into HighLevel").click()
    assert mapping_ready_for_live(mapping=flow.mapping) == []
    page.get_by_role("button", name="Go live").click()
    expect(page.get_by_text("The flow is live")).to_be_visible()
    expect(page.get_by_text("cannot go live")).to_have_count(0)
    shot("06-live")

    page.get_by_role("button", name="Run now").click()
    shot("07-run-now-queued")  # the worker takes it within a second or two
    progress = wait_for_run(page)
    expect(progress.locator("progress")).to_have_attribute("value", str(CUSTOMERS))
    expect(progress.locator(".count-created")).to_have_text(f"{CUSTOMERS}created")
    expect(rows.locator(".badge", has_text="Created")).to_have_count(CUSTOMERS)
    shot("08-run-now-done")
    live = run_of(page)
    assert not live.dry_run and live.created == CUSTOMERS, (live.status, live.message)
    # Each row names a HighLevel contact that now exists, with the e-mail it was given.
    emails = {contact["id"]: contact["email"] for contact in contacts_in(highlevel)}
    assert set(live.items.values_list("target_id", flat=True)) == emails.keys()
    for target_id, email in emails.items():
        expect(rows.filter(has_text=target_id)).to_contain_text(email)
    lap("live run")

    # --- a change in the Ecwid admin: webhook → live server → worker → HighLevel --------------
    item = live.items.order_by("pk").first()
    changed_at = time.monotonic()
    answer = requests.put(
        f"{sandboxes}/ecwid/_control/customers/{item.source_id}",
        json={"billingPerson": {"firstName": "Webhooked"}},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    contacts = adapter_for(highlevel, ObjectType.CONTACT)
    while contacts.get(item.target_id).get("firstName") != "Webhooked":
        assert time.monotonic() - changed_at < 20, "HighLevel did not get the change in 20 s"
        time.sleep(0.3)
    timings["webhook took"] = round(time.monotonic() - changed_at, 1)
    page.get_by_role("link", name="← Customers into HighLevel").click()
    latest = page.locator("table.runs tbody tr").first
    expect(latest).to_contain_text("Webhook")
    latest.get_by_role("link").click()
    expect(page.get_by_text("Started by: webhook")).to_be_visible()
    change = page.locator("#run-items table.run-items tbody tr")
    expect(change).to_have_count(1)
    expect(change).to_contain_text("Updated")
    expect(change.locator(".diff")).to_contain_text("firstName")
    expect(change.locator(".after")).to_have_text("Webhooked")
    shot("09-webhook-run")
    lap("webhook applied")

    # --- HighLevel → Cin7 Core with the "enrich" action -----------------------------------------
    cin7 = connect_by_token(page, "Cin7 Core")
    shot("10-cin7-connected")
    new_flow(page, "Profiles into Cin7", CRM, f"{cin7.name} (Cin7 Core)")
    page.get_by_label(re.compile("Actions after each record")).fill('[{"type": "enrich"}]')
    shot("11-new-flow-highlevel-to-cin7")
    page.get_by_role("button", name="Create flow").click()
    expect(page.get_by_text("Profile into the note")).to_be_visible()
    profiles = Flow.objects.get(name="Profiles into Cin7")
    assert profiles.actions == [{"type": "enrich"}]
    assert mapping_ready_for_live(mapping=profiles.mapping) == []
    page.get_by_role("button", name="Go live").click()
    expect(page.get_by_text("The flow is live")).to_be_visible()
    page.get_by_role("button", name="Run now").click()
    progress = wait_for_run(page)
    expect(progress.locator(".count-created")).to_have_text(f"{CUSTOMERS}created")
    shot("12-cin7-run-done")
    run = run_of(page)
    assert run.created == CUSTOMERS and run.failed == 0, (run.status, run.message)
    # The contact changed by the webhook: its Cin7 customer's note holds its profile as
    # HighLevel has it now (the new first name, the e-mail, the company).
    written = run.items.get(source_id=item.target_id)
    comments = adapter_for(cin7, ObjectType.CONTACT).get(written.target_id)["Comments"]
    assert comments.startswith("[HighLevel profile]\nWebhooked "), comments
    assert emails[item.target_id] in comments and comments.endswith("[/HighLevel profile]")
    lap("cin7 enriched")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Flows").click()
    expect(page.locator(".flow-card")).to_have_count(2)
    shot("13-flow-list")
    print("timings (s since sign-in):", timings)
