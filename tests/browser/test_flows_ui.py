"""The flow list and the run page in a real Chromium, at a laptop's width (1366 px) and a
phone's (390 px): each flow a card (route, mode, triggers, last run, health in words), the
run page's bar polled while the run goes and stopped when it ends, its records filtered and
paged. Nothing scrolls sideways and no raw key (`two_way`, `rate_limited`…) is shown.

Screenshots: test-artifacts/screenshots/flows-ui-*.png.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from accounts.templatetags.ui import status_words
from sync.models import Flow, PendingChange, RecordLink, Run, RunItem
from tests.factories import (
    PASSWORD,
    ConnectionFactory,
    FlowFactory,
    MappingFactory,
    MembershipFactory,
    RunFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"wide": (1366, 900), "phone": (390, 844)}
SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # needs_reconnect, dead_letter, two_way…


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()


def reads_well(page):
    """No sideways scroll, and every status in words."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"the page scrolls sideways ({width}px > {viewport}px)"
    text = page.locator("main").inner_text()
    assert not SNAKE_CASE.findall(text), SNAKE_CASE.findall(text)


@pytest.fixture
def owner():
    return MembershipFactory(role=Role.OWNER, workspace__name="Shop and CRM")


@pytest.fixture
def flows(owner):
    """Four flows in four states: live and healthy, two-way with failures in its last dry
    run, paused, and never run."""
    ws = owner.workspace
    shop = ConnectionFactory(workspace=ws, name="Main store", status="connected")
    crm = ConnectionFactory(
        workspace=ws,
        name="Sales CRM",
        provider="highlevel",
        settings={"location_id": "l1"},
        status="connected",
    )
    stock = ConnectionFactory(workspace=ws, name="Warehouse", provider="cin7")
    now = timezone.now()

    def mapping(name, source, target, version=1):
        return MappingFactory(
            workspace=ws,
            name=name,
            source_provider=source.provider,
            target_provider=target.provider,
            version=version,
        )

    live = FlowFactory(
        workspace=ws,
        name="Customers into the CRM",
        source_connection=shop,
        target_connection=crm,
        mapping=mapping("Store customers to CRM", shop, crm, version=4),
        trigger_webhook=True,
        poll_minutes=15,
    )
    RunFactory(
        flow=live,
        dry_run=False,
        trigger="webhook",
        total=48,
        processed=48,
        created=12,
        updated=30,
        unchanged=6,
        started_at=now - timedelta(minutes=7, seconds=40),
        finished_at=now - timedelta(minutes=7),
    )
    both = FlowFactory(
        workspace=ws,
        name="Notes both ways",
        source_connection=crm,
        target_connection=shop,
        mapping=mapping("CRM notes to store", crm, shop, version=2),
        reverse_mapping=mapping("Store notes to CRM", shop, crm),
        direction=Flow.Direction.TWO_WAY,
        mode=Flow.Mode.TEST,
        schedule_time="02:30",
        schedule_timezone="Europe/London",
    )
    PendingChange.objects.create(flow=both, source_id="c-77", status="dead", error_kind="scope")
    FlowFactory(
        workspace=ws,
        name="Stock levels",
        source_connection=shop,
        target_connection=stock,
        mapping=mapping("Store to warehouse", shop, stock),
        enabled=False,
        paused_reason="Paused after 5 failed runs in a row: Warehouse refused our access.",
    )
    FlowFactory(
        workspace=ws,
        name="Profiles into the warehouse",
        source_connection=crm,
        target_connection=stock,
        mapping=mapping("CRM to warehouse", crm, stock),
        mode=Flow.Mode.TEST,
        poll_minutes=60,
    )
    return {"live": live, "both": both}


def big_run(flow: Flow) -> Run:
    """A finished dry run of 130 records: created, updated, skipped and failed ones."""
    now = timezone.now()
    run = RunFactory(
        flow=flow,
        dry_run=True,
        total=130,
        processed=130,
        created=40,
        updated=70,
        skipped=12,
        failed=8,
        api_calls=262,
        started_at=now - timedelta(minutes=3, seconds=12),
        finished_at=now - timedelta(minutes=1),
    )
    items = []
    kinds = ["validation", "scope", "rate_limited", "not_found"]
    for i in range(130):
        if i < 40:
            outcome, diff = "created", [{"field": "email", "before": None, "after": f"p{i}@ex.com"}]
        elif i < 110:
            outcome = "updated"
            diff = [
                {"field": "firstName", "before": "Ann", "after": "Anne"},
                {"field": "tags", "before": ["shop"], "after": ["shop", "vip"]},
            ]
        elif i < 122:
            outcome, diff = "skipped", []
        else:
            outcome, diff = "failed", []
        kind = kinds[i % 4] if outcome == "failed" else ""
        items.append(
            RunItem(
                run=run,
                source_id=f"cust-{i + 1000}",
                target_id=f"ct-{i + 5000}" if outcome == "updated" else "",
                outcome=outcome,
                diff=diff,
                reason={
                    "skipped": "Only customers who accept marketing",
                    "failed": "HighLevel: phone must be in E.164 format",
                }.get(outcome, ""),
                error_kind=kind,
            )
        )
    RunItem.objects.bulk_create(items)
    RecordLink.objects.create(flow=flow, source_id="cust-1040", target_id="ct-5040")
    return run


