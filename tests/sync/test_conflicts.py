"""The conflicts queue: who may see and decide, the values in words, and each resolution
making the winner's value flow — against the sandboxes where something is written."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from integrations.providers.base import ObjectType
from integrations.providers.registry import adapter_for
from sync import conflicts, tasks
from sync.models import Conflict, Flow, PendingChange, RecordLink, Run
from sync.runner import run_execute
from sync.runs import run_start
from tests.factories import FlowFactory, MappingFactory, MembershipFactory
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID
from tests.integrations.providers.highlevel.contract import HARNESS as HIGHLEVEL
from tests.sync.conftest import both_ways, ecwid_to_highlevel

LOGIN = "/accounts/login/"


def list_url(flow, **query):
    address = reverse("sync:conflict-list", args=[flow.workspace_id, flow.pk])
    return address + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def resolve_url(flow):
    return reverse("sync:conflict-resolve", args=[flow.workspace_id, flow.pk])


def hold(flow, link, field="lastName", **values) -> Conflict:
    """A conflict as the runner holds it during a forward pass (only the source's update
    time known)."""
    fields = {
        "source_value": "Source",
        "target_value": "Target",
        "last_value": "Last",
        "source_updated_at": timezone.now(),
    }
    return Conflict.objects.create(flow=flow, link=link, field=field, **{**fields, **values})


# --- a flow without sandboxes: pages, permissions, validation ------------------------------------
@pytest.fixture
def flow(workspace):
    return FlowFactory(workspace=workspace, name="Customers into HighLevel")


@pytest.fixture
def link(flow):
    return RecordLink.objects.create(flow=flow, source_id="cust-1", target_id="contact-1")


@pytest.fixture
def conflict(flow, link):
    return hold(flow, link)


def test_anonymous_visitors_are_sent_to_sign_in(client, flow, conflict):
    for address in (list_url(flow), resolve_url(flow)):
        for method in (client.get, client.post):
            response = method(address)
            assert response.status_code == 302 and response.url.startswith(LOGIN), address


def test_outsiders_get_404(client, outsider, flow, conflict):
    client.force_login(outsider)
    assert client.get(list_url(flow)).status_code == 404
    assert client.post(list_url(flow)).status_code == 404
    response = client.post(resolve_url(flow), {"one": conflict.pk, "choice": "source"})
    assert response.status_code == 404
    conflict.refresh_from_db()
    assert conflict.status == "open"


def test_viewers_see_the_queue_but_may_not_decide(viewer_client, flow, conflict):
    body = viewer_client.get(list_url(flow)).content.decode()
    assert "Source" in body and "Target" in body and "Last" in body
    assert "Keep the source value</button>" not in body and 'name="ids"' not in body
    response = viewer_client.post(resolve_url(flow), {"one": conflict.pk, "choice": "source"})
    assert response.status_code == 403
    conflict.refresh_from_db()
    assert conflict.status == "open" and not PendingChange.objects.exists()


def test_the_resolve_view_refuses_a_get(owner_client, flow):
    assert owner_client.get(resolve_url(flow)).status_code == 405


def test_owners_see_both_values_both_times_and_the_last_synced_value_in_words(
    owner_client, flow, link
):
    changed_at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    hold(
        flow,
        link,
        field="tags",
        source_value=["vip", "wholesale"],
        target_value=None,
        last_value=["vip"],
        source_updated_at=changed_at,
    )
    body = owner_client.get(list_url(flow)).content.decode()
    assert '<span class="source-value">vip, wholesale</span>' in body
    assert '<span class="target-value">(empty)</span>' in body
    assert '<span class="last-value">vip</span>' in body
    assert "changed 2026-03-04 05:06:07 UTC" in body and "when: not known" in body
    record = reverse("sync:link-detail", args=[flow.workspace_id, flow.pk, link.pk])
    assert f'href="{record}"' in body and "cust-1" in body and "contact-1" in body
    assert "Keep the source value</button>" in body and 'name="ids"' in body
    assert "(names, separated by commas)" in body  # a list field's edit takes names


def test_the_queue_filters_open_and_resolved(owner_client, flow, link, owner):
    hold(flow, link, field="email", source_value="open@example.com")
    done = hold(flow, link, source_value="Kept Name", status="resolved", resolution="source")
    Conflict.objects.filter(pk=done.pk).update(resolved_value="Kept Name", resolved_by=owner)
    body = owner_client.get(list_url(flow)).content.decode()
    assert "open@example.com" in body and "Kept Name" not in body
    assert 'Open <span class="muted">1</span>' in body
    body = owner_client.get(list_url(flow, status="resolved")).content.decode()
    assert "Kept Name" in body and "open@example.com" not in body
    assert "Source value kept" in body and owner.email in body


def test_the_queue_costs_the_same_queries_for_one_conflict_or_many(owner_client, flow, link):
    def queries() -> int:
        with CaptureQueriesContext(db_connection) as captured:
            assert owner_client.get(list_url(flow)).status_code == 200
        return len(captured)

    mapping = MappingFactory(workspace=flow.workspace, source_provider="highlevel")
    Flow.objects.filter(pk=flow.pk).update(direction="two_way", reverse_mapping=mapping)
    hold(flow, link, source_updated_at=None)  # no time known: the mappings say whose it is
    queries()  # the session and the like, read once
    one = queries()
    for n in range(5):
        other = RecordLink.objects.create(flow=flow, source_id=f"c{n}", target_id=f"t{n}")
        hold(flow, other, source_updated_at=None)
    assert queries() == one


def test_the_flow_page_links_to_the_conflicts_of_a_two_way_flow(owner_client, flow):
    Flow.objects.filter(pk=flow.pk).update(direction="two_way")
    page = reverse("sync:flow-detail", args=[flow.workspace_id, flow.pk])
    assert f'href="{list_url(flow)}"' in owner_client.get(page).content.decode()


def test_keeping_the_target_value_of_a_one_way_flow_is_refused(owner_client, flow, conflict):
    response = owner_client.post(
        resolve_url(flow), {"one": conflict.pk, "choice": "target"}, follow=True
    )
    assert conflicts.NO_WAY_BACK in response.content.decode()
    conflict.refresh_from_db()
    assert conflict.status == "open" and not PendingChange.objects.exists()


def test_keeping_the_source_value_queues_a_forward_change_and_enqueues_it(
    owner_client, flow, link, conflict, owner, django_capture_on_commit_callbacks
):
    link.source_hash, link.mapped_hash = "read-before", "mapped-before"
    link.provenance = {"target": {"lastName": {"value": "Last", "run": 1}}}
    link.save()
    with django_capture_on_commit_callbacks() as callbacks:
        response = owner_client.post(resolve_url(flow), {"one": conflict.pk, "choice": "source"})
    assert response.status_code == 302 and response.url == list_url(flow)
    assert len(callbacks) == 1  # changes_process.delay_on_commit(flow.pk)
    conflict.refresh_from_db()
    assert (conflict.status, conflict.resolution) == ("resolved", "source")
    assert conflict.resolved_value == "Source" and conflict.resolved_by == owner
    assert conflict.resolved_at is not None
    change = PendingChange.objects.get(flow=flow)
    assert (change.direction, change.source_id, change.status) == ("forward", "cust-1", "pending")
    link.refresh_from_db()
    # As if HighLevel had not changed, and the source read afresh: the held write goes.
    assert link.provenance["target"]["lastName"]["value"] == "Target"
    assert link.source_hash == "" and link.mapped_hash == ""


def test_a_backward_conflicts_source_value_goes_forward_with_no_target_history(flow, link, owner):
    """Held while writing the source (a two-way flow's way back): `field` is a source field."""
    Flow.objects.filter(pk=flow.pk).update(direction="two_way")
    link.provenance = {"source": {"billingPerson.name": {"value": "Ann"}}, "target": {"x": {}}}
    link.save()
    held = hold(
        flow,
        link,
        field="billingPerson.name",
        direction="backward",
        target_updated_at=timezone.now(),
    )
    assert conflicts.conflict_way(held) == "backward"
    conflicts.conflict_resolve(conflict=held, choice="source", user=owner)
    link.refresh_from_db()
    assert "target" not in link.provenance  # the forward pass writes every mapped field
    assert PendingChange.objects.get(flow=flow).direction == "forward"


def test_a_two_way_flows_target_value_goes_back_with_no_source_history(flow, link, owner):
    mapping = MappingFactory(workspace=flow.workspace, source_provider="highlevel")
    Flow.objects.filter(pk=flow.pk).update(direction="two_way", reverse_mapping=mapping)
    link.target_record_hash, link.target_image_hash = "seen", "image"
    link.provenance = {"source": {"billingPerson.name": {"value": "Ann"}}}
    link.save()
    held = hold(flow, link)
    conflicts.conflict_resolve(conflict=held, choice="target", user=owner)
    link.refresh_from_db()
    assert "source" not in link.provenance
    assert link.target_record_hash == "" and link.target_image_hash == ""
    change = PendingChange.objects.get(flow=flow)
    assert (change.direction, change.source_id) == ("backward", "contact-1")


def test_bulk_resolve_applies_one_choice_to_the_ticked_conflicts(
    owner_client, flow, link, django_capture_on_commit_callbacks
):
    other = RecordLink.objects.create(flow=flow, source_id="cust-2", target_id="contact-2")
    first, second = hold(flow, link), hold(flow, other, field="email")
    untouched = hold(flow, link, field="phone")
    foreign = hold(FlowFactory(workspace=flow.workspace), link, field="city")
    with django_capture_on_commit_callbacks() as callbacks:
        response = owner_client.post(
            resolve_url(flow),
            {"ids": [first.pk, second.pk, foreign.pk], "choice": "source"},
            follow=True,
        )
    body = response.content.decode()
    assert "2 conflicts resolved: Source value kept." in body
    assert "1 of the chosen conflicts are not this flow&#x27;s." in body
    assert len(callbacks) == 1  # one enqueue for the lot
    for row, status in ((first, "resolved"), (second, "resolved"), (untouched, "open")):
        row.refresh_from_db()
        assert row.status == status
    foreign.refresh_from_db()
    assert foreign.status == "open"
    queued = PendingChange.objects.filter(flow=flow, direction="forward")
    assert sorted(queued.values_list("source_id", flat=True)) == ["cust-1", "cust-2"]


def test_bulk_resolve_says_why_some_could_not_be(owner_client, flow, conflict):
    response = owner_client.post(
        resolve_url(flow), {"ids": [conflict.pk], "choice": "target"}, follow=True
    )
    assert f"{conflicts.NO_WAY_BACK} (1 conflict)" in response.content.decode()
    response = owner_client.post(resolve_url(flow), {"choice": "source"}, follow=True)
    assert conflicts.NOTHING_CHOSEN in response.content.decode()
    response = owner_client.post(
        resolve_url(flow), {"ids": [conflict.pk], "choice": "edited"}, follow=True
    )
    assert conflicts.EDIT_ONE_AT_A_TIME in response.content.decode()
    conflict.refresh_from_db()
    assert conflict.status == "open"


def test_resolutions_are_refused_with_clear_reasons(flow, link, conflict, owner):
    with pytest.raises(ValidationError, match=conflicts.UNKNOWN_CHOICE):
        conflicts.conflict_resolve(conflict=conflict, choice="both", user=owner)
    with pytest.raises(ValidationError, match=conflicts.EMPTY_EDIT):
        conflicts.conflict_resolve(conflict=conflict, choice="edited", value="  ", user=owner)
    another = FlowFactory(workspace=flow.workspace)
    with pytest.raises(ValidationError, match=conflicts.WRONG_FLOW):
        conflicts.conflict_resolve(conflict=conflict, choice="source", user=owner, flow=another)
    Flow.objects.filter(pk=flow.pk).update(mode="test")
    with pytest.raises(ValidationError, match="test mode"):
        conflicts.conflict_resolve(conflict=conflict, choice="source", user=owner)
    Flow.objects.filter(pk=flow.pk).update(mode="live")
    conflicts.conflict_resolve(conflict=conflict, choice="source", user=owner, flow=flow)
    with pytest.raises(ValidationError, match=conflicts.ALREADY_RESOLVED):
        conflicts.conflict_resolve(conflict=conflict, choice="target", user=owner)
    conflict.refresh_from_db()
    assert conflict.resolution == "source"


def test_an_editors_resolution_is_recorded_as_theirs(client, workspace, flow, conflict):
    editor = MembershipFactory(workspace=workspace, role=Role.EDITOR).user
    client.force_login(editor)
    client.post(resolve_url(flow), {"one": conflict.pk, "choice": "source"})
    conflict.refresh_from_db()
    assert conflict.resolved_by == editor


@pytest.mark.parametrize(
    ("typed", "like", "kept"),
    [
        ("vip, wholesale ", [["vip"], None], ["vip", "wholesale"]),
        ('["vip", "new, york"]', [["vip"]], ["vip", "new, york"]),
        ("  Ann Lee ", ["Ann", None], "Ann Lee"),
        ("[not json", ["text"], "[not json"),
        ("[1, 2]", [None, "x"], "[1, 2]"),  # not a list field: the text as typed
    ],
)
def test_a_typed_value_is_read_as_the_field_takes_it(typed, like, kept):
    assert conflicts.edit_value(typed, like=like) == kept


# --- against the sandboxes -----------------------------------------------------------------------
@pytest.fixture
def live(sandboxes, workspace, owner):
    """The conftest's live Ecwid → HighLevel flow, run once, and one of its links."""
    flow = ecwid_to_highlevel(workspace, owner)
    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert run.status == Run.Status.SUCCEEDED, run.message
    link = RecordLink.objects.filter(flow=flow).exclude(target_id="").order_by("pk").first()
    return flow, link


def _contact(flow, contact_id) -> dict:
    return adapter_for(flow.target_connection, ObjectType.CONTACT).get(contact_id)


def _customer(flow, customer_id) -> dict:
    return adapter_for(flow.source_connection, ObjectType.CONTACT).get(customer_id)


def test_keeping_the_source_value_writes_it_into_highlevel(
    owner_client, live, django_capture_on_commit_callbacks
):
    flow, link = live
    synced = link.provenance["target"]["lastName"]["value"]
    assert _contact(flow, link.target_id)["lastName"] == synced
    HIGHLEVEL.change_outside(link.target_id, 3)  # lastName "Outside 3" in HighLevel's UI
    held = hold(flow, link, source_value=synced, target_value="Outside 3", last_value=synced)

    with django_capture_on_commit_callbacks() as callbacks:
        owner_client.post(resolve_url(flow), {"one": held.pk, "choice": "source"})
    assert len(callbacks) == 1
    change = PendingChange.objects.get(flow=flow, status="pending")
    assert (change.direction, change.source_id) == ("forward", link.source_id)
    assert _contact(flow, link.target_id)["lastName"] == "Outside 3"  # not yet

    assert tasks.changes_process(flow.pk) == 1
    assert _contact(flow, link.target_id)["lastName"] == synced
    change.refresh_from_db()
    assert change.status == "done"
    link.refresh_from_db()
    assert link.provenance["target"]["lastName"]["value"] == synced
    assert link.provenance["target"]["lastName"]["run"] == Run.objects.latest("pk").pk


def test_an_edited_value_is_written_into_highlevel(owner_client, live):
    flow, link = live
    HIGHLEVEL.change_outside(link.target_id, 4)
    held = hold(flow, link, source_value="Jones", target_value="Outside 4", last_value="Jones")

    response = owner_client.post(
        resolve_url(flow),
        {"one": held.pk, "choice": "edited", "value": " Typed Name "},
        follow=True,
    )

    assert "“lastName”: Value edited by hand." in response.content.decode()
    assert _contact(flow, link.target_id)["lastName"] == "Typed Name"
    held.refresh_from_db()
    assert (held.resolution, held.resolved_value) == ("edited", "Typed Name")
    link.refresh_from_db()
    entry = link.provenance["target"]["lastName"]
    assert entry["value"] == "Typed Name" and entry["conflict"] == held.pk
    assert not PendingChange.objects.filter(flow=flow).exists()  # one way: nothing goes back


def test_a_value_highlevel_refuses_is_said_and_nothing_is_resolved(owner_client, live):
    flow, link = live
    held = hold(flow, link, field="email", source_value="a@example.com", target_value="b@x.com")
    response = owner_client.post(
        resolve_url(flow),
        {"one": held.pk, "choice": "edited", "value": "not an e-mail"},
        follow=True,
    )
    assert "HighLevel refused the value" in response.content.decode()
    held.refresh_from_db()
    assert held.status == "open"


@pytest.fixture
def two_way(sandboxes, workspace, owner):
    """The same flow both ways, holding conflicts for review, run once."""
    flow = both_ways(
        ecwid_to_highlevel(workspace, owner), owner, conflict_policy=Flow.ConflictPolicy.REVIEW
    )
    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert run.status == Run.Status.SUCCEEDED, run.message
    link = RecordLink.objects.filter(flow=flow).exclude(target_id="").order_by("pk").first()
    return flow, link


def _both_changed(flow, link) -> Conflict:
    """The last name changed in both systems, and held for review by the next run."""
    ECWID._admin("PUT", f"/{link.source_id}", json={"billingPerson": {"name": "Ann Store"}})
    HIGHLEVEL.change_outside(link.target_id, 5)
    run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    held = Conflict.objects.get(flow=flow, link=link, field="lastName", status="open")
    assert (held.source_value, held.target_value) == ("Store", "Outside 5")
    return held


def test_keeping_the_source_value_of_a_two_way_flow_writes_it_into_highlevel(owner_client, two_way):
    flow, link = two_way
    held = _both_changed(flow, link)

    owner_client.post(resolve_url(flow), {"one": held.pk, "choice": "source"})
    tasks.changes_process(flow.pk)

    assert _contact(flow, link.target_id)["lastName"] == "Store"
    assert not Conflict.objects.filter(link=link, field="lastName", status="open").exists()


def test_keeping_the_target_value_of_a_two_way_flow_writes_it_into_ecwid(owner_client, two_way):
    flow, link = two_way
    held = _both_changed(flow, link)

    owner_client.post(resolve_url(flow), {"one": held.pk, "choice": "target"})
    change = PendingChange.objects.get(flow=flow, status="pending")
    assert (change.direction, change.source_id) == ("backward", link.target_id)
    tasks.changes_process(flow.pk)

    assert _customer(flow, link.source_id)["billingPerson"]["lastName"] == "Outside 5"
    assert _contact(flow, link.target_id)["lastName"] == "Outside 5"


def test_an_edited_value_of_a_two_way_flow_reaches_both_systems(owner_client, two_way):
    flow, link = two_way
    held = _both_changed(flow, link)

    owner_client.post(resolve_url(flow), {"one": held.pk, "choice": "edited", "value": "Agreed"})
    assert _contact(flow, link.target_id)["lastName"] == "Agreed"  # written at once
    tasks.changes_process(flow.pk)  # and carried back to the source

    assert _customer(flow, link.source_id)["billingPerson"]["lastName"] == "Agreed"
