"""The reconciliation pages: who may see and do what, the report with its items by kind and
their differing fields, and the buttons (Reconcile now, Re-sync these, Re-sync all drifted),
which only enqueue work, once the request's transaction commits."""

import pytest
from django.urls import reverse

from accounts.models import Role
from sync import tasks
from sync.models import DriftItem, DriftReport, Flow
from tests.factories import FlowFactory, MembershipFactory

LOGIN = "/accounts/login/"
Kind = DriftItem.Kind


@pytest.fixture
def flow(workspace):
    return FlowFactory(
        workspace=workspace, name="Customers into HighLevel", delete_policy="propagate"
    )


@pytest.fixture
def report(flow):
    report = DriftReport.objects.create(
        flow=flow,
        status=DriftReport.Status.DONE,
        source_count=120,
        target_count=118,
        only_in_source=1,
        only_in_target=2,
        differing=1,
        message="1 deleted in the source.",
    )
    fields = [{"field": "lastName", "source": "Lovelace", "target": "Outside 1"}]
    DriftItem.objects.bulk_create(
        [
            DriftItem(
                report=report, kind=Kind.DIFFERS, source_id="11", target_id="c11", fields=fields
            ),
            DriftItem(report=report, kind=Kind.ONLY_SOURCE, source_id="12", note="Never synced."),
            DriftItem(report=report, kind=Kind.ONLY_TARGET, source_id="13", target_id="c13"),
            DriftItem(report=report, kind=Kind.ONLY_TARGET, target_id="hand", note="By hand."),
        ]
    )
    return report


def item(report, kind, **fields):
    return report.items.get(kind=kind, **fields)


def url(name, flow, *extra):
    return reverse(f"sync:{name}", args=[flow.workspace_id, flow.pk, *extra])


def pages(flow, report):
    return [url("drift-list", flow), url("drift-detail", flow, report.pk)]


def posts(flow, report):
    return [url("drift-reconcile", flow), url("drift-resync", flow, report.pk)]


def as_role(client, workspace, role):
    client.force_login(MembershipFactory(workspace=workspace, role=role).user)
    return client


class Enqueued:
    """Stands in for a task: keeps what `delay_on_commit` was given."""

    def __init__(self):
        self.calls = []

    def delay_on_commit(self, *args):
        self.calls.append(args)


@pytest.fixture
def enqueued(monkeypatch):
    stubs = {"reconcile_run": Enqueued(), "drift_resync_run": Enqueued()}
    for name, stub in stubs.items():
        monkeypatch.setattr(tasks, name, stub)
    return stubs


# --- who may do what ---------------------------------------------------------------------------
def test_anonymous_visitors_are_sent_to_sign_in(client, flow, report):
    for address in pages(flow, report) + posts(flow, report):
        for method in (client.get, client.post):
            response = method(address)
            assert response.status_code == 302 and response.url.startswith(LOGIN), address


def test_outsiders_get_404_and_see_nothing(client, outsider, flow, report, enqueued):
    client.force_login(outsider)
    for address in pages(flow, report) + posts(flow, report):
        assert client.post(address, {"all": "1"}).status_code == 404, address
        assert client.get(address).status_code in (404, 405), address
    assert not enqueued["reconcile_run"].calls and not enqueued["drift_resync_run"].calls


def test_a_report_of_another_flow_or_workspace_is_not_found(owner_client, flow, workspace):
    other = DriftReport.objects.create(flow=FlowFactory(workspace=workspace))
    assert owner_client.get(url("drift-detail", flow, other.pk)).status_code == 404
    assert owner_client.post(url("drift-resync", flow, other.pk), {"all": "1"}).status_code == 404
    foreign = MembershipFactory(role=Role.OWNER)
    owner_client.force_login(foreign.user)
    address = reverse("sync:drift-list", args=[foreign.workspace_id, flow.pk])
    assert owner_client.get(address).status_code == 404


