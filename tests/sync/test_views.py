"""The flow pages: who may see and do what, the flow form's checks, going live, runs and
their polled progress, dead-letter replays, and the catalogue page."""

import json
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from integrations.models import Connection
from mappings.models import Mapping
from sync import actions, tasks
from sync.models import Flow, PendingChange, Run, RunItem
from tests.factories import (
    ConnectionFactory,
    FlowFactory,
    MappingFactory,
    MembershipFactory,
    RunFactory,
)
from tests.sync.conftest import form_data

LOGIN = "/accounts/login/"
HX = {"HX-Request": "true"}


@pytest.fixture
def flow(workspace):
    return FlowFactory(workspace=workspace, name="Customers into HighLevel", mode="test")


@pytest.fixture
def run(flow):
    return RunFactory(flow=flow, processed=3, total=3, created=1, updated=1, failed=1)


def as_role(client, workspace, role):
    client.force_login(MembershipFactory(workspace=workspace, role=role).user)
    return client


def url(name, flow=None, *extra, workspace=None):
    args = [workspace.pk if workspace else flow.workspace_id]
    if flow is not None and name not in ("flow-list", "flow-new", "catalogue"):
        args.append(flow.pk)
    return reverse(f"sync:{name}", args=[*args, *extra])


READ_PAGES = ["flow-list", "catalogue", "flow-detail"]
EDITOR_PAGES = ["flow-new", "flow-edit", "flow-delete"]
POSTS = ["flow-run", "flow-mode", "flow-pause", "flow-resume", "flow-replay"]


def all_urls(flow, run):
    pages = [url(name, flow) for name in READ_PAGES + EDITOR_PAGES + POSTS]
    return [*pages, url("run-detail", flow, run.pk)]


# --- who may do what ---------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_sign_in(client, flow, run):
    for address in all_urls(flow, run):
        for method in (client.get, client.post):
            response = method(address)
            assert response.status_code == 302 and response.url.startswith(LOGIN), address


def test_outsiders_get_404_for_every_flow_page(client, outsider, flow, run):
    client.force_login(outsider)
    for address in all_urls(flow, run):
        assert client.post(address).status_code == 404, address
        assert client.get(address).status_code in (404, 405), address


def test_another_workspaces_flow_is_not_found_under_ones_own_workspace(client, flow, run):
    other = MembershipFactory(role=Role.OWNER)
    client.force_login(other.user)
    foreign = reverse("sync:flow-detail", args=[other.workspace_id, flow.pk])
    assert client.get(foreign).status_code == 404
    foreign_run = reverse("sync:run-detail", args=[other.workspace_id, flow.pk, run.pk])
    assert client.get(foreign_run).status_code == 404


def test_a_run_of_another_flow_is_not_found(owner_client, flow, workspace):
    other_run = RunFactory(flow=FlowFactory(workspace=workspace))
    assert owner_client.get(url("run-detail", flow, other_run.pk)).status_code == 404


def test_viewers_see_the_pages_but_may_change_nothing(client, workspace, flow, run):
    as_role(client, workspace, Role.VIEWER)
    for name in READ_PAGES:
        assert client.get(url(name, flow)).status_code == 200, name
    assert client.get(url("run-detail", flow, run.pk)).status_code == 200
    for name in EDITOR_PAGES:
        assert client.get(url(name, flow)).status_code == 403, name
    for name in EDITOR_PAGES + POSTS:
        assert client.post(url(name, flow), {"dry_run": "1", "mode": "live"}).status_code == 403
    flow.refresh_from_db()
    assert flow.mode == Flow.Mode.TEST and flow.enabled and flow.runs.count() == 1
    body = client.get(url("flow-detail", flow)).content.decode()
    assert "Dry run</button>" not in body and "Go live</button>" not in body
    assert ">Edit<" not in body


