"""Nightly reconciliation end to end: an Ecwid -> HighLevel flow synced over real HTTP, drift
seeded in either sandbox as its own admin would, then found exactly and repaired (or only
reported) through the runner. The comparison's rules are tested on plain records first."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from integrations.errors import NotFoundError, TransientError
from integrations.providers.base import ObjectType
from integrations.providers.highlevel.client import HighLevelClient
from integrations.providers.registry import adapter_for
from mappings import engine
from mappings.services import mapping_create
from sync import tasks
from sync.models import DriftItem, DriftReport, Flow, RecordLink, Run, RunItem
from sync.reconcile import (
    ReconcileRefused,
    drift_report_running,
    drift_resync,
    reconcile_flow,
)
from sync.reconcile.compare import FIRST_SHAPE, LinkTable, Projection
from sync.runner import run_execute
from sync.runs import run_start
from sync.services import flow_create
from tests.factories import FlowFactory
from tests.integrations.providers.cin7.contract import HARNESS as CIN7
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID
from tests.integrations.providers.highlevel.contract import HARNESS as HIGHLEVEL
from tests.sync.conftest import both_ways

Kind = DriftItem.Kind


# --- the comparison, on plain records ----------------------------------------------------------
def _rule(target, source, mode="overwrite"):
    return {
        "id": target,
        "target": target,
        "source": {"kind": "field", "value": source},
        "transforms": [],
        "condition": None,
        "write_mode": mode,
        "required": False,
        "default": None,
    }


SPEC = {
    "source": "ecwid",
    "target": "highlevel",
    "object": "contact",
    "direction": "to_target",
    "record_condition": None,
    "rules": [
        _rule("email", "email"),
        _rule("phone", "phone"),
        _rule("companyName", "company", "if_empty"),
        _rule("tags", "groups", "append"),
        _rule("notes", "note", "append"),
        _rule("source", "origin", "create_only"),
    ],
}


@pytest.fixture
def projection():
    return Projection(engine.compile_mapping(SPEC), leave_out=["notes"])


def _expect(projection, record):
    return projection.expect(engine.compile_mapping(SPEC).apply(record, current=None).payload)


def test_the_compared_fields_follow_the_write_modes(projection):
    assert projection.compared == ["email", "phone", "companyName", "tags"]


def test_a_target_holding_what_a_run_would_write_is_in_step(projection):
    expected = _expect(projection, {"email": "a@x.io", "phone": "+1415", "company": "Acme"})
    target = {"email": "a@x.io", "phone": "+1415", "companyName": "Acme", "source": "hand"}
    assert projection.in_step(*expected, target)
    assert not projection.in_step(*expected, {**target, "phone": "+1416"})
    assert not projection.in_step(*expected, {**target, "phone": None})


def test_a_field_the_mapping_has_no_value_for_is_not_compared(projection):
    expected = _expect(projection, {"email": "a@x.io"})  # no phone: a run writes none
    assert projection.in_step(*expected, {"email": "a@x.io", "phone": "+1999"})


def test_if_empty_fields_need_some_value_and_appended_tags_at_least_the_mapped_ones(projection):
    expected = _expect(projection, {"email": "a@x.io", "company": "Acme", "groups": ["VIP"]})
    target = {"email": "a@x.io", "companyName": "Other", "tags": ["vip", "x"]}
    assert projection.in_step(*expected, target)
    assert not projection.in_step(*expected, {**target, "companyName": ""})
    assert not projection.in_step(*expected, {**target, "tags": ["x"]})
    fields = projection.differences(
        {"email": "a@x.io", "companyName": "Acme", "tags": ["VIP"]},
        {"email": "b@x.io", "companyName": "", "tags": ["x"]},
    )
    assert fields == [
        {"field": "email", "source": "a@x.io", "target": "b@x.io"},
        {"field": "companyName", "source": "Acme", "target": ""},
        {"field": "tags", "source": ["VIP"], "target": ["x"]},
    ]


def test_records_sharing_their_fields_and_tags_share_one_shape(projection):
    one = _expect(projection, {"email": "a@x.io", "phone": "+1", "groups": ["VIP"]})
    two = _expect(projection, {"email": "b@x.io", "phone": "+2", "groups": ["vip"]})
    three = _expect(projection, {"email": "c@x.io", "groups": ["VIP"]})  # no phone
    assert one[1] == two[1] == FIRST_SHAPE and three[1] == FIRST_SHAPE + 1
    assert one[0] != two[0] and 0 <= one[0] < 2**64


def test_the_link_table_keeps_every_entry_through_its_growth():
    table = LinkTable()
    for key in range(1, 5001):
        table.put(key * 7, key, key % 5)
    table.put(7, 99, 3)  # the same key again: replaced, not added
    assert table.size == 5000 and len(table.keys) == 8192
    assert table.get(7) == (99, 3) and table.get(35000) == (5000, 0)
    assert table.get(8) is None and table.get(35007) is None
    table.mark(14, 4)
    table.mark(15, 4)  # not there: nothing happens
    assert table.get(14) == (2, 4) and table.get(15) is None
    assert sorted(key for key, _, _ in table.items()) == [key * 7 for key in range(1, 5001)]
    assert len(LinkTable(50_000).keys) == 131072  # sized up front: no rehash while reading


# --- end to end on the sandboxes ---------------------------------------------------------------
def _sync(flow) -> None:
    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert run.status == Run.Status.SUCCEEDED, run.message


def _links(flow, n: int) -> list[RecordLink]:
    return list(RecordLink.objects.filter(flow=flow).order_by("pk")[:n])


def _highlevel(flow):
    return adapter_for(flow.target_connection, ObjectType.CONTACT)


def _ecwid(flow):
    return adapter_for(flow.source_connection, ObjectType.CONTACT)


def _routes() -> dict:
    return HIGHLEVEL._control("GET", "")["stats"]["requests_by_route"]


def _customers(flow) -> int:
    """How many customers the Ecwid store has now (tests here remove some)."""
    source = _ecwid(flow)
    return sum(1 for _ in source.list_changed(source.new_cursor()))


def _items(report, kind=None) -> list[DriftItem]:
    items = report.items.order_by("pk")
    return list(items.filter(kind=kind) if kind else items)


def _drift(report) -> list[tuple]:
    """The report's items other than target records nobody linked (the sandbox's seed and
    other tests' contacts)."""
    return [
        (item.kind, item.source_id, item.target_id)
        for item in _items(report)
        if item.source_id or item.kind != Kind.ONLY_TARGET
    ]


