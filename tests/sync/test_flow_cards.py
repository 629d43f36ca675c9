"""The flow list's cards: each flow's route (systems, mapping and version), direction,
triggers, mode, last run and health in words; health by the same rules as Diagnostics."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import Connection
from sync.models import Conflict, Flow, PendingChange, RecordLink
from sync.selectors import flow_cards, flow_health, flows_for_workspace
from tests.factories import FlowFactory, MappingFactory, RunFactory

SNAKE_CASE = re.compile(r">[^<]*\b[a-z]+_[a-z_]+\b[^<]*<")  # a raw key shown as text


def list_page(client, workspace) -> str:
    return client.get(reverse("sync:flow-list", args=[workspace.pk])).content.decode()


def card_of(body: str, flow: Flow) -> str:
    start = body.index(f'id="flow-{flow.pk}"')
    return body[start : body.index("</article>", start)]


# --- health (the rules: sync/health.py, also what Diagnostics shows) -----------------------
def test_a_refused_connection_fails_the_flow_and_says_which():
    health = flow_health(
        enabled=True,
        last_status="succeeded",
        dead_letters=0,
        lag_seconds=None,
        broken_connection="Sales CRM",
    )
    assert health.state == "failing" and "“Sales CRM” refused our access" in health.reason
    paused = flow_health(
        enabled=False, last_status=None, dead_letters=0, lag_seconds=None, broken_connection="x"
    )
    assert paused.state == "paused"


def test_cards_gather_what_health_needs(workspace):
    now = timezone.now()
    quiet = FlowFactory(workspace=workspace, name="Quiet")
    RunFactory(flow=quiet)
    behind = FlowFactory(workspace=workspace, name="Behind")
    RunFactory(flow=behind)
    change = PendingChange.objects.create(flow=behind, source_id="a")
    PendingChange.objects.filter(pk=change.pk).update(received_at=now - timedelta(hours=1))
    disputed = FlowFactory(workspace=workspace, name="Disputed")
    link = RecordLink.objects.create(flow=disputed, source_id="s", target_id="t")
    Conflict.objects.create(flow=disputed, link=link, field="email")
    refused = FlowFactory(workspace=workspace, name="Refused")
    Connection.objects.filter(pk=refused.target_connection_id).update(status="needs_reconnect")
    failed = FlowFactory(workspace=workspace, name="Failed")
    RunFactory(flow=failed, status="succeeded", queued_at=now - timedelta(hours=2))
    RunFactory(flow=failed, status="failed")  # the newest one counts

    cards = {c.flow.name: c for c in flow_cards(flows=flows_for_workspace(workspace=workspace))}
    assert cards["Quiet"].health.state == "healthy"
    assert cards["Behind"].health.state == "degraded"
    assert "Changes have waited 60 minutes" in cards["Behind"].health.reason
    assert cards["Disputed"].health.state == "degraded" and cards["Disputed"].conflicts == 1
    assert cards["Refused"].health.state == "failing"
    assert cards["Failed"].health.state == "failing" and cards["Failed"].last_run.status == "failed"


# --- the cards on the page ------------------------------------------------------------------------
@pytest.fixture
def two_way(workspace):
    flow = FlowFactory(
        workspace=workspace,
        name="Notes both ways",
        mode="test",
        direction=Flow.Direction.TWO_WAY,
        trigger_webhook=True,
        poll_minutes=15,
    )
    flow.mapping.version = 3
    flow.mapping.save()
    flow.reverse_mapping = MappingFactory(
        workspace=workspace, name="Back again", source_provider="highlevel", target_provider="ecwid"
    )
    flow.save()
    return flow


def test_a_card_shows_the_route_with_logos_mapping_and_version(owner_client, workspace, two_way):
    card = card_of(list_page(owner_client, workspace), two_way)
    source, target = two_way.source_connection, two_way.target_connection
    assert card.index(source.name) < card.index(two_way.mapping.name) < card.index(target.name)
    assert 'src="/static/img/logos/ecwid.svg"' in card
    assert 'src="/static/img/logos/highlevel.svg"' in card
    assert f'{two_way.mapping.name} <span class="muted small">v3</span>' in card
    assert "Back again" in card and "Both ways" in card and "⇄" in card
    assert "Webhooks" in card and "Every 15 min" in card and "Test mode" in card


def test_a_card_says_the_last_run_in_words(owner_client, workspace):
    flow = FlowFactory(workspace=workspace)
    run = RunFactory(
        flow=flow,
        dry_run=True,
        status="partial",
        trigger="poll",
        processed=9,
        created=4,
        updated=2,
        failed=3,
        finished_at=timezone.now() - timedelta(minutes=5),
    )
    card = card_of(list_page(owner_client, workspace), flow)
    assert reverse("sync:run-detail", args=[workspace.pk, flow.pk, run.pk]) in card
    assert "Partly failed" in card and "Dry run" in card
    assert "5\xa0minutes ago</time>, polling" in card
    assert "9 records · 4 to create · 2 to update · " in card and "3 failed" in card
    assert "Some records failed in the last run" in card  # its health, in words


def test_a_card_for_a_flow_never_run_or_paused(owner_client, workspace):
    new = FlowFactory(workspace=workspace, name="Brand new")
    paused = FlowFactory(workspace=workspace, enabled=False, paused_reason="Paused by Ann.")
    body = list_page(owner_client, workspace)
    assert "Not run yet" in card_of(body, new) and "Never run" in card_of(body, new)
    assert "Paused by Ann." in card_of(body, paused)
    assert 'class="card flow-card flow-summary health-paused"' in card_of(body, paused)
    assert 'class="card flow-card flow-summary health-new"' in card_of(body, new)


def test_no_card_shows_a_raw_key(owner_client, workspace, two_way):
    """Every status, mode, direction, trigger and error kind in words."""
    Connection.objects.filter(pk=two_way.target_connection_id).update(status="needs_reconnect")
    RunFactory(flow=two_way, status="partial", trigger="webhook", failed=1, processed=1)
    PendingChange.objects.create(flow=two_way, source_id="x", status="dead", error_kind="scope")
    FlowFactory(workspace=workspace, enabled=False)
    body = list_page(owner_client, workspace)
    main = body[body.index("<main") : body.index("</main>")]
    assert not SNAKE_CASE.findall(main), SNAKE_CASE.findall(main)
    assert "refused our access: reconnect it" in main


def test_the_flow_page_says_its_health_in_words(owner_client, workspace):
    flow = FlowFactory(workspace=workspace)
    RunFactory(flow=flow, status="failed", dry_run=False)
    body = owner_client.get(reverse("sync:flow-detail", args=[workspace.pk, flow.pk]))
    health = body.content.decode().split('id="flow-health"')[1].split("</p>")[0]
    assert "Failing" in health and "The last run failed: open it for the reason" in health