@pytest.mark.parametrize("role", [Role.OWNER, Role.EDITOR])
def test_owners_and_editors_see_every_page_and_the_buttons(client, workspace, flow, run, role):
    as_role(client, workspace, role)
    for name in READ_PAGES + EDITOR_PAGES:
        assert client.get(url(name, flow)).status_code == 200, name
    assert client.get(url("run-detail", flow, run.pk)).status_code == 200
    body = client.get(url("flow-detail", flow)).content.decode()
    assert "Dry run</button>" in body and "Go live</button>" in body and ">Edit<" in body


def test_post_only_views_refuse_a_get(owner_client, flow):
    for name in POSTS:
        assert owner_client.get(url(name, flow)).status_code == 405, name


# --- the list --------------------------------------------------------------------------------
def test_the_list_shows_a_card_per_flow(owner_client, workspace, flow, run):
    live = FlowFactory(workspace=workspace, name="Back to the store", enabled=False)
    PendingChange.objects.create(flow=live, source_id="c1", status=PendingChange.Status.DEAD)
    body = owner_client.get(url("flow-list", workspace=workspace)).content.decode()
    assert "Customers into HighLevel" in body and "Back to the store" in body
    assert flow.source_connection.name in body and flow.mapping.name in body
    assert flow.target_connection.name in body
    assert "Test mode" in body and "Live" in body and "Paused" in body
    assert "Succeeded" in body and "Dry run" in body and "Never run" in body
    assert "1 waiting for a replay" in body
    assert reverse("sync:run-detail", args=[workspace.pk, flow.pk, run.pk]) in body
    assert "New flow" in body


def test_the_list_is_a_fixed_number_of_queries(
    owner_client, workspace, django_assert_max_num_queries
):
    def queries() -> int:
        with CaptureQueriesContext(db_connection) as context:
            assert owner_client.get(url("flow-list", workspace=workspace)).status_code == 200
        return len(context.captured_queries)

    RunFactory(flow=FlowFactory(workspace=workspace))
    queries()  # the first visit also remembers the workspace in the session
    one = queries()
    for _ in range(5):
        flow = FlowFactory(workspace=workspace)
        RunFactory.create_batch(3, flow=flow)
        PendingChange.objects.create(flow=flow, source_id="x", status=PendingChange.Status.DEAD)
    assert queries() == one
    with django_assert_max_num_queries(one):
        owner_client.get(url("flow-list", workspace=workspace))


def test_an_empty_list_says_what_to_do_first(client, owner_client, workspace):
    body = owner_client.get(url("flow-list", workspace=workspace)).content.decode()
    assert "No flows yet" in body and "This workspace has 0 connections." in body
    assert "Add connections" in body and "Create your first flow" not in body
    ConnectionFactory(workspace=workspace)
    ConnectionFactory(workspace=workspace, provider="highlevel")
    body = owner_client.get(url("flow-list", workspace=workspace)).content.decode()
    assert "Create your first flow" in body and "Add connections" not in body
    assert (
        f'class="button primary" href="{reverse("sync:recipe-list", args=[workspace.pk])}"' in body
    )
    body = as_role(client, workspace, Role.VIEWER).get(url("flow-list", workspace=workspace))
    body = body.content.decode()
    assert "Ask an owner or editor" in body and "Create your first flow" not in body


def test_the_nav_leads_to_the_real_flow_list(owner_client, workspace):
    body = owner_client.get(url("flow-list", workspace=workspace)).content.decode()
    assert f'href="{url("flow-list", workspace=workspace)}" aria-current="page"' in body


# --- the flow form ---------------------------------------------------------------------------
def errors_of(response) -> str:
    assert response.status_code == 200
    return str(response.context["form"].errors)


def test_a_new_flow_with_an_existing_mapping_starts_in_test_mode(owner_client, workspace, pair):
    mapping = MappingFactory(workspace=workspace)
    response = owner_client.post(url("flow-new", workspace=workspace), form_data(*pair, mapping))
    flow = Flow.objects.get(name="Shop customers")
    assert response.status_code == 302 and response.url == url("flow-detail", flow)
    assert flow.mode == Flow.Mode.TEST and flow.mapping == mapping
    assert flow.poll_minutes == 15 and flow.schedule_timezone == "Europe/London"
    assert flow.trigger_webhook and flow.schedule_time.hour == 2