def test_after_a_sync_nothing_drifted_and_only_unlinked_contacts_are_reported(flow):
    _sync(flow)
    report = reconcile_flow(flow=flow)
    assert report.status == DriftReport.Status.DONE, report.message
    assert _drift(report) == []
    assert report.differing == report.only_in_source == report.repaired == 0
    linked = set(RecordLink.objects.filter(flow=flow).values_list("target_id", flat=True))
    assert report.source_count == len(linked) == _customers(flow)
    hand_made = _items(report, Kind.ONLY_TARGET)
    assert report.only_in_target == len(hand_made) == report.target_count - len(linked)
    assert not {item.target_id for item in hand_made} & linked
    assert report.run is None and not Run.objects.filter(flow=flow, trigger="reconcile")


def test_unchanged_data_costs_at_most_one_highlevel_list_call_per_100_contacts(flow):
    _sync(flow)
    before = _routes()
    report = reconcile_flow(flow=flow)
    after = _routes()
    calls = {r: after[r] - before.get(r, 0) for r in after if after[r] != before.get(r, 0)}
    assert report.target_count > report.source_count  # the location holds more
    assert set(calls) == {"POST /contacts/search"}  # no per-contact read, no write
    assert calls["POST /contacts/search"] <= report.target_count // 100 + 1
    assert report.api_calls >= calls["POST /contacts/search"]


