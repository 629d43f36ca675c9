"""Changes the link alone can decide: a customer whose mapped result only gains a tag costs
no read of HighLevel (the tag goes out with the batch's bulk call), and a change to a field
the mapping does not use costs no call at all. Ecwid -> HighLevel over real HTTP."""

import requests

from integrations.providers.base import ObjectType
from integrations.providers.registry import adapter_for
from sync.models import RecordLink, Run, RunItem
from sync.runner import run_execute
from sync.runs import run_start
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID
from tests.integrations.providers.highlevel.contract import HARNESS as HIGHLEVEL


def _highlevel_routes() -> dict:
    return dict(HIGHLEVEL._control("GET", "")["stats"]["requests_by_route"])


def _ecwid_admin_change(customer_id: str, changes: dict) -> None:
    response = requests.put(
        f"{ECWID.control_url}/customers/{customer_id}",
        params={"webhooks": "false"},
        json=changes,
        timeout=10,
    )
    assert response.status_code == 200, response.text


def _group_id(name: str) -> int:
    described = ECWID.app.describe()
    response = requests.get(
        f"{described['api_url']}/customer_groups",
        headers={"Authorization": f"Bearer {described['secret_token']}"},
        timeout=10,
    )
    return next(group["id"] for group in response.json()["items"] if group["name"] == name)


def _delta(before: dict, after: dict) -> dict:
    return {
        route: n - before.get(route, 0) for route, n in after.items() if n - before.get(route, 0)
    }


def _run(flow) -> Run:
    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert run.status == Run.Status.SUCCEEDED, (run.message, list(run.items.values()))
    return run


def test_a_change_that_only_adds_a_tag_is_written_in_bulk_without_reading_highlevel(flow):
    _run(flow)
    linked = RecordLink.objects.filter(flow=flow).order_by("source_id")
    assert all(link.mapped_hash for link in linked)
    links = [link for link in linked if "vip" not in link.mapped_tags][:6]
    assert len(links) == 6
    vip = _group_id("VIP")
    for link in links:
        _ecwid_admin_change(link.source_id, {"customerGroupId": vip})
    before = _highlevel_routes()

    run = _run(flow)

    calls = _delta(before, _highlevel_routes())
    assert calls == {"POST /contacts/bulk/tags/update/{type}": 1}, calls
    assert run.updated == len(links)
    item = RunItem.objects.get(run=run, source_id=links[0].source_id)
    assert item.diff[0]["field"] == "tags" and "vip" in item.diff[0]["after"]
    target = adapter_for(flow.target_connection, ObjectType.CONTACT)
    for link in links:
        assert "vip" in target.get(link.target_id)["tags"]
        link.refresh_from_db()
        assert "vip" in link.mapped_tags

    # Back to no group: tags are appended by this mapping, never taken off, so nothing to do.
    for link in links:
        _ecwid_admin_change(link.source_id, {"customerGroupId": 0})
    before = _highlevel_routes()
    again = _run(flow)
    assert _delta(before, _highlevel_routes()) == {}
    assert again.unchanged == len(links)


def test_a_change_to_an_unmapped_field_costs_no_highlevel_call(flow):
    _run(flow)
    link = RecordLink.objects.filter(flow=flow).first()
    _ecwid_admin_change(link.source_id, {"acceptMarketing": True})  # the preset ignores it
    before = _highlevel_routes()
    run = _run(flow)
    assert run.processed >= 1 and run.unchanged == run.processed
    assert _delta(before, _highlevel_routes()) == {}


def test_a_real_change_still_reads_and_writes_the_contact(flow):
    _run(flow)
    link = RecordLink.objects.filter(flow=flow).first()
    ECWID.change_outside(link.source_id, 5)  # the billing name: first and last name
    before = _highlevel_routes()
    run = _run(flow)
    calls = _delta(before, _highlevel_routes())
    assert run.updated == 1
    assert (
        calls.get("GET /contacts/{contactId}") == 1 and calls.get("PUT /contacts/{contactId}") == 1
    )
    contact = adapter_for(flow.target_connection, ObjectType.CONTACT).get(link.target_id)
    assert contact["firstName"] == "Admin"