def test_a_new_flow_can_start_its_mapping_from_the_preset(owner_client, workspace, pair):
    data = form_data(*pair, "preset")
    response = owner_client.post(url("flow-new", workspace=workspace), data)
    assert response.status_code == 302
    flow = Flow.objects.get(name="Shop customers")
    assert flow.mapping.name == "Shop → CRM" and flow.mapping.version == 1
    assert (flow.mapping.source_provider, flow.mapping.target_provider) == ("ecwid", "highlevel")
    # A second one gets a name of its own.
    owner_client.post(url("flow-new", workspace=workspace), {**data, "name": "Again"})
    assert Flow.objects.get(name="Again").mapping.name == "Shop → CRM (2)"


def test_a_mapping_for_another_pair_is_refused_with_the_reason(owner_client, workspace, pair):
    wrong = MappingFactory(workspace=workspace, name="Cin7 one", source_provider="cin7")
    response = owner_client.post(url("flow-new", workspace=workspace), form_data(*pair, wrong))
    errors = errors_of(response)
    assert "“Cin7 one” maps Cin7 Core → HighLevel" in errors
    assert "this flow goes Ecwid by Lightspeed → HighLevel" in errors
    assert not Flow.objects.exists()


def test_a_mapping_of_another_workspace_is_not_offered(owner_client, workspace, pair):
    foreign = MappingFactory()
    response = owner_client.post(url("flow-new", workspace=workspace), form_data(*pair, foreign))
    assert "Choose a mapping from the list." in errors_of(response)


def test_a_pair_with_neither_preset_nor_mapping_is_refused(owner_client, workspace, pair):
    other_store = ConnectionFactory(workspace=workspace, provider="cscart", name="Other shop")
    data = form_data(pair[0], other_store, "preset", trigger_webhook="")
    errors = errors_of(owner_client.post(url("flow-new", workspace=workspace), data))
    assert "There is no preset for Ecwid by Lightspeed → CS-Cart" in errors


def test_the_same_connection_on_both_sides_is_refused(owner_client, workspace, pair):
    data = form_data(pair[0], pair[0], "preset")
    errors = errors_of(owner_client.post(url("flow-new", workspace=workspace), data))
    assert "The target must be another connection." in errors


def test_webhooks_are_not_offered_for_a_source_that_sends_none(owner_client, workspace, pair):
    cscart = ConnectionFactory(workspace=workspace, provider="cscart", name="Cart")
    mapping = MappingFactory(workspace=workspace, source_provider="cscart")
    data = form_data(cscart, pair[1], mapping, poll_minutes="")
    response = owner_client.post(url("flow-new", workspace=workspace), data)
    assert response.status_code == 302  # the box is disabled: its "on" is ignored
    assert Flow.objects.get(name="Shop customers").trigger_webhook is False
    page = owner_client.get(
        url("flow-new", workspace=workspace),
        {"refresh": "1", "source_connection": cscart.pk, "target_connection": pair[1].pk},
    ).content.decode()
    assert "CS-Cart sends no webhooks: poll it instead." in page


def test_actions_are_checked_with_the_actions_module(owner_client, workspace, pair):
    mapping = MappingFactory(workspace=workspace)
    new = url("flow-new", workspace=workspace)
    errors = errors_of(owner_client.post(new, form_data(*pair, mapping, actions="[{")))
    assert "This is not JSON we can read" in errors
    errors = errors_of(owner_client.post(new, form_data(*pair, mapping, actions='{"a": 1}')))
    assert "Write the actions as a list" in errors
    bad = '[{"type": "create_task"}]'
    errors = errors_of(owner_client.post(new, form_data(*pair, mapping, actions=bad)))
    assert errors.count("Action 1 (create_task)") >= 1
    assert actions.actions_problems([{"type": "create_task"}], "highlevel")[0] in errors
    good = '[{"type": "add_tags", "tags": ["shop"], "on": "created"}]'
    assert owner_client.post(new, form_data(*pair, mapping, actions=good)).status_code == 302
    assert Flow.objects.get().actions == [{"type": "add_tags", "tags": ["shop"], "on": "created"}]