def test_a_field_changed_in_highlevel_behind_our_back_is_found_and_repaired(flow):
    _sync(flow)
    link = _links(flow, 1)[0]
    wanted = _highlevel(flow).get(link.target_id)["lastName"]
    HIGHLEVEL.change_outside(link.target_id, 1)
    report = reconcile_flow(flow=flow)
    assert _drift(report) == [(Kind.DIFFERS, link.source_id, link.target_id)]
    item = _items(report, Kind.DIFFERS)[0]
    assert item.fields == [{"field": "lastName", "source": wanted, "target": "Outside 1"}]
    assert item.repaired and report.repaired == report.differing == 1
    assert _highlevel(flow).get(link.target_id)["lastName"] == wanted
    run = report.run
    assert run.trigger == Run.Trigger.RECONCILE and run.status == Run.Status.SUCCEEDED
    assert run.items.get().outcome == RunItem.Outcome.UPDATED
    assert _drift(reconcile_flow(flow=flow)) == []  # repaired for good


def test_a_contact_deleted_in_highlevel_is_only_in_the_source_and_recreated(flow):
    _sync(flow)
    link = _links(flow, 1)[0]
    HIGHLEVEL.remove_outside(link.target_id)
    report = reconcile_flow(flow=flow)
    assert _drift(report) == [(Kind.ONLY_SOURCE, link.source_id, link.target_id)]
    assert _items(report, Kind.ONLY_SOURCE)[0].repaired and report.repaired == 1
    link.refresh_from_db()
    contact = _highlevel(flow).get(link.target_id)
    assert contact["email"] == _ecwid(flow).get(link.source_id)["email"]
    assert report.run.items.get().outcome == RunItem.Outcome.CREATED


def test_a_contact_made_by_hand_in_highlevel_is_reported_and_never_deleted(flow):
    flow.delete_policy = Flow.DeletePolicy.PROPAGATE
    flow.save()
    _sync(flow)
    made = HIGHLEVEL._control(
        "POST", "/contacts", json={"firstName": "By", "lastName": "Hand", "email": "hand@x.io"}
    )["contact"]["id"]
    report = reconcile_flow(flow=flow)
    item = next(i for i in _items(report, Kind.ONLY_TARGET) if i.target_id == made)
    assert item.source_id == "" and not item.repaired and "never deleted" in item.note
    assert _highlevel(flow).get(made)["lastName"] == "Hand"
    assert report.run is None  # nothing else drifted: no repair run at all


def test_a_customer_removed_in_ecwid_is_deleted_in_highlevel_when_deletes_propagate(flow):
    flow.delete_policy = Flow.DeletePolicy.PROPAGATE
    flow.save()
    _sync(flow)
    link = _links(flow, 1)[0]
    ECWID.remove_outside(link.source_id)
    report = reconcile_flow(flow=flow)
    assert _drift(report) == [(Kind.ONLY_TARGET, link.source_id, link.target_id)]
    item = report.items.get(source_id=link.source_id)
    assert item.repaired and report.repaired == 1
    with pytest.raises(NotFoundError):
        _highlevel(flow).get(link.target_id)
    link.refresh_from_db()
    assert link.deleted_at is not None
    assert report.run.items.get().outcome == RunItem.Outcome.DELETED
    again = reconcile_flow(flow=flow)
    assert link.source_id not in {item.source_id for item in _items(again)}


