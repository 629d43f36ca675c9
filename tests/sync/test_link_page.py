"""One linked record's page ("why did this change?"): who may see it, each side's fields as
last synced with the run that wrote them, the record's recent run items and open conflicts."""

import pytest
from django.urls import reverse

from sync.models import Conflict, RecordLink, Run, RunItem
from sync.runner import run_execute
from sync.runs import run_start
from tests.factories import FlowFactory, RunFactory
from tests.sync.conftest import ecwid_to_highlevel

LOGIN = "/accounts/login/"


def page_url(link):
    return reverse("sync:link-detail", args=[link.flow.workspace_id, link.flow_id, link.pk])


def run_url(run):
    return reverse("sync:run-detail", args=[run.flow.workspace_id, run.flow_id, run.pk])


@pytest.fixture
def flow(workspace):
    return FlowFactory(workspace=workspace, name="Customers into HighLevel")


@pytest.fixture
def link(flow):
    return RecordLink.objects.create(flow=flow, source_id="cust-1", target_id="contact-1")


def test_anonymous_visitors_are_sent_to_sign_in(client, link):
    for method in (client.get, client.post):
        response = method(page_url(link))
        assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_outsiders_get_404(outsider_client, link):
    assert outsider_client.get(page_url(link)).status_code == 404
    assert outsider_client.post(page_url(link)).status_code == 404


def test_viewers_read_it(viewer_client, link):
    response = viewer_client.get(page_url(link))
    assert response.status_code == 200 and "cust-1" in response.content.decode()


def test_another_flows_record_is_not_found(owner_client, link, workspace):
    other = FlowFactory(workspace=workspace)
    foreign = reverse("sync:link-detail", args=[workspace.pk, other.pk, link.pk])
    assert owner_client.get(foreign).status_code == 404
    assert owner_client.get(page_url(link)).status_code == 200


def test_values_are_shown_as_words_with_who_set_them(owner_client, flow, link):
    kept = RunFactory(flow=flow)
    link.provenance = {
        "target": {
            "tags": {
                "value": ["vip", "wholesale"],
                "run": kept.pk,
                "at": "2026-05-06T07:08:09+00:00",
                "version": 3,
            },
            "phone": {
                "value": None,
                "run": 999999,
                "at": "2026-05-01T00:00:00+00:00",
                "version": 2,
            },
            "lastName": {
                "value": "Typed",
                "run": None,
                "at": "2026-05-07T00:00:00+00:00",
                "version": None,
                "conflict": 7,
            },
        }
    }
    link.save()
    body = owner_client.get(page_url(link)).content.decode()
    assert '<td class="wrap">vip, wholesale</td>' in body
    assert '<td class="wrap">(empty)</td>' in body
    assert f'href="{run_url(kept)}">run {kept.pk}</a>' in body
    assert "2026-05-06 07:08:09 UTC" in body and "v3" in body
    assert "run 999999 <span" in body and "(no longer kept)" in body  # pruned: no link
    assert "a conflict resolved by hand" in body
    assert "Nothing synced on this side yet: this flow only writes to the target." in body


def test_the_records_open_conflicts_link_to_the_queue(owner_client, flow, link):
    Conflict.objects.create(
        flow=flow, link=link, field="lastName", source_value="Lee", target_value=["a", "b"]
    )
    Conflict.objects.create(
        flow=flow, link=link, field="email", status="resolved", source_value="gone@example.com"
    )
    body = owner_client.get(page_url(link)).content.decode()
    assert "Open conflicts" in body and "source Lee, target a, b" in body
    assert "gone@example.com" not in body  # resolved ones are history
    queue = reverse("sync:conflict-list", args=[flow.workspace_id, flow.pk])
    assert f'href="{queue}#conflict-' in body


def test_the_recent_run_items_are_the_records_own_either_way(owner_client, flow, link):
    run = RunFactory(flow=flow, dry_run=False)
    RunItem.objects.create(
        run=run,
        source_id="cust-1",
        target_id="contact-1",
        outcome="updated",
        diff=[{"field": "lastName", "before": "Old", "after": "New"}],
    )
    RunItem.objects.create(
        run=run,
        direction="backward",
        source_id="contact-1",
        target_id="cust-1",
        outcome="failed",
        reason="Ecwid said no",
        error_kind="validation",
    )
    RunItem.objects.create(run=run, source_id="cust-2", outcome="updated", reason="someone else")
    body = owner_client.get(page_url(link)).content.decode()
    assert 'Old</span> → <span class="after">New' in body
    assert "Target → source" in body and "Ecwid said no" in body and "Rejected as invalid" in body
    assert "someone else" not in body


# --- against the sandboxes -----------------------------------------------------------------------
def test_the_page_shows_the_fields_the_run_wrote_and_the_run(
    sandboxes, owner_client, workspace, owner
):
    flow = ecwid_to_highlevel(workspace, owner)
    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert run.status == Run.Status.SUCCEEDED, run.message
    link = RecordLink.objects.filter(flow=flow).exclude(target_id="").order_by("pk").first()

    body = owner_client.get(page_url(link)).content.decode()

    written = link.provenance["target"]
    assert {"email", "firstName", "lastName"} <= set(written)
    for name in ("email", "firstName", "lastName"):
        assert f"<td><code>{name}</code></td>" in body
        assert f'<td class="wrap">{written[name]["value"]}</td>' in body
    assert body.count(f'href="{run_url(run)}">run {run.pk}</a>') >= len(written) + 1
    assert f"v{flow.mapping.version}" in body
    assert 'status-created">Created</span>' in body and "Source → target" in body  # its item
    assert link.source_id in body and link.target_id in body