def test_viewers_read_the_reports_and_may_start_nothing(client, workspace, flow, report, enqueued):
    as_role(client, workspace, Role.VIEWER)
    listing = client.get(url("drift-list", flow)).content.decode()
    assert url("drift-detail", flow, report.pk) in listing and "Reconcile now" not in listing
    body = client.get(url("drift-detail", flow, report.pk)).content.decode()
    assert "Lovelace" in body and "Outside 1" in body
    assert 'name="ids"' not in body and "Re-sync" not in body
    for address in posts(flow, report):
        assert client.post(address, {"all": "1", "ids": ["1"]}).status_code == 403
    assert not enqueued["reconcile_run"].calls and not enqueued["drift_resync_run"].calls
    flow_page = client.get(reverse("sync:flow-detail", args=[workspace.pk, flow.pk]))
    assert "Reconcile now" not in flow_page.content.decode()


@pytest.mark.parametrize("role", [Role.OWNER, Role.EDITOR])
def test_owners_and_editors_get_the_buttons(client, workspace, flow, report, role):
    as_role(client, workspace, role)
    assert "Reconcile now</button>" in client.get(url("drift-list", flow)).content.decode()
    body = client.get(url("drift-detail", flow, report.pk)).content.decode()
    assert "Re-sync these</button>" in body and "Re-sync all drifted (3)</button>" in body
    # Every record but the one made by hand can be chosen.
    chosen = {item(report, Kind.DIFFERS).pk, item(report, Kind.ONLY_SOURCE).pk}
    chosen.add(item(report, Kind.ONLY_TARGET, source_id="13").pk)
    for pk in chosen:
        assert f'name="ids" value="{pk}"' in body
    assert f'value="{item(report, Kind.ONLY_TARGET, source_id="").pk}"' not in body


def test_post_only_views_refuse_a_get(owner_client, flow, report):
    for address in posts(flow, report):
        assert owner_client.get(address).status_code == 405, address


# --- the pages ---------------------------------------------------------------------------------
def test_the_report_lists_counts_and_filters_items_by_kind(owner_client, flow, report):
    body = owner_client.get(url("drift-detail", flow, report.pk)).content.decode()
    for words in ("120</strong>", "118</strong>", "1 deleted in the source.", "Never synced."):
        assert words in body
    only = owner_client.get(url("drift-detail", flow, report.pk) + "?kind=differs")
    text = only.content.decode()
    assert "Lovelace" in text and "Never synced." not in text and "By hand." not in text
    everything = owner_client.get(url("drift-detail", flow, report.pk) + "?kind=nonsense")
    assert "Never synced." in everything.content.decode()


def test_the_flow_page_shows_the_latest_report_and_the_button(owner_client, flow, report):
    DriftReport.objects.create(flow=flow, status=DriftReport.Status.FAILED)  # newer
    body = owner_client.get(reverse("sync:flow-detail", args=[flow.workspace_id, flow.pk]))
    text = body.content.decode()
    assert "Reconcile now</button>" in text and url("drift-list", flow) in text
    newest = flow.drift_reports.first()
    assert newest.status == "failed" and url("drift-detail", flow, newest.pk) in text


def test_a_flow_never_reconciled_says_so(owner_client, flow):
    body = owner_client.get(url("drift-list", flow)).content.decode()
    assert "No reconciliation yet." in body