def test_a_customer_removed_in_ecwid_is_only_reported_when_deletes_are_ignored(flow):
    assert flow.delete_policy == Flow.DeletePolicy.IGNORE
    _sync(flow)
    link = _links(flow, 1)[0]
    ECWID.remove_outside(link.source_id)
    report = reconcile_flow(flow=flow)
    assert _drift(report) == [(Kind.ONLY_TARGET, link.source_id, link.target_id)]
    item = report.items.get(source_id=link.source_id)
    assert not item.repaired and "ignores deletes" in item.note
    assert _highlevel(flow).get(link.target_id)
    assert report.run is None and report.repaired == 0
    flow.refresh_from_db()
    flow.delete_policy = Flow.DeletePolicy.PROPAGATE  # a re-sync by hand, later, under
    flow.save()  # the new policy, does delete it
    report.flow = flow
    drift_resync(report=report, item_ids=[item.pk])
    with pytest.raises(NotFoundError):
        _highlevel(flow).get(link.target_id)


def test_a_record_the_source_read_missed_is_confirmed_before_it_counts_as_deleted(
    flow, monkeypatch
):
    """A customer created while Ecwid was being read (and synced by its webhook before
    HighLevel was) is linked but not in the read: a read of it says it is there."""
    flow.delete_policy = Flow.DeletePolicy.PROPAGATE
    flow.save()
    _sync(flow)
    link = _links(flow, 1)[0]
    source = _ecwid(flow)
    real = source.list_changed

    def list_changed(cursor):
        return ((r, c) for r, c in real(cursor) if source.id_of(r) != link.source_id)

    monkeypatch.setattr(source, "list_changed", list_changed)
    report = reconcile_flow(flow=flow, source=source)
    assert report.status == DriftReport.Status.DONE and _drift(report) == []
    assert _highlevel(flow).get(link.target_id)


def test_customers_the_mapping_skips_are_left_out_not_reported(flow):
    flow.delete_policy = Flow.DeletePolicy.PROPAGATE
    flow.save()
    _sync(flow)
    skipped, other = _links(flow, 2)
    email = _ecwid(flow).get(skipped.source_id)["email"]
    mapping = flow.mapping
    mapping.spec = {
        **mapping.spec,
        "record_condition": {"field": "email", "op": "not_equals", "value": email},
    }
    mapping.save()
    HIGHLEVEL.remove_outside(skipped.target_id)  # would be "only in the source" if compared
    HIGHLEVEL.remove_outside(other.target_id)
    report = reconcile_flow(flow=flow, repair=False)
    assert _drift(report) == [(Kind.ONLY_SOURCE, other.source_id, other.target_id)]
    assert "1 source records the mapping skips or cannot map were left out." in report.message


def test_report_only_mode_finds_the_drift_and_repairs_nothing(flow):
    flow.reconcile_repairs = False
    flow.delete_policy = Flow.DeletePolicy.PROPAGATE
    flow.save()
    _sync(flow)
    changed, removed, gone = _links(flow, 3)
    HIGHLEVEL.change_outside(changed.target_id, 2)
    HIGHLEVEL.remove_outside(removed.target_id)
    ECWID.remove_outside(gone.source_id)
    before = _routes()
    report = reconcile_flow(flow=flow)
    after = _routes()
    assert sorted(_drift(report)) == sorted(
        [
            (Kind.DIFFERS, changed.source_id, changed.target_id),
            (Kind.ONLY_SOURCE, removed.source_id, removed.target_id),
            (Kind.ONLY_TARGET, gone.source_id, gone.target_id),
        ]
    )
    assert not report.repairs and "Report only" in report.message
    assert not report.items.filter(repaired=True) and report.run is None
    writes = [r for r in after if not r.startswith(("GET", "POST /contacts/search"))]
    assert all(after[r] == before.get(r, 0) for r in writes)
    assert _highlevel(flow).get(changed.target_id)["lastName"] == "Outside 2"
    assert _highlevel(flow).get(gone.target_id)


