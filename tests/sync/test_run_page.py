"""The run page: its bar (done, skipped, failed over the total), the ETA while it runs or
waits, and the records: action in words, link to the record's page, what to do about each
failure, filters and keyset paging that costs the same on the last page of a big run."""

import re
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from sync.models import RecordLink, Run, RunItem
from sync.views.runs import progress
from tests.factories import FlowFactory, MembershipFactory, RunFactory

LOGIN = "/accounts/login/"
HX = {"HX-Request": "true"}
SNAKE_CASE = re.compile(r">[^<]*\b[a-z]+_[a-z_]+\b[^<]*<")


@pytest.fixture
def flow(workspace):
    return FlowFactory(workspace=workspace, name="Customers into HighLevel")


def page_of(run: Run) -> str:
    return reverse("sync:run-detail", args=[run.flow.workspace_id, run.flow_id, run.pk])


def items(run, outcome, count, start=0, **fields):
    RunItem.objects.bulk_create(
        RunItem(run=run, source_id=f"{outcome}-{start + i}", outcome=outcome, **fields)
        for i in range(count)
    )


# --- who may see it -----------------------------------------------------------------------------
def test_the_run_page_as_owner_outsider_and_anonymous(client, flow):
    run = RunFactory(flow=flow)
    assert client.get(page_of(run)).url.startswith(LOGIN)
    client.force_login(MembershipFactory(role=Role.OWNER).user)
    assert client.get(page_of(run)).status_code == 404
    client.force_login(MembershipFactory(workspace=flow.workspace, role=Role.OWNER).user)
    assert client.get(page_of(run)).status_code == 200


# --- the bar --------------------------------------------------------------------------------------
def test_the_bar_shows_done_skipped_and_failed_over_the_total():
    run = Run(
        status="running",
        total=200,
        processed=100,
        created=30,
        updated=40,
        unchanged=10,
        skipped=10,
        failed=10,
        started_at=timezone.now() - timedelta(seconds=100),
    )
    shown = progress(run)
    assert shown["bar"] == [
        {"kind": "done", "x": "0.000", "width": "40.000"},
        {"kind": "skipped", "x": "40.000", "width": "5.000"},
        {"kind": "failed", "x": "45.000", "width": "5.000"},
    ]
    assert shown["percent"] == 50 and shown["remaining"] == 100 and shown["eta"] == 100
    assert shown["poll"] == "2s"


def test_a_finished_run_without_a_total_fills_its_bar():
    run = Run(status="succeeded", total=None, processed=4, created=4)
    shown = progress(run)
    assert shown["total"] == 4 and shown["percent"] == 100 and shown["poll"] is None
    assert shown["bar"] == [{"kind": "done", "x": "0.000", "width": "100.000"}]


def test_a_run_waiting_for_budget_says_when_it_carries_on(owner_client, flow):
    resume = timezone.now() + timedelta(hours=5)
    run = RunFactory(
        flow=flow,
        status="waiting",
        in_flight=True,
        finished_at=None,
        total=50_000,
        processed=20_000,
        created=20_000,
        eta_seconds=30 * 3600,
        resume_after=resume,
    )
    body = owner_client.get(page_of(run)).content.decode()
    assert "Waiting for budget" in body and "30,000 to go" not in body  # numbers as Django prints
    assert f"until {resume:%Y-%m-%d %H:%M} UTC" in body
    assert "about 30 h from now to the end" in body
    assert 'hx-trigger="every 30s"' in body


def test_the_progress_fragment_carries_on_while_waiting_and_stops_when_done(owner_client, flow):
    run = RunFactory(flow=flow, status="waiting", in_flight=True, finished_at=None)
    fragment = owner_client.get(page_of(run), headers={**HX, "HX-Target": "run-progress"})
    assert fragment.status_code == 200
    Run.objects.filter(pk=run.pk).update(status="succeeded", in_flight=False)
    fragment = owner_client.get(page_of(run), headers={**HX, "HX-Target": "run-progress"})
    assert fragment.status_code == 286 and "every 30s" not in fragment.content.decode()


# --- the records ----------------------------------------------------------------------------------
def test_each_record_links_to_its_page_both_ways(owner_client, workspace):
    flow = FlowFactory(workspace=workspace, direction="two_way")
    run = RunFactory(flow=flow, processed=3, updated=3, dry_run=False)
    forward = RecordLink.objects.create(flow=flow, source_id="shop-1", target_id="crm-1")
    backward = RecordLink.objects.create(flow=flow, source_id="shop-2", target_id="crm-2")
    RunItem.objects.create(run=run, source_id="shop-1", target_id="crm-1", outcome="updated")
    RunItem.objects.create(
        run=run, direction="backward", source_id="crm-2", target_id="shop-2", outcome="updated"
    )
    RunItem.objects.create(run=run, source_id="shop-3", outcome="updated")  # no link
    body = owner_client.get(page_of(run)).content.decode()
    for link in (forward, backward):
        address = reverse("sync:link-detail", args=[workspace.pk, flow.pk, link.pk])
        assert f'href="{address}"' in body
    assert body.count('title="Why this record looks as it does"') == 2


