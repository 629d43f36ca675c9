"""The Diagnostics issue's "done when", in a real Chromium against the live server: "After a
run with injected faults, the Diagnostics tab shows which records failed and why, the
latency and error charts, and the alert that fired — and replaying the dead letters fixes
them."

A live Ecwid → HighLevel flow on the two sandboxes (in this process, over real HTTP), with
API call recording on; the HighLevel sandbox refuses every request with 422, so each record
is a dead letter at once. The run, the recorder's flush and the alert rules' evaluation
happen here, in the test (the sync journey test covers the worker); the owner then reads
the Diagnostics tab, replays the dead letters with the faults cleared, and reads it again.

Screenshots of every page: test-artifacts/screenshots/diagnostics-*.png.
"""

import re
import time
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

import sync.views.flows as flow_views
from accounts.models import Role
from diagnostics import recorder
from diagnostics.alerting import alert_rule_create, alert_rules_evaluate
from diagnostics.models import ApiCall
from integrations import calls
from mappings.services import mapping_create
from sync.models import Flow, PendingChange, Run
from sync.runner import run_execute
from sync.runs import run_start
from sync.services import flow_create
from sync.tasks import changes_process
from tests.factories import PASSWORD, MembershipFactory
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID
from tests.integrations.providers.highlevel.contract import HARNESS as HIGHLEVEL

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FLOW = "Customers into HighLevel"
CRM = "HighLevel sandbox"  # the harness's connection name


# --- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sandboxes():
    ECWID.start()
    HIGHLEVEL.start()
    yield
    HIGHLEVEL.stop()
    ECWID.stop()


@pytest.fixture
def faults(sandboxes):
    """Set HighLevel sandbox knobs (`faults(error_rate=1.0)`); reset after the test."""
    yield lambda **knobs: HIGHLEVEL._control("POST", "", json=knobs)
    HIGHLEVEL._control("POST", "/reset")


@pytest.fixture
def recording(transactional_db, settings):
    """API calls recorded (off in tests by default), by a fresh recorder as the only
    observer; stopped, its rows written, before the test database is emptied."""
    settings.DIAGNOSTICS_RECORD_CALLS = True
    saved = list(calls._observers)
    recorder.recorder_stop()
    recorder.recorder_reset()
    calls._observers[:] = [recorder.api_call_record]
    cache.clear()  # HighLevel's learned rate limit
    yield recorder
    recorder.recorder_stop()
    recorder.recorder_reset()
    calls._observers[:] = saved


@pytest.fixture
def enqueued(monkeypatch):
    """What the replay view hands to the queue: flow ids for `changes_process`, which the
    test then runs itself, as a worker would (no broker message is left behind)."""
    flow_ids: list[int] = []
    queue = SimpleNamespace(delay_on_commit=flow_ids.append)
    monkeypatch.setattr(flow_views, "tasks", SimpleNamespace(changes_process=queue))
    return flow_ids


@pytest.fixture
def shot(screenshot):
    return lambda name: screenshot(f"diagnostics-{name}")


# --- helpers ----------------------------------------------------------------------------------
def ecwid_to_highlevel(workspace, owner) -> Flow:
    """A live flow from the Ecwid sandbox into the HighLevel one, with the preset mapping
    (as tests/sync/conftest.py builds it)."""
    source = ECWID.make_connection(workspace)
    target = HIGHLEVEL.make_connection(workspace)
    mapping = mapping_create(
        workspace=workspace,
        user=owner,
        name="Ecwid to HighLevel",
        source_provider="ecwid",
        target_provider="highlevel",
        source_connection=source,
        target_connection=target,
    )
    assert mapping.is_healthy, mapping.problems
    flow = flow_create(
        workspace=workspace,
        name=FLOW,
        source_connection=source,
        target_connection=target,
        mapping=mapping,
    )
    flow.mode = Flow.Mode.LIVE
    flow.save()
    return flow


def sign_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()


def open_tab(page, name: str) -> None:
    tab = page.get_by_role("navigation", name="Diagnostics").get_by_role(
        "link", name=name, exact=True
    )
    tab.click()
    expect(tab).to_have_attribute("aria-current", "page")