def _failing_after_first_page(flow, faults):
    """The HighLevel adapter reading pages of 10, whose sandbox fails every request (503,
    one try) once the first page is in."""
    client = HighLevelClient(flow.target_connection, max_attempts=1)
    first_page = client.search_page

    def search_page(**kwargs):
        page = first_page(**kwargs)
        faults(error_rate=1.0, error_status=503)
        return page

    client.search_page = search_page
    return adapter_for(flow.target_connection, ObjectType.CONTACT, client=client, page_size=10)


def test_a_highlevel_read_failing_part_way_fails_the_report_and_deletes_nothing(flow, faults):
    flow.delete_policy = Flow.DeletePolicy.PROPAGATE
    flow.save()
    _sync(flow)
    changed, removed, gone = _links(flow, 3)
    HIGHLEVEL.change_outside(changed.target_id, 3)
    HIGHLEVEL.remove_outside(removed.target_id)
    ECWID.remove_outside(gone.source_id)
    target = _failing_after_first_page(flow, faults)
    report = reconcile_flow(flow=flow, target=target)
    faults(error_rate=0.0)
    assert report.status == DriftReport.Status.FAILED
    assert "stopped part way" in report.message and "nothing was repaired" in report.message
    assert "503" in report.message
    assert not report.items.filter(kind=Kind.ONLY_SOURCE)  # never guessed from half a read
    assert not report.items.filter(repaired=True) and report.run is None
    assert not Run.objects.filter(flow=flow, trigger=Run.Trigger.RECONCILE)
    assert _highlevel(flow).get(gone.target_id)
    assert _highlevel(flow).get(changed.target_id)["lastName"] == "Outside 3"
    with pytest.raises(ReconcileRefused, match="did not finish"):
        drift_resync(report=report)


def test_an_ecwid_read_failing_part_way_fails_the_report_and_deletes_nothing(flow, monkeypatch):
    flow.delete_policy = Flow.DeletePolicy.PROPAGATE
    flow.save()
    _sync(flow)
    source = _ecwid(flow)
    real = source.list_changed

    def list_changed(cursor):
        for n, step in enumerate(real(cursor)):
            if n == 5:
                raise TransientError("Ecwid answered 503")
            yield step

    monkeypatch.setattr(source, "list_changed", list_changed)
    report = reconcile_flow(flow=flow, source=source)
    assert report.status == DriftReport.Status.FAILED and "Ecwid answered 503" in report.message
    assert report.items.count() == 0 and report.run is None  # 25 links look "deleted": none is
    assert all(_highlevel(flow).get(link.target_id) for link in _links(flow, 100))


def test_re_syncing_selected_items_then_all_drifted(flow):
    flow.reconcile_repairs = False
    flow.save()
    _sync(flow)
    first, second = _links(flow, 2)
    for n, link in enumerate((first, second), start=4):
        HIGHLEVEL.change_outside(link.target_id, n)
    report = reconcile_flow(flow=flow)
    one, two = _items(report, Kind.DIFFERS)
    assert (one.source_id, two.source_id) == (first.source_id, second.source_id)
    run = drift_resync(report=report, item_ids=[one.pk])
    one.refresh_from_db(), two.refresh_from_db()
    assert one.repaired and not two.repaired and run.total == 1
    assert _highlevel(flow).get(first.target_id)["lastName"] != "Outside 4"
    assert _highlevel(flow).get(second.target_id)["lastName"] == "Outside 5"
    drift_resync(report=report)  # every one not yet repaired
    two.refresh_from_db(), report.refresh_from_db()
    assert two.repaired and report.repaired == 2
    assert _highlevel(flow).get(second.target_id)["lastName"] != "Outside 5"


