"""The first synced contact, as a new user gets there, measured: from the sign-in page to
a store's customers in HighLevel, on the sandboxes, in a real Chromium with a real worker.

Every click the page receives is counted by the page itself (a capture-phase listener on
each document, sandbox consent pages included), every field typed by the script; waits are
timed. Targets (the "first synced contact in five minutes" issue): under 25 clicks, and
under 5 minutes for a person, estimated as the measured waits plus PERSON_SECONDS_PER_CLICK
per click and PERSON_SECONDS_PER_FIELD per field typed (reading and deciding included).

Screenshots: test-artifacts/screenshots/first-sync-*.png (README's "First sync" shows them,
copied to docs/images/first-sync/); the figures: test-artifacts/first-sync-journey.json.
"""

import json
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from integrations.models import Connection
from integrations.providers.base import ObjectType
from integrations.providers.registry import adapter_for
from sync.models import Run
from tests.browser.conftest import SANDBOX_CUSTOMERS, SCREENSHOTS
from tests.factories import PASSWORD, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MAX_CLICKS = 25  # fewer than this
MAX_PERSON_SECONDS = 5 * 60
PERSON_SECONDS_PER_CLICK = 4  # find the button, read what it says, click
PERSON_SECONDS_PER_FIELD = 10  # read the label, type or paste the value
WAIT = 30_000  # ms: a run goes through the broker and the worker
FIGURES = SCREENSHOTS.parent / "first-sync-journey.json"

# Each document reports its clicks to Python at once (a binding survives navigations and
# reaches every origin of the context: the sandbox's consent pages count too).
COUNT_CLICKS = """
document.addEventListener("click", (event) => {
  if (event.isTrusted) window.journeyClick(event.target.closest("a,button,label,input,summary")
    ?.innerText?.trim().slice(0, 40) || event.target.tagName);
}, {capture: true});
"""


class Journey:
    """The page, with what the person did: clicks (counted by the page), fields typed and
    options chosen (counted here: a select is two clicks, open and choose)."""

    def __init__(self, page):
        self.page = page
        self.clicks: list[str] = []
        self.fields: list[str] = []
        self.started = time.monotonic()
        self.laps: dict[str, float] = {}
        page.context.expose_binding("journeyClick", lambda _source, what: self.clicks.append(what))
        page.context.add_init_script(COUNT_CLICKS)

    def click(self, locator) -> None:
        before = len(self.clicks)
        locator.click()
        # The listener reports asynchronously: wait until this click has been counted.
        deadline = time.monotonic() + 5
        while len(self.clicks) == before and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)
        assert len(self.clicks) > before, "a click the page did not see"

    def type(self, locator, value: str) -> None:
        locator.fill(value)
        self.fields.append(value)

    def lap(self, name: str) -> None:
        self.laps[name] = round(time.monotonic() - self.started, 1)

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"first-sync-{name}.png"), full_page=True)


def contacts_in(connection: Connection) -> list[dict]:
    adapter = adapter_for(connection, ObjectType.CONTACT)
    return [record for record, _ in adapter.list_changed(adapter.new_cursor())]