def test_archiving_is_offered_only_into_highlevel(owner_client, workspace, pair):
    mapping = MappingFactory(
        workspace=workspace, source_provider="highlevel", target_provider="ecwid"
    )
    data = form_data(pair[1], pair[0], mapping, delete_policy="archive", trigger_webhook="")
    errors = errors_of(owner_client.post(url("flow-new", workspace=workspace), data))
    assert "delete_policy" in errors


def test_the_empty_form_lists_what_is_missing(owner_client, workspace):
    response = owner_client.post(url("flow-new", workspace=workspace), {})
    errors = errors_of(response)
    assert "name" in errors and "source_connection" in errors
    assert "Choose a mapping, or a new one from the preset." in errors


def test_choosing_connections_refreshes_the_choices_with_htmx(owner_client, workspace, pair):
    mine = MappingFactory(workspace=workspace, name="Ecwid mapping")
    MappingFactory(workspace=workspace, name="Cin7 mapping", source_provider="cin7")
    response = owner_client.get(
        url("flow-new", workspace=workspace),
        {"refresh": "1", "source_connection": pair[0].pk, "target_connection": pair[1].pk},
        headers=HX,
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="flow-fields">')
    assert f'<option value="{mine.pk}" selected>' in body  # the pair's only mapping
    assert "Cin7 mapping" not in body
    assert "A new mapping from the Ecwid by Lightspeed → HighLevel preset" in body
    assert "errorlist" not in body  # nothing was submitted yet


def test_editing_a_flow_saves_it(owner_client, flow):
    data = form_data(flow.source_connection, flow.target_connection, flow.mapping, name="Renamed")
    response = owner_client.post(url("flow-edit", flow), data)
    assert response.status_code == 302
    flow.refresh_from_db()
    assert flow.name == "Renamed" and flow.poll_minutes == 15 and flow.mode == Flow.Mode.TEST
    page = owner_client.get(url("flow-edit", flow)).content.decode()
    assert 'value="Renamed"' in page and "preset" not in page.split('name="mapping"')[1][:300]


def test_deleting_asks_first_and_refuses_while_a_run_is_in_flight(owner_client, flow):
    page = owner_client.get(url("flow-delete", flow)).content.decode()
    assert "Delete “Customers into HighLevel”?" in page and "Delete the flow" in page
    running = RunFactory(flow=flow, status="running", in_flight=True, finished_at=None)
    assert "Wait for it to finish" in owner_client.get(url("flow-delete", flow)).content.decode()
    response = owner_client.post(url("flow-delete", flow), follow=True)
    assert "A run of this flow is in progress" in response.content.decode()
    assert Flow.objects.filter(pk=flow.pk).exists()
    running.delete()
    response = owner_client.post(url("flow-delete", flow))
    assert response.status_code == 302 and response.url == url("flow-list", flow)
    assert not Flow.objects.filter(pk=flow.pk).exists()


# --- running -----------------------------------------------------------------------------------
def test_a_dry_run_is_queued_and_enqueued_on_commit(
    owner_client, flow, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = owner_client.post(url("flow-run", flow), {"dry_run": "1"})
    run = Run.objects.get(flow=flow)
    assert run.dry_run and run.status == Run.Status.QUEUED and run.trigger == "manual"
    assert response.status_code == 302 and response.url == url("run-detail", flow, run.pk)
    assert len(callbacks) == 1  # run_flow.delay_on_commit(run.id)


def test_run_now_in_test_mode_is_refused_with_the_reason(owner_client, flow):
    response = owner_client.post(url("flow-run", flow), {"dry_run": "0"}, follow=True)
    assert "This flow is in test mode: it can only dry-run." in response.content.decode()
    assert not Run.objects.exists()


def test_a_second_run_is_refused_while_one_is_in_flight(owner_client, flow):
    RunFactory(flow=flow, status="running", in_flight=True, finished_at=None)
    response = owner_client.post(url("flow-run", flow), {"dry_run": "1"}, follow=True)
    body = response.content.decode()
    assert "Another run of this flow is in progress" in body
    assert "follow its progress" in body
    assert flow.runs.count() == 1


def test_a_paused_flow_does_not_run(owner_client, flow):
    owner_client.post(url("flow-pause", flow))
    flow.refresh_from_db()
    assert not flow.enabled
    body = owner_client.post(url("flow-run", flow), {"dry_run": "1"}, follow=True)
    assert "This flow is paused." in body.content.decode()
    owner_client.post(url("flow-resume", flow))
    flow.refresh_from_db()
    assert flow.enabled


def test_run_now_on_a_live_flow_writes(owner_client, workspace, django_capture_on_commit_callbacks):
    flow = FlowFactory(workspace=workspace, mode="live")
    with django_capture_on_commit_callbacks() as callbacks:
        owner_client.post(url("flow-run", flow), {"dry_run": "0"})
    assert Run.objects.get(flow=flow).dry_run is False and len(callbacks) == 1


# --- going live -------------------------------------------------------------------------------
def test_going_live_with_a_healthy_mapping(owner_client, flow, monkeypatch):
    monkeypatch.setattr("sync.services.mapping_ready_for_live", lambda mapping: [])
    response = owner_client.post(url("flow-mode", flow), {"mode": "live"}, follow=True)
    flow.refresh_from_db()
    assert flow.is_live and "The flow is live" in response.content.decode()
    owner_client.post(url("flow-mode", flow), {"mode": "test"})
    flow.refresh_from_db()
    assert not flow.is_live


def test_going_live_is_refused_with_the_reasons_and_a_link_to_fix(owner_client, flow, monkeypatch):
    monkeypatch.setattr(
        "sync.services.mapping_ready_for_live",
        lambda mapping: ["drift: email — The field is gone from HighLevel."],
    )
    Connection.objects.filter(pk=flow.target_connection_id).update(status="needs_reconnect")
    response = owner_client.post(url("flow-mode", flow), {"mode": "live"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "This flow cannot go live yet." in body
    assert "drift: email — The field is gone from HighLevel." in body
    assert "is Needs reconnect" in body
    editor = reverse("mappings:mapping-detail", args=[flow.workspace_id, flow.mapping_id])
    assert f'href="{editor}"' in body and "Fix the mapping" in body
    flow.refresh_from_db()
    assert flow.mode == Flow.Mode.TEST


def test_an_unknown_mode_changes_nothing(owner_client, flow):
    response = owner_client.post(url("flow-mode", flow), {"mode": "sideways"}, follow=True)
    assert "Choose test or live mode." in response.content.decode()
    flow.refresh_from_db()
    assert flow.mode == Flow.Mode.TEST


def test_the_page_warns_about_a_mapping_with_problems(owner_client, flow):
    Mapping.objects.filter(pk=flow.mapping_id).update(
        problems=[{"rule": "", "field": "email", "reason": "gone", "kind": "drift"}]
    )
    body = owner_client.get(url("flow-detail", flow)).content.decode()
    assert "The mapping has 1 problem: fix it before going live." in body


# --- dead letters ------------------------------------------------------------------------------
def dead(flow, source_id, **extra):
    return PendingChange.objects.create(
        flow=flow,
        source_id=source_id,
        status=PendingChange.Status.DEAD,
        attempts=5,
        last_error="HighLevel refused the e-mail",
        error_kind="validation",
        **extra,
    )


def test_the_page_lists_dead_letters_in_words(owner_client, flow):
    dead(flow, "cust-1")
    body = owner_client.get(url("flow-detail", flow)).content.decode()
    assert "cust-1" in body and "Rejected as invalid" in body
    assert "HighLevel refused the e-mail" in body and "Replay all 1" in body


def test_replaying_one_selected_or_all(owner_client, flow, monkeypatch):
    monkeypatch.delattr(tasks, "changes_process", raising=False)
    one, two, three = dead(flow, "a"), dead(flow, "b"), dead(flow, "c")
    response = owner_client.post(url("flow-replay", flow), {"one": one.pk, "ids": [two.pk]})
    assert response.status_code == 302
    one.refresh_from_db(), two.refresh_from_db()
    assert one.status == "pending" and one.origin == "replay" and one.not_before is None
    assert one.attempts == 0 and two.status == "dead"
    owner_client.post(url("flow-replay", flow), {"ids": [two.pk]})
    two.refresh_from_db()
    assert two.status == "pending"
    response = owner_client.post(url("flow-replay", flow), {"all": "1"}, follow=True)
    three.refresh_from_db()
    assert three.status == "pending"
    assert "Nothing applies queued changes on this installation yet" in response.content.decode()


def test_a_replay_collapses_into_a_pending_change_of_the_same_record(owner_client, flow):
    letter = dead(flow, "a")
    later = PendingChange.objects.create(flow=flow, source_id="a", not_before="2099-01-01T00:00Z")
    owner_client.post(url("flow-replay", flow), {"all": "1"})
    letter.refresh_from_db(), later.refresh_from_db()
    assert letter.status == "done" and later.status == "pending" and later.not_before is None


def test_a_replay_enqueues_the_change_processor_when_there_is_one(
    owner_client, flow, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []

    class Task:
        @staticmethod
        def delay_on_commit(flow_id):
            calls.append(flow_id)

    monkeypatch.setattr(tasks, "changes_process", Task, raising=False)
    dead(flow, "a")
    response = owner_client.post(url("flow-replay", flow), {"all": "1"}, follow=True)
    assert calls == [flow.pk] and "Replaying 1 dead letter." in response.content.decode()


def test_replaying_nothing_says_so(owner_client, flow, workspace):
    response = owner_client.post(url("flow-replay", flow), {}, follow=True)
    assert "Tick the dead letters to replay" in response.content.decode()
    foreign = dead(FlowFactory(workspace=workspace), "x")
    response = owner_client.post(url("flow-replay", flow), {"ids": [foreign.pk]}, follow=True)
    assert "Nothing to replay" in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.status == "dead"  # another flow's letter stays as it was


# --- the run page -----------------------------------------------------------------------------
def test_the_run_page_shows_counts_progress_and_each_record(owner_client, flow, run):
    RunItem.objects.create(
        run=run,
        source_id="s1",
        target_id="t1",
        outcome="updated",
        diff=[{"field": "email", "before": "old@example.com", "after": "new@example.com"}],
    )
    RunItem.objects.create(
        run=run, source_id="s2", outcome="failed", reason="No e-mail", error_kind="validation"
    )
    body = owner_client.get(url("run-detail", flow, run.pk)).content.decode()
    assert "Dry run: nothing written" in body and "Succeeded" in body
    # A dry run wrote nothing: its outcomes say what a live run would do.
    assert "would be created" in body and 'status-updated">Would update<' in body
    assert '<progress class="sr-only" max="3" value="3">' in body
    assert 'old@example.com</span> → <span class="after">new@example.com' in body
    assert "Rejected as invalid" in body and "No e-mail" in body
    assert 'hx-trigger="every 2s"' not in body  # finished: nothing polls


def test_progress_is_polled_only_while_the_run_is_running(owner_client, flow):
    running = RunFactory(
        flow=flow,
        status="running",
        in_flight=True,
        started_at=timezone.now() - timedelta(seconds=60),
        finished_at=None,
        total=200,
        processed=50,
    )
    address = url("run-detail", flow, running.pk)
    page = owner_client.get(address).content.decode()
    assert 'hx-trigger="every 2s"' in page and "(25%)" in page
    assert "about 3 min left" in page  # 50 in a minute, 150 to go
    fragment = owner_client.get(address, headers={**HX, "HX-Target": "run-progress"})
    assert fragment.status_code == 200 and 'hx-trigger="every 2s"' in fragment.content.decode()
    assert "<html" not in fragment.content.decode()
    Run.objects.filter(pk=running.pk).update(status="succeeded", in_flight=False, processed=200)
    done = owner_client.get(address, headers={**HX, "HX-Target": "run-progress"})
    assert done.status_code == 286  # htmx stops polling
    assert 'hx-trigger="every 2s"' not in done.content.decode()
    assert "Succeeded" in done.content.decode() and "run-finished" in json.loads(done["HX-Trigger"])


def test_a_queued_run_polls_too_and_a_waiting_one_now_and_then(owner_client, flow):
    queued = RunFactory(flow=flow, status="queued", in_flight=True, started_at=None)
    page = owner_client.get(url("run-detail", flow, queued.pk)).content.decode()
    assert 'hx-trigger="every 2s"' in page and "waiting for a worker" in page
    # Waiting for the daily budget: still in flight, so the page notices when it carries on,
    # but it looks again every 30 seconds, not every 2.
    Run.objects.filter(pk=queued.pk).update(status="waiting")
    page = owner_client.get(url("run-detail", flow, queued.pk)).content.decode()
    assert 'hx-trigger="every 30s"' in page and "Waiting for budget" in page
    assert 'hx-trigger="every 2s"' not in page


def test_records_are_paged_fifty_at_a_time_and_filtered_by_outcome(owner_client, flow, run):
    RunItem.objects.bulk_create(
        [RunItem(run=run, source_id=f"u{i}", outcome="updated") for i in range(60)]
        + [RunItem(run=run, source_id=f"f{i}", outcome="failed") for i in range(3)]
    )
    address = url("run-detail", flow, run.pk)
    first = owner_client.get(address).context["page"]
    assert len(first.items) == 50 and first.has_next and not first.has_previous
    second = owner_client.get(address, {"after": first.last_pk}).context["page"]
    assert [i.source_id for i in second.items] == [
        *(f"u{i}" for i in range(50, 60)),
        "f0",
        "f1",
        "f2",
    ]
    assert second.has_previous and not second.has_next
    back = owner_client.get(address, {"before": second.first_pk}).context["page"]
    assert [i.pk for i in back.items] == [i.pk for i in first.items]
    failed = owner_client.get(address, {"outcome": "failed"}).context["page"]
    assert [i.source_id for i in failed.items] == ["f0", "f1", "f2"]
    fragment = owner_client.get(
        address, {"outcome": "failed"}, headers={**HX, "HX-Target": "run-items"}
    )
    body = fragment.content.decode()
    assert body.lstrip().startswith('<section class="card" id="run-items"') and "f2" in body
    assert "u1" not in body
    nonsense = owner_client.get(address, {"outcome": "<b>", "after": "x", "before": "-1"})
    assert nonsense.status_code == 200 and nonsense.context["outcome"] == ""
    assert len(nonsense.context["page"].items) == 50


# --- the catalogue page --------------------------------------------------------------------------
def test_the_catalogue_page_searches_and_filters(viewer_client, workspace):
    address = url("catalogue", workspace=workspace)
    body = viewer_client.get(address).content.decode()
    assert "Upsert contact" in body and "Customer deleted" in body and "Cin7 Core" in body
    body = viewer_client.get(address, {"q": "tags contactId"}).content.decode()
    assert "Add tags" in body and "Remove tags" in body and "Upsert contact" not in body
    body = viewer_client.get(address, {"provider": "ecwid", "kind": "trigger"}).content.decode()
    assert "Customer created" in body and "Create customer" not in body
    assert "HighLevel</h2>" not in body
    # The filter links keep the other filters, and work without JavaScript.
    assert 'href="?provider=cscart&amp;kind=trigger"' in body


def test_the_catalogue_live_search_swaps_only_the_results(viewer_client, workspace):
    response = viewer_client.get(
        url("catalogue", workspace=workspace),
        {"q": "deleted webhook"},
        headers={**HX, "HX-Target": "catalogue-results"},
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="catalogue-results">') and "<html" not in body
    assert "Contact deleted" in body and "Add tags" not in body


def test_a_catalogue_search_with_no_match_says_so(viewer_client, workspace):
    body = viewer_client.get(
        url("catalogue", workspace=workspace), {"q": "zzzz", "provider": "nope"}
    ).content.decode()
    assert "Nothing matches" in body and "0 matches" in body