def test_the_task_reconciles_and_a_second_one_at_once_is_refused(flow):
    _sync(flow)
    assert tasks.reconcile_run(flow.pk) == "done"
    running = DriftReport.objects.create(flow=flow)
    assert tasks.reconcile_run(flow.pk) == "refused"
    with pytest.raises(ReconcileRefused, match="running since"):
        reconcile_flow(flow=flow)
    DriftReport.objects.filter(pk=running.pk).update(started_at=timezone.now() - timedelta(hours=8))
    assert drift_report_running(flow=flow) is None  # its worker died long ago
    assert tasks.reconcile_run(flow.pk) == "done"
    running.refresh_from_db()
    assert running.status == DriftReport.Status.FAILED and "worker died" in running.message
    assert flow.drift_reports.filter(status="done").count() == 2


def test_a_two_way_flow_carries_a_highlevel_change_back_instead_of_overwriting_it(flow, owner):
    _sync(flow)  # one way first: the contacts already in HighLevel stay out of Ecwid
    both_ways(flow, owner, reconcile_repairs=False)
    link = _links(flow, 1)[0]
    HIGHLEVEL.change_outside(link.target_id, 6)
    made = HIGHLEVEL._control(
        "POST", "/contacts", json={"firstName": "Two", "lastName": "Way", "email": "two@x.io"}
    )["contact"]["id"]
    report = reconcile_flow(flow=flow)
    differs = _items(report, Kind.DIFFERS)
    assert [(i.source_id, i.target_id) for i in differs] == [(link.source_id, link.target_id)]
    unlinked = next(i for i in _items(report, Kind.ONLY_TARGET) if i.target_id == made)
    assert "two-way" in unlinked.note
    run = drift_resync(report=report, item_ids=[differs[0].pk, unlinked.pk])
    outcomes = {(i.direction, i.source_id): i.outcome for i in run.items.all()}
    assert outcomes == {
        ("forward", link.source_id): RunItem.Outcome.UNCHANGED,  # HighLevel's change stays
        ("backward", link.target_id): RunItem.Outcome.UPDATED,  # and goes to Ecwid
        ("backward", made): RunItem.Outcome.CREATED,
    }
    assert _highlevel(flow).get(link.target_id)["lastName"] == "Outside 6"
    assert _ecwid(flow).get(link.source_id)["billingPerson"]["lastName"] == "Outside 6"
    created = RecordLink.objects.get(flow=flow, target_id=made)
    assert _ecwid(flow).get(created.source_id)["email"] == "two@x.io"
    differs[0].refresh_from_db(), unlinked.refresh_from_db()
    assert differs[0].repaired and unlinked.repaired


def test_a_test_mode_flow_is_only_reported(flow):
    flow.mode = Flow.Mode.TEST
    flow.save()
    report = reconcile_flow(flow=flow)  # never synced: every customer is only in Ecwid
    assert report.status == DriftReport.Status.DONE
    assert report.only_in_source == _customers(flow) and report.repaired == 0
    assert "test mode" in report.message and report.run is None


def test_a_run_handed_in_does_the_repair_or_is_closed_when_nothing_drifted(flow):
    _sync(flow)
    idle = Run.objects.create(flow=flow, trigger=Run.Trigger.RECONCILE, in_flight=True)
    report = reconcile_flow(flow=flow, run=idle)
    idle.refresh_from_db()
    assert report.run is None and idle.status == Run.Status.SUCCEEDED and not idle.in_flight
    link = _links(flow, 1)[0]
    HIGHLEVEL.change_outside(link.target_id, 7)
    used = Run.objects.create(flow=flow, trigger=Run.Trigger.RECONCILE, in_flight=True)
    report = reconcile_flow(flow=flow, run=used)
    used.refresh_from_db()
    assert report.run == used and used.updated == 1 and not used.in_flight


@pytest.fixture(scope="module")
def cin7(sandboxes):
    CIN7.start()
    yield
    CIN7.stop()