def look(page, screenshot, name):
    for width_name, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        reads_well(page)
        screenshot(f"flows-ui-{name}-{width_name}")


def test_the_flow_list_is_a_card_per_flow(page, screenshot, owner, flows):
    sign_in(page, owner.user)
    page.goto(f"/w/{owner.workspace_id}/flows/")
    cards = page.locator(".flow-card")
    expect(cards).to_have_count(4)
    live = cards.filter(has_text="Customers into the CRM")
    expect(live).to_contain_text("Store customers to CRM v4")
    expect(live).to_contain_text("One way")
    expect(live.locator(".flow-health")).to_contain_text("Healthy")
    expect(live.locator(".last-run")).to_contain_text("48 records · 12 created · 30 updated")
    expect(live.locator("img.logo")).to_have_count(2)
    both = cards.filter(has_text="Notes both ways")
    expect(both).to_contain_text("Both ways")
    expect(both.locator(".flow-health")).to_contain_text(status_words("degraded"))
    expect(both.locator(".flow-health")).to_contain_text("1 dead letter waits for a replay.")
    paused = cards.filter(has_text="Stock levels")
    expect(paused.locator(".flow-health")).to_contain_text("Warehouse refused our access")
    expect(cards.filter(has_text="Profiles into the warehouse")).to_contain_text("Not run yet")
    look(page, screenshot, "list")

    both.get_by_role("link", name="Notes both ways").click()
    expect(page.locator("#flow-health")).to_contain_text("1 dead letter waits for a replay.")
    expect(page.locator(".pagehead .route-back")).to_contain_text("Store notes to CRM")
    look(page, screenshot, "detail")


def test_an_empty_list_says_what_to_do(page, screenshot, owner):
    sign_in(page, owner.user)
    page.goto(f"/w/{owner.workspace_id}/flows/")
    expect(page.get_by_role("heading", name="No flows yet")).to_be_visible()
    expect(page.get_by_role("link", name="Add connections")).to_be_visible()
    look(page, screenshot, "empty")


def test_the_run_page_filters_and_pages_its_records(page, screenshot, owner, flows):
    run = big_run(flows["live"])
    sign_in(page, owner.user)
    page.goto(f"/w/{owner.workspace_id}/flows/{flows['live'].pk}/runs/{run.pk}/")
    progress = page.locator("#run-progress")
    expect(progress.locator(".bar-legend")).to_contain_text("110 done")
    expect(progress.locator(".bar-failed")).to_have_count(2)  # the bar's part and its swatch
    rows = page.locator("#run-items table.run-items tbody tr")
    expect(rows).to_have_count(50)
    # The linked record leads to its page.
    expect(rows.get_by_role("link", name="cust-1040")).to_have_attribute(
        "href", re.compile(r"/records/\d+/$")
    )
    look(page, screenshot, "run")

    page.set_viewport_size({"width": 1366, "height": 900})
    next_page = page.locator("#run-items").get_by_role("link", name=re.compile("^Next"))
    next_page.click()
    expect(rows.first).to_contain_text("cust-1050")
    next_page.click()
    expect(rows).to_have_count(30)
    expect(next_page).to_have_count(0)
    page.locator("#run-items").get_by_role("link", name=re.compile("Previous")).click()
    expect(rows.first).to_contain_text("cust-1050")

    page.locator("#run-items .filters").get_by_role("link", name=re.compile("^Failed")).click()
    expect(rows).to_have_count(8)
    expect(page).to_have_url(re.compile(r"outcome=failed"))
    scope = rows.filter(has_text="Missing permission")
    expect(scope.first).to_contain_text("Reconnect it")
    expect(scope.first.get_by_role("link", name="Connections")).to_be_visible()
    look(page, screenshot, "run-failed")


def test_the_bar_follows_a_running_run_and_stops_when_it_ends(page, screenshot, owner, flows):
    flow = flows["live"]
    run = RunFactory(
        flow=flow,
        dry_run=False,
        status="running",
        in_flight=True,
        total=500,
        processed=120,
        created=20,
        updated=95,
        failed=5,
        started_at=timezone.now() - timedelta(seconds=60),
        finished_at=None,
    )
    sign_in(page, owner.user)
    page.goto(f"/w/{owner.workspace_id}/flows/{flow.pk}/runs/{run.pk}/")
    words = page.locator("#run-progress .progress-words")
    expect(words).to_contain_text("120 of 500 records processed (24%)")
    expect(words).to_contain_text("left")
    look(page, screenshot, "run-running")

    Run.objects.filter(pk=run.pk).update(processed=300, updated=275)
    expect(words).to_contain_text("300 of 500", timeout=6_000)
    Run.objects.filter(pk=run.pk).update(
        processed=500,
        updated=475,
        status="partial",
        in_flight=False,
        finished_at=timezone.now(),
    )
    expect(page.locator("#run-progress .badge")).to_have_text("Partly failed", timeout=6_000)
    expect(page.locator("#run-progress")).not_to_have_attribute("hx-trigger", re.compile("."))
    look(page, screenshot, "run-finished")
