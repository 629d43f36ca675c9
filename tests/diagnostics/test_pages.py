"""The Diagnostics tab's pages: who may see them, what they show, and that they cost a
fixed number of queries however much there is to show."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from diagnostics.models import ApiCall
from integrations.inbox import webhook_event_store
from sync.models import Conflict, PendingChange, RecordLink, Run
from tests.factories import ConnectionFactory, FlowFactory, RunFactory, WorkspaceFactory

PAGES = ("dashboard", "runs", "calls", "inbox")


def _url(name, workspace, query=""):
    return reverse(f"diagnostics:{name}", args=[workspace.pk]) + (f"?{query}" if query else "")


def _call(workspace, connection, *, at=None, status=200, error_kind="", **fields):
    return ApiCall.objects.create(
        at=at or timezone.now(),
        workspace=workspace,
        connection=connection,
        provider=connection.provider,
        method=fields.pop("method", "GET"),
        endpoint=fields.pop("endpoint", "/contacts/{id}"),
        status=status,
        error_kind=error_kind,
        latency_ms=fields.pop("latency_ms", 12.0),
        **fields,
    )


@pytest.mark.parametrize("page", PAGES)
def test_each_page_as_owner_outsider_and_anonymous(page, client, owner, outsider, workspace):
    response = client.get(_url(page, workspace))
    assert response.status_code == 302 and reverse("account_login") in response.url
    client.force_login(outsider)
    assert client.get(_url(page, workspace)).status_code == 404
    client.force_login(owner)
    assert client.get(_url(page, workspace)).status_code == 200


def test_the_overview_says_each_flows_health_and_why(owner_client, workspace):
    now = timezone.now()
    healthy = FlowFactory(workspace=workspace, name="Healthy")
    RunFactory(flow=healthy, dry_run=False, created=3, processed=3)
    failing = FlowFactory(workspace=workspace, name="Failing")
    RunFactory(flow=failing, status="failed", message="Reading failed: 401")
    behind = FlowFactory(workspace=workspace, name="Behind")
    change = PendingChange.objects.create(flow=behind, source_id="7")
    PendingChange.objects.filter(pk=change.pk).update(received_at=now - timedelta(minutes=40))
    dead = FlowFactory(workspace=workspace, name="Dead letters")
    PendingChange.objects.create(flow=dead, source_id="8", status="dead")
    paused = FlowFactory(workspace=workspace, name="Paused", enabled=False, paused_reason="Held.")
    torn = FlowFactory(workspace=workspace, name="Torn")
    link = RecordLink.objects.create(flow=torn, source_id="1", target_id="a")
    Conflict.objects.create(flow=torn, link=link, field="lastName", source_value="A")

    body = owner_client.get(_url("dashboard", workspace)).content.decode()

    rows = {
        flow.name: body[body.index(f">{flow.name}</a>") :].split("</tr>")[0]
        for flow in (healthy, failing, behind, dead, paused, torn)
    }
    assert "status-healthy" in rows["Healthy"]
    assert "status-failing" in rows["Failing"] and "The last run failed" in rows["Failing"]
    assert (
        "status-degraded" in rows["Behind"] and "Changes have waited 40 minutes" in rows["Behind"]
    )
    assert "1 dead letter waits" in rows["Dead letters"] and "Replay all" in rows["Dead letters"]
    assert "status-paused" in rows["Paused"] and "Held." in rows["Paused"]
    assert "1 conflict waits for a decision" in rows["Torn"]
    assert reverse("sync:conflict-list", args=[workspace.pk, torn.pk]) in rows["Torn"]
    assert "1 failing" in body and "3 degraded" in body and "1 paused" in body


def test_the_overview_counts_the_last_day_and_shows_the_rate_budget(owner_client, workspace):
    flow = FlowFactory(workspace=workspace, name="Into HighLevel")
    RunFactory(flow=flow, dry_run=False, status="partial", created=5, updated=2, failed=1)
    old = RunFactory(flow=flow, dry_run=False, created=100)
    Run.objects.filter(pk=old.pk).update(queued_at=timezone.now() - timedelta(days=2))
    target = flow.target_connection
    _call(workspace, target, at=timezone.now() - timedelta(minutes=5), rate_limit={
        "X-RateLimit-Max": "100", "X-RateLimit-Remaining": "97",
        "X-RateLimit-Limit-Daily": "200000", "X-RateLimit-Daily-Remaining": "30000",
    })  # fmt: skip
    _call(workspace, target, status=500, error_kind="server")

    body = owner_client.get(_url("dashboard", workspace)).content.decode()

    row = body[body.index(">Into HighLevel</a>") :].split("</tr>")[0]
    cells = re.findall(r'<td class="num">(\d+)', row)
    assert cells[:2] == ["7", "1"]  # synced and failed in the last 24 h only
    assert "burst 97 of 100 left" in body and "daily 30,000 of 200,000 left" in body
    connection_row = body[body.index(f">{target.name}</a>") :].split("</tr>")[0]
    assert "status-degraded" in connection_row  # less than a fifth of the day's budget left


def test_the_overview_costs_the_same_queries_for_one_flow_or_ten(
    owner_client, workspace, django_assert_num_queries
):
    def flows(n):
        for _ in range(n):
            flow = FlowFactory(workspace=workspace)
            RunFactory(flow=flow)
            PendingChange.objects.create(flow=flow, source_id="1")
            _call(workspace, flow.target_connection, rate_limit={"X-RateLimit-Max": "100"})

    flows(1)
    owner_client.get(_url("dashboard", workspace))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        owner_client.get(_url("dashboard", workspace))
    flows(9)
    with CaptureQueriesContext(connection) as ten:
        owner_client.get(_url("dashboard", workspace))
    assert len(ten) == len(one) <= 16


def test_runs_are_filtered_and_bad_filters_ignored(owner_client, workspace, outsider):
    flow = FlowFactory(workspace=workspace, name="Mine")
    RunFactory(flow=flow, status="failed", message="Boom")
    RunFactory(flow=flow, status="succeeded")
    elsewhere = RunFactory(status="failed")  # another workspace's

    failed = owner_client.get(_url("runs", workspace, "status=failed")).content.decode()
    assert "Boom" in failed and failed.count("status-failed") == 1
    assert f"#{elsewhere.pk}<" not in failed
    everything = owner_client.get(
        _url("runs", workspace, f"status=nonsense&flow={elsewhere.flow_id}&period=forever")
    ).content.decode()
    assert "2 runs" in everything  # unknown values and another workspace's flow: no filter
    recent = owner_client.get(_url("runs", workspace, "period=1h")).content.decode()
    assert "2 runs" in recent


def test_the_call_log_pages_by_key_newest_first_without_gaps_or_repeats(owner_client, workspace):
    connection = ConnectionFactory(workspace=workspace)
    start = timezone.now() - timedelta(hours=1)
    made = [_call(workspace, connection, at=start + timedelta(seconds=i // 2)) for i in range(120)]
    seen, query = [], ""
    for _ in range(5):
        response = owner_client.get(_url("calls", workspace, query))
        page = response.context["page"]
        seen += [call.pk for call in page.calls]
        if not page.next_cursor:
            break
        query = f"before={page.next_cursor}"
    expected = [c.pk for c in sorted(made, key=lambda c: (c.at, c.pk), reverse=True)]
    assert seen == expected


def test_the_call_log_filters_and_shows_only_this_workspaces_calls(owner_client, workspace):
    mine = ConnectionFactory(workspace=workspace, name="Mine")
    _call(workspace, mine, endpoint="/contacts/{id}/notes", status=429, error_kind="rate_limited")
    _call(workspace, mine, endpoint="/contacts/upsert", method="POST")
    other_workspace = WorkspaceFactory()
    theirs = ConnectionFactory(workspace=other_workspace)
    _call(other_workspace, theirs, endpoint="/secret/{id}")

    body = owner_client.get(_url("calls", workspace)).content.decode()
    assert "/contacts/{id}/notes" in body and "/contacts/upsert" in body
    assert "/secret/" not in body
    errors = owner_client.get(_url("calls", workspace, "outcome=errors")).content.decode()
    assert "/contacts/{id}/notes" in errors and "/contacts/upsert" not in errors
    posts = owner_client.get(_url("calls", workspace, "method=post")).content.decode()
    assert "/contacts/upsert" in posts and "/notes" not in posts
    ignored = owner_client.get(_url("calls", workspace, f"connection={theirs.pk}&before=x"))
    assert "/contacts/upsert" in ignored.content.decode()  # not theirs: no filter at all


def test_the_inbox_shows_this_workspaces_deliveries_with_duplicates(owner_client, workspace):
    mine = ConnectionFactory(workspace=workspace, provider="highlevel", name="Mine")
    theirs = ConnectionFactory(provider="highlevel")
    for _ in range(3):
        webhook_event_store(
            provider="highlevel", event_id="e1", event_type="ContactCreate", payload={},
            connections=[mine],
        )  # fmt: skip
    webhook_event_store(
        provider="highlevel", event_id="e2", event_type="TheirEvent", payload={},
        connections=[theirs],
    )  # fmt: skip
    body = owner_client.get(_url("inbox", workspace)).content.decode()
    assert "ContactCreate" in body and "2 re-sent" in body and "Verified" in body
    assert "TheirEvent" not in body


def test_latency_and_errors_add_the_rollups_to_the_raw_calls_after_them(owner_client, workspace):
    from diagnostics.latency import histogram
    from diagnostics.models import ApiCallHour

    connection = ConnectionFactory(workspace=workspace, provider="highlevel")
    hour = timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    ApiCallHour.objects.create(
        hour=hour, workspace=workspace, connection_ref=connection.pk, connection=connection,
        provider="highlevel", method="POST", endpoint="/contacts/upsert", calls=4,
        errors={"server": 1}, statuses={"200": 3, "500": 1}, latency_total_ms=4 * 20.0,
        latency_buckets=histogram([20, 20, 20, 20]),
    )  # fmt: skip
    # A raw row inside the rolled-up hour is already counted there: not again.
    _call(workspace, connection, at=hour + timedelta(minutes=5), method="POST",
          endpoint="/contacts/upsert", latency_ms=20)  # fmt: skip
    for latency in (100, 100, 100, 100, 100, 100):
        _call(workspace, connection, at=hour + timedelta(hours=2), method="POST",
              endpoint="/contacts/upsert", latency_ms=latency)  # fmt: skip
    _call(workspace, connection, at=hour + timedelta(hours=2), status=429,
          error_kind="rate_limited", endpoint="/contacts/{id}", latency_ms=5)  # fmt: skip

    response = owner_client.get(_url("performance", workspace, "window=24h"))

    figures = response.context["figures"]
    assert figures.calls == 4 + 6 + 1
    assert figures.errors["server"] == 1 and figures.errors["rate_limited"] == 1
    upsert = next(row for row in figures.endpoints if row.endpoint == "/contacts/upsert")
    assert upsert.calls == 10 and upsert.p50 == 100 and upsert.p99 == 100
    assert (upsert.p50, upsert.p95) != (20, 20)  # 6 of 10 took 100 ms
    body = response.content.decode()
    assert body.count("<svg") == 2 and "Errors by class, last 24h" in body
    chart = body[body.index("Errors by class") :]
    assert "Rate limited" in chart and "rate limited" not in chart  # words, not keys
    assert "No webhook changes applied" in body
    recent = owner_client.get(_url("performance", workspace, "window=1h")).context["figures"]
    assert recent.calls == 0


def test_end_to_end_latency_is_from_received_to_applied(owner_client, workspace):
    flow = FlowFactory(workspace=workspace)
    now = timezone.now()
    for seconds in (1, 2, 3, 4, 30):
        change = PendingChange.objects.create(flow=flow, source_id=str(seconds), status="done")
        PendingChange.objects.filter(pk=change.pk).update(
            received_at=now - timedelta(seconds=seconds + 60),
            updated_at=now - timedelta(seconds=60),
        )
    figures = owner_client.get(_url("performance", workspace)).context["figures"]
    assert figures.end_to_end == {50: 3.0, 95: 30.0, 99: 30.0}


def test_captured_bodies_show_with_their_call_and_nothing_shows_without(owner_client, workspace):
    connection = ConnectionFactory(workspace=workspace)
    _call(workspace, connection, request_body='{"email": "kept@example.com"}', response_body="{}")
    _call(workspace, connection, endpoint="/plain")
    body = owner_client.get(_url("calls", workspace)).content.decode()
    assert body.count("Bodies (captured for debugging") == 1
    assert "kept@example.com" in body


def _badge_texts(body: str) -> list[str]:
    return re.findall(r'<span class="badge[^"]*"[^>]*>([^<]*)</span>', body)


def test_every_diagnostics_badge_and_system_name_is_in_words(owner_client, workspace):
    """No raw keys: statuses, error classes and systems read as a person says them."""
    reconnect = ConnectionFactory(workspace=workspace, provider="cscart", status="needs_reconnect")
    _call(workspace, reconnect, status=401, error_kind="auth")
    _call(workspace, reconnect, status=429, error_kind="rate_limited")
    FlowFactory(workspace=workspace, source_connection=reconnect)
    for page in ("dashboard", "calls", "runs", "inbox", "performance", "alerts"):
        body = owner_client.get(_url(page, workspace)).content.decode()
        for text in _badge_texts(body):
            assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), f"{page}: {text!r}"
    calls = owner_client.get(_url("calls", workspace)).content.decode()
    assert '<span class="health-reason">CS-Cart</span>' in calls
    assert ">Authentication refused<" in calls and ">Rate limited<" in calls
    dashboard = owner_client.get(_url("dashboard", workspace)).content.decode()
    assert "CS-Cart · Needs reconnecting" in dashboard
    performance = owner_client.get(_url("performance", workspace)).content.decode()
    assert "<td>CS-Cart</td>" in performance and "<td>cscart</td>" not in performance