def test_a_customer_deactivated_in_cin7_is_a_delete_found_by_comparison(cin7, workspace, owner):
    """Cin7 cannot delete a customer, only deactivate it, and lists it still: the nightly
    comparison is where its delete is found and, with deletes propagated, carried out."""
    source, target = CIN7.make_connection(workspace), HIGHLEVEL.make_connection(workspace)
    mapping = mapping_create(
        workspace=workspace,
        user=owner,
        name="Cin7 to HighLevel",
        source_provider="cin7",
        target_provider="highlevel",
        source_connection=source,
        target_connection=target,
    )
    flow = flow_create(
        workspace=workspace,
        name="Cin7 customers",
        source_connection=source,
        target_connection=target,
        mapping=mapping,
        trigger_webhook=False,
    )
    flow.mode, flow.delete_policy = Flow.Mode.LIVE, Flow.DeletePolicy.PROPAGATE
    flow.save()
    _sync(flow)
    link = _links(flow, 1)[0]
    CIN7.remove_outside(link.source_id)  # "Deprecated", and still in every list
    report = reconcile_flow(flow=flow)
    item = report.items.get(source_id=link.source_id)
    assert (item.kind, item.target_id, item.repaired) == (Kind.ONLY_TARGET, link.target_id, True)
    assert report.run.items.get(source_id=link.source_id).outcome == RunItem.Outcome.DELETED
    with pytest.raises(NotFoundError):
        _highlevel(flow).get(link.target_id)
    assert not reconcile_flow(flow=flow).items.filter(source_id=link.source_id)


# --- the nightly beat --------------------------------------------------------------------------
def test_the_beat_starts_the_reconciliation_once_a_day_at_its_time(
    db, django_capture_on_commit_callbacks
):
    flow = FlowFactory(reconcile_time=time(2, 0), schedule_timezone="America/New_York")
    FlowFactory(reconcile_time=time(2, 0), enabled=False)
    FlowFactory(reconcile_time=time(2, 0), mode="test")
    FlowFactory(reconcile_time=None)

    def at(when: datetime) -> list:
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks() as callbacks,
        ):
            started = tasks.flows_reconcile_due()
        assert len(callbacks) == started
        return started

    two_am = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 02:00 in New York (UTC-5)
    assert at(two_am - timedelta(minutes=1)) == 0
    assert at(two_am) == 1
    flow.refresh_from_db()
    assert flow.last_reconciled_on == date(2026, 3, 2)
    assert at(two_am + timedelta(hours=5)) == 0  # once a day
    assert at(two_am + timedelta(days=1, minutes=-1)) == 0
    assert at(two_am + timedelta(days=1)) == 1
    flow.refresh_from_db()
    assert flow.last_reconciled_on == date(2026, 3, 3)


def test_a_beat_that_loses_the_race_for_a_flow_starts_nothing(db, monkeypatch):
    import sync.reconcile.nightly as nightly

    flow = FlowFactory(reconcile_time=time(0, 0))
    due = nightly._today_if_due

    def another_beat_claims_it_first(flow, now):
        today = due(flow, now)
        Flow.objects.filter(pk=flow.pk).update(last_reconciled_on=today)
        return today

    monkeypatch.setattr(nightly, "_today_if_due", another_beat_claims_it_first)
    with time_machine.travel(datetime(2026, 3, 2, 1, 0, tzinfo=UTC), tick=False):
        assert nightly.flows_reconcile_due() == []
    flow.refresh_from_db()
    assert flow.last_reconciled_on == date(2026, 3, 2)


def test_the_reconciliation_tasks_go_to_the_bulk_queue_and_the_beat_runs_every_minute():
    router = tasks.run_flow.app.amqp.router
    for name in ("reconcile_run", "drift_resync_run"):
        queue = router.route({}, f"sync.tasks.{name}")["queue"].name
        assert queue == "bulk", f'CELERY_TASK_ROUTES needs "sync.tasks.{name}": {{"queue": "bulk"}}'
    beats = tasks.run_flow.app.conf.beat_schedule.values()
    schedule = {entry["task"]: entry["schedule"] for entry in beats}
    assert schedule["sync.tasks.flows_reconcile_due"] == 60