@pytest.mark.parametrize(
    "kind, words, fix, link",
    [
        ("validation", "Rejected as invalid", "Fix the value in the record", "mapping"),
        ("scope", "Missing permission", "Reconnect it", "connections"),
        ("auth", "Sign-in refused", "Reconnect the connection", "connections"),
        ("not_found", "Not found", "reconcile the flow", "drift"),
        ("mapping", "Mapping problem", "fix the rule", "mapping"),
        ("rate_limited", "Rate limited", "retried on its own", ""),
        ("internal", "Internal error", "report it with run number", ""),
    ],
)
def test_each_failure_says_what_to_do(owner_client, flow, kind, words, fix, link):
    run = RunFactory(flow=flow, dry_run=False, status="failed", processed=1, failed=1)
    RunItem.objects.create(
        run=run, source_id="c1", outcome="failed", reason="HighLevel said no", error_kind=kind
    )
    body = owner_client.get(page_of(run)).content.decode()
    assert words in body and "HighLevel said no" in body and fix in body
    where = {
        "mapping": reverse("mappings:mapping-detail", args=[flow.workspace_id, flow.mapping_id]),
        "connections": reverse("integrations:connection-list", args=[flow.workspace_id]),
        "drift": reverse("sync:drift-list", args=[flow.workspace_id, flow.pk]),
    }
    if link:
        assert f'href="{where[link]}"' in body
    if kind != "rate_limited":
        assert "eplay it from the dead letters" in body


def test_a_dry_run_failure_says_run_again(owner_client, flow):
    run = RunFactory(flow=flow, dry_run=True, status="failed", processed=1, failed=1)
    RunItem.objects.create(run=run, source_id="c1", outcome="failed", error_kind="validation")
    body = owner_client.get(page_of(run)).content.decode()
    assert "then run again." in body and "dead letters" not in body


def filters(body: str) -> str:
    start = body.index('aria-label="Filter by outcome"')
    return body[start : body.index("</nav>", start)]


def test_only_the_outcomes_a_run_had_are_offered_as_filters(owner_client, flow):
    run = RunFactory(flow=flow, processed=5, updated=4, failed=1)
    body = owner_client.get(page_of(run)).content.decode()
    nav = filters(body)
    assert "Would update" in nav and "Failed" in nav
    assert "Would create" not in nav and "Skipped" not in nav and "Archived" not in nav
    # A chosen outcome stays offered at zero, so the way back is visible.
    body = owner_client.get(page_of(run), {"outcome": "created"}).content.decode()
    nav = filters(body)
    assert 'aria-current="page">Would create <span class="muted">0</span>' in nav


def test_no_raw_key_on_the_run_page(owner_client, flow):
    run = RunFactory(flow=flow, status="partial", dry_run=False, processed=3, failed=2)
    RunItem.objects.create(run=run, source_id="a", outcome="failed", error_kind="rate_limited")
    RunItem.objects.create(run=run, source_id="b", outcome="failed", error_kind="not_found")
    RunItem.objects.create(run=run, source_id="c", outcome="archived")
    body = owner_client.get(page_of(run)).content.decode()
    main = body[body.index("<main") : body.index("</main>")]
    assert not SNAKE_CASE.findall(main), SNAKE_CASE.findall(main)


def test_paging_a_big_run_costs_the_same_on_its_last_page(owner_client, flow):
    """Keyset paging: no COUNT, no OFFSET, the same queries however deep the page."""
    run = RunFactory(flow=flow, processed=5_000, updated=4_990, failed=10)
    items(run, "updated", 4_990)
    items(run, "failed", 10, error_kind="validation")
    last_before = RunItem.objects.filter(run=run).order_by("-pk").values_list("pk", flat=True)[50]

    def visit(**query):
        with CaptureQueriesContext(db_connection) as captured:
            response = owner_client.get(page_of(run), query)
        assert response.status_code == 200
        return response, [q["sql"].upper() for q in captured.captured_queries]

    visit()  # the first visit also remembers the workspace in the session
    first, first_sql = visit()
    second, second_sql = visit(after=str(first.context["page"].last_pk))
    last, last_sql = visit(after=str(last_before))
    assert len(second_sql) == len(last_sql) <= len(first_sql) + 1
    assert not any("COUNT(" in sql or "OFFSET" in sql for sql in first_sql + last_sql)
    assert first.context["page"].has_next and not first.context["page"].has_previous
    assert second.context["page"].has_previous and second.context["page"].has_next
    page = last.context["page"]
    assert len(page.items) == 50 and page.has_previous and not page.has_next
    assert [i.source_id for i in page.items][-10:] == [f"failed-{i}" for i in range(10)]