def test_from_sign_in_to_the_first_synced_contact(page, live_server, sandboxes, worker):
    membership = MembershipFactory(role=Role.OWNER, workspace__name="Shop and CRM")
    journey = Journey(page)
    nav = page.get_by_role("navigation", name="Main")

    # --- sign in --------------------------------------------------------------------------
    page.goto("/accounts/login/")
    journey.shot("01-sign-in")
    journey.type(page.get_by_label("Email"), membership.user.email)
    journey.type(page.get_by_label("Password"), PASSWORD)
    journey.click(page.get_by_role("button", name="Sign In"))
    expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()
    journey.shot("02-no-connections-yet")

    # --- the store: Ecwid, with the sandbox's credentials ---------------------------------
    journey.click(page.get_by_role("link", name="Add your first connection"))
    journey.shot("03-choose-a-system")
    journey.click(page.get_by_role("link", name=re.compile("Ecwid")).first)
    journey.click(page.get_by_role("link", name="Use sandbox"))
    expect(page.get_by_text("Filled in from the running sandbox")).to_be_visible()
    journey.shot("04-ecwid-credentials")
    journey.click(page.get_by_role("button", name="Continue", exact=True))
    journey.click(page.get_by_role("button", name="Continue to test"))
    expect(page.get_by_text("Connection works")).to_be_visible()  # the test ran by itself
    journey.shot("05-ecwid-tested")
    journey.click(page.get_by_role("button", name="Save connection"))
    expect(page.get_by_text("saved.")).to_be_visible()
    ecwid = Connection.objects.get(provider="ecwid")
    assert not ecwid.is_draft and ecwid.status == Connection.Status.CONNECTED
    journey.lap("store connected")

    # --- the CRM: HighLevel, OAuth through the sandbox's consent pages --------------------
    journey.click(nav.get_by_role("link", name="Connections"))
    journey.click(page.get_by_role("link", name="Add connection"))
    journey.click(page.get_by_role("link", name=re.compile("HighLevel")).first)
    journey.click(page.get_by_role("link", name="Use sandbox"))
    expect(page.get_by_text("Filled in from the running sandbox")).to_be_visible()
    expect(page.get_by_label("Read and write")).to_be_checked()  # what a sync target needs
    journey.shot("06-highlevel-oauth")
    journey.click(page.get_by_role("button", name="Continue to HighLevel"))
    journey.click(page.get_by_role("button", name="Continue", exact=True))  # the location
    journey.shot("07-highlevel-consent")
    journey.click(page.get_by_role("button", name="Allow"))
    expect(page.get_by_text("Connection works")).to_be_visible()
    journey.click(page.get_by_role("button", name="Save connection"))
    expect(page.get_by_text("saved.")).to_be_visible()
    highlevel = Connection.objects.get(provider="highlevel")
    assert not highlevel.is_draft and highlevel.status == Connection.Status.CONNECTED
    journey.shot("08-highlevel-connected")
    journey.lap("crm connected")

    # --- a flow from a template: new customers into HighLevel; live; run ------------------
    journey.click(nav.get_by_role("link", name="Flows"))
    journey.shot("09-flows-empty")
    journey.click(page.get_by_role("link", name="Start from a template").first)
    card = page.locator("#template-new-customers")
    journey.shot("10-templates")
    journey.click(card.get_by_role("link", name="Use this template"))
    journey.click(page.get_by_role("button", name="Create the flow"))
    expect(page.get_by_text("test mode").first).to_be_visible()
    journey.click(page.get_by_role("button", name="Go live"))
    expect(page.get_by_text("The flow is live")).to_be_visible()
    journey.shot("11-flow-live")
    journey.click(page.get_by_role("button", name="Run now"))
    progress = page.locator("#run-progress")
    expect(progress.get_by_text("Succeeded")).to_be_visible(timeout=WAIT)
    expect(page.locator("#run-items .status-created")).to_have_count(SANDBOX_CUSTOMERS)
    journey.lap("first contacts synced")
    journey.shot("12-first-contacts-synced")

    # --- what HighLevel holds now ----------------------------------------------------------
    run = Run.objects.get(pk=int(re.search(r"/runs/(\d+)/", page.url).group(1)))
    assert not run.dry_run and run.created == SANDBOX_CUSTOMERS, (run.status, run.message)
    contacts = contacts_in(highlevel)
    assert len(contacts) == SANDBOX_CUSTOMERS
    assert {c["id"] for c in contacts} == set(run.items.values_list("target_id", flat=True))

    # --- the figures ------------------------------------------------------------------------
    waited = journey.laps["first contacts synced"]
    person = (
        waited
        + PERSON_SECONDS_PER_CLICK * len(journey.clicks)
        + PERSON_SECONDS_PER_FIELD * len(journey.fields)
    )
    figures = {
        "clicks": len(journey.clicks),
        "clicked": journey.clicks,
        "fields_typed": len(journey.fields),
        "seconds_automated": waited,
        "seconds_for_a_person_estimated": round(person),
        "laps": journey.laps,
        "targets": {"clicks_under": MAX_CLICKS, "person_seconds_under": MAX_PERSON_SECONDS},
    }
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))
    assert len(journey.clicks) < MAX_CLICKS, journey.clicks
    assert person < MAX_PERSON_SECONDS, figures


def test_the_readme_shows_the_journeys_screenshots():
    """README's "First sync" section shows the journey, screen by screen, from files kept in
    docs/images/first-sync/ (copies of this test's screenshots)."""
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    shown = re.findall(r"\(docs/images/first-sync/(first-sync-[\w-]+\.png)\)", readme)
    assert len(shown) >= 6, shown
    for name in shown:
        assert (root / "docs/images/first-sync" / name).is_file(), name