# --- the buttons -------------------------------------------------------------------------------
def test_reconcile_now_is_enqueued_on_commit(
    owner_client, flow, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = owner_client.post(url("drift-reconcile", flow), follow=True)
    assert len(callbacks) == 1  # reconcile_run.delay_on_commit(flow.pk)
    assert "Reconciliation started" in response.content.decode()
    assert response.redirect_chain[-1][0] == url("drift-list", flow)


def test_reconcile_now_starts_the_task_for_this_flow(owner_client, flow, enqueued):
    owner_client.post(url("drift-reconcile", flow))
    assert enqueued["reconcile_run"].calls == [(flow.pk,)]


def test_reconcile_now_is_refused_while_one_is_running(owner_client, flow, enqueued):
    running = DriftReport.objects.create(flow=flow)  # status running
    response = owner_client.post(url("drift-reconcile", flow), follow=True)
    assert "already running" in response.content.decode()
    assert not enqueued["reconcile_run"].calls
    listing = owner_client.get(url("drift-list", flow)).content.decode()
    assert url("drift-detail", flow, running.pk) in listing and "disabled" in listing


def test_re_syncing_the_ticked_records_takes_only_repairable_ones_of_this_report(
    owner_client, flow, report, workspace, enqueued
):
    differs, hand = item(report, Kind.DIFFERS), item(report, Kind.ONLY_TARGET, source_id="")
    elsewhere = DriftItem.objects.create(
        report=DriftReport.objects.create(flow=FlowFactory(workspace=workspace)),
        kind=Kind.DIFFERS,
        source_id="99",
    )
    ids = [differs.pk, hand.pk, elsewhere.pk, "x", ""]
    response = owner_client.post(url("drift-resync", flow, report.pk), {"ids": ids}, follow=True)
    assert enqueued["drift_resync_run"].calls == [(report.pk, [differs.pk])]
    assert "Re-syncing 1 record:" in response.content.decode()


def test_re_syncing_all_drifted_takes_those_not_yet_repaired(owner_client, flow, report, enqueued):
    DriftItem.objects.filter(report=report, kind=Kind.ONLY_SOURCE).update(repaired=True)
    response = owner_client.post(url("drift-resync", flow, report.pk), {"all": "1"}, follow=True)
    assert enqueued["drift_resync_run"].calls == [(report.pk, None)]
    assert "Re-syncing 2 records" in response.content.decode()


def test_deletes_a_flow_ignores_are_not_offered(owner_client, flow, report, enqueued):
    Flow.objects.filter(pk=flow.pk).update(delete_policy=Flow.DeletePolicy.IGNORE)
    body = owner_client.get(url("drift-detail", flow, report.pk)).content.decode()
    deleted = item(report, Kind.ONLY_TARGET, source_id="13")
    assert f'value="{deleted.pk}"' not in body and "Re-sync all drifted (2)" in body
    owner_client.post(url("drift-resync", flow, report.pk), {"ids": [deleted.pk]})
    assert not enqueued["drift_resync_run"].calls


def test_re_syncing_nothing_or_only_made_by_hand_says_so(owner_client, flow, report, enqueued):
    response = owner_client.post(url("drift-resync", flow, report.pk), {}, follow=True)
    assert "Tick the records to re-sync" in response.content.decode()
    hand = item(report, Kind.ONLY_TARGET, source_id="")
    response = owner_client.post(
        url("drift-resync", flow, report.pk), {"ids": [hand.pk]}, follow=True
    )
    assert "Nothing to re-sync" in response.content.decode()
    assert not enqueued["drift_resync_run"].calls


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"status": DriftReport.Status.FAILED}, "did not finish"),
        ({"flow_mode": Flow.Mode.TEST}, "test mode"),
        ({"flow_enabled": False}, "paused"),
    ],
)
def test_a_re_sync_is_refused_with_the_reason(owner_client, flow, report, enqueued, change, words):
    if "status" in change:
        DriftReport.objects.filter(pk=report.pk).update(status=change["status"])
    if "flow_mode" in change:
        Flow.objects.filter(pk=flow.pk).update(mode=change["flow_mode"])
    if "flow_enabled" in change:
        Flow.objects.filter(pk=flow.pk).update(enabled=False)
    page = owner_client.get(url("drift-detail", flow, report.pk)).content.decode()
    assert words in page and 'name="ids"' not in page
    response = owner_client.post(url("drift-resync", flow, report.pk), {"all": "1"}, follow=True)
    assert words in response.content.decode()
    assert not enqueued["drift_resync_run"].calls