def dead_letters(flow: Flow) -> int:
    return PendingChange.objects.filter(flow=flow, status=PendingChange.Status.DEAD).count()


# --- the journey ------------------------------------------------------------------------------
def test_a_faulty_run_is_explained_on_diagnostics_and_replaying_fixes_it(
    page, shot, sandboxes, faults, recording, enqueued
):
    started = time.monotonic()
    membership = MembershipFactory(role=Role.OWNER, workspace__name="Diagnostics workspace")
    workspace, owner = membership.workspace, membership.user
    flow = ecwid_to_highlevel(workspace, owner)
    # One faulty run must fire: a failed-runs rule warns one failure short of its threshold
    # (its lowest is 2, where the flow would be paused), and the error rate of the HighLevel
    # connection is judged from the first call on. After the replay about half of that
    # connection's calls in the window have failed (the refusals, then as many successes):
    # under 60 %, so both alerts resolve.
    alert_rule_create(workspace=workspace, kind="failed_runs", threshold=2)
    alert_rule_create(workspace=workspace, kind="error_rate", threshold=60, min_calls=1)

    # --- the faulty run: HighLevel refuses every request as invalid ---------------------------
    faults(error_rate=1.0, error_status=422)
    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert run.status == Run.Status.FAILED, run.message
    assert run.failed == run.processed == ECWID.seeded, (run.processed, run.failed)
    assert dead_letters(flow) == run.failed  # refused: no retry, a dead letter at once
    assert recorder.recorder_flush()
    crm_calls = ApiCall.objects.filter(connection=flow.target_connection)
    refused = crm_calls.filter(status=422).count()
    assert refused >= run.failed
    counts = alert_rules_evaluate()
    assert counts["warned"] == 1 and counts["opened"] == 1, counts

    # --- Diagnostics: the flow failing, why, its dead letters, the alerts -----------------------
    sign_in(page, owner)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Diagnostics").click()
    expect(page.get_by_role("heading", name="Diagnostics", exact=True)).to_be_visible()
    row = page.locator("#flows tbody tr", has_text=FLOW)
    expect(row.locator(".badge").first).to_have_text("Failing")
    expect(row).to_contain_text("The last run failed: open it for the reason")
    expect(row.locator("td").nth(8)).to_contain_text(str(run.failed))
    expect(row.get_by_role("button", name="Replay all")).to_be_visible()
    expect(page.locator("#health-summary")).to_contain_text("1 failing")
    alerts = page.locator("#alerts li.alert")
    expect(alerts).to_have_count(2)
    failing_runs = alerts.filter(has_text="Runs failing in a row")
    expect(failing_runs).to_contain_text(
        f"Flow “{FLOW}” failed its last run. If the next run fails too"
    )
    expect(failing_runs).to_contain_text("the flow will be paused automatically")
    error_rate = alerts.filter(has_text="API error rate")
    expect(error_rate).to_contain_text(CRM)
    rate = f"{refused * 100 / crm_calls.count():.1f}".removesuffix(".0")
    expect(error_rate).to_contain_text(
        f"{refused} of the last {crm_calls.count()} API calls of “{CRM}” failed"
        f" in 15 minutes ({rate} %, above 60 %)"
    )
    crm = page.locator("#connections tbody tr", has_text=CRM)
    expect(crm.locator(".badge")).to_have_text("Failing")
    expect(crm).to_contain_text(f"{refused} of {crm_calls.count()} calls failed")
    shot("01-overview-failing")

    # --- Latency and errors: two charts, the validation errors counted beside them --------------
    open_tab(page, "Latency and errors")
    expect(page.locator("#latency .chart svg")).to_have_count(1)
    expect(page.locator("#errors .chart svg")).to_have_count(1)
    expect(page.locator("#latency svg")).to_contain_text("API latency per hour, last 24h")
    expect(page.locator("#errors svg")).to_contain_text("Validation error 30")
    expect(page.locator("#latency svg")).not_to_contain_text("No data yet")
    expect(page.locator("#errors svg")).not_to_contain_text("No data yet")
    validation = page.locator("#errors dl.facts dt", has_text="Validation").locator("+ dd")
    expect(validation).to_have_text(str(refused))
    upserts = page.locator("#endpoints tbody tr", has_text="POST /contacts/upsert")
    expect(upserts.locator("td").nth(2)).to_have_text(str(run.failed))
    shot("02-latency-and-errors")

    # --- API calls, errors only: the refused POSTs, 422 ------------------------------------------
    open_tab(page, "API calls")
    page.get_by_label("Outcome").select_option("errors")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"outcome=errors"))
    rows = page.locator("#calls tbody tr")
    expect(rows.first).to_be_visible()
    expect(rows.filter(has_not_text="422")).to_have_count(0)
    expect(rows.filter(has_not_text="validation")).to_have_count(0)
    posts = rows.filter(has=page.locator("code", has_text=re.compile(r"^POST ")))
    expect(posts.first).to_contain_text(CRM)
    assert posts.count() > 0
    shot("03-api-calls-errors")

    # --- Runs → the run: which records failed, and why -------------------------------------------
    open_tab(page, "Runs")
    listed = page.locator("#runs tbody tr", has_text=f"#{run.pk}")
    expect(listed.locator(".badge")).to_have_text("Failed")
    expect(listed.locator("td").nth(7)).to_have_text(str(run.failed))
    shot("04-runs")
    listed.get_by_role("link", name=f"#{run.pk}").click()
    expect(page.locator("#run-progress .badge")).to_have_text("Failed")
    expect(page.locator("#run-progress .count-failed")).to_have_text(f"{run.failed}failed")
    failed = page.locator("#run-items tr.outcome-failed")
    expect(failed.first).to_be_visible()
    expect(failed.filter(has_not_text="Rejected as invalid")).to_have_count(0)
    item = run.items.order_by("pk").first()
    assert item.reason, item
    expect(page.locator("#run-items")).to_contain_text(item.reason[:60])
    shot("05-run-failed-records")

    # --- the flow's page: its dead letters, each with why it stopped ------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Diagnostics").click()
    row.get_by_role("link", name=FLOW).click()
    dead = page.locator("#dead-letters")
    expect(dead.locator("h2 .badge")).to_have_text(str(run.failed))
    expect(dead.locator("tbody tr")).to_have_count(run.failed)
    expect(dead.locator("tbody tr").filter(has_not_text="Rejected as invalid")).to_have_count(0)
    expect(dead.get_by_role("button", name=f"Replay all {run.failed}")).to_be_visible()
    shot("06-flow-dead-letters")

    # --- the faults cleared, "Replay all" on the overview, the replays applied -----------------
    faults(error_rate=0.0)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Diagnostics").click()
    row.get_by_role("button", name="Replay all").click()
    expect(page.get_by_text(f"Replaying {run.failed} dead letters.")).to_be_visible()
    assert enqueued == [flow.pk]
    applied = changes_process(flow.pk)  # what the worker does with the queued task
    assert applied == run.failed
    assert dead_letters(flow) == 0
    replay = Run.objects.filter(flow=flow).latest("pk")
    assert replay.pk != run.pk and replay.status == Run.Status.SUCCEEDED, replay.message
    assert replay.created + replay.updated == run.failed and replay.failed == 0
    assert recorder.recorder_flush()
    counts = alert_rules_evaluate()
    assert counts["resolved"] == 2, counts
    page.reload()
    expect(page.get_by_text("None: every change so far was applied")).to_be_visible()
    shot("07-flow-after-replay")

    # --- Diagnostics again: no dead letters, no failing run, no open alert ------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Diagnostics").click()
    row = page.locator("#flows tbody tr", has_text=FLOW)
    # Healthy, or Degraded while the replayed failures still count in the last 24 hours.
    expect(row.locator(".badge").first).to_have_text(re.compile("Healthy|Degraded"))
    expect(row.locator("td").nth(8)).to_have_text("0")
    expect(row.get_by_role("button", name="Replay all")).to_have_count(0)
    expect(row.locator("td").last).to_contain_text("Succeeded")
    expect(page.locator("#alerts")).to_contain_text("No open alerts.")
    shot("08-overview-after-replay")
    elapsed = time.monotonic() - started
    print(f"diagnostics journey took {elapsed:.1f} s; alerts after the replay: {counts}")
