"""Two-way flows over real HTTP: Ecwid ↔ HighLevel with webhooks on in both directions.
Each write causes a webhook back; the echo must be recognised and dropped, so the two
sides settle after one write and never loop. Both sides changing one field is a conflict,
settled by the flow's policy."""

import pytest

from integrations import tasks as inbox_tasks
from integrations.models import WebhookEvent
from integrations.providers.base import ObjectType
from integrations.providers.registry import adapter_for
from sync import tasks
from sync.models import Conflict, Flow, PendingChange, RecordLink, Run
from sync.runner import run_execute
from sync.runs import run_start
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID
from tests.integrations.providers.highlevel.contract import HARNESS as HIGHLEVEL
from tests.sync.conftest import both_ways, ecwid_to_highlevel, sandbox_writes


@pytest.fixture
def two_way(sandboxes, workspace, owner):
    ECWID.clear_webhooks()
    HIGHLEVEL.clear_webhooks()
    flow = ecwid_to_highlevel(workspace, owner, trigger_webhook=True)
    both_ways(flow, owner, conflict_policy=Flow.ConflictPolicy.REVIEW)
    return flow


def _relay(client) -> int:
    """Every webhook the sandboxes sent, posted to our receivers as they sent them."""
    sent = 0
    for body, headers in ECWID.webhook_deliveries():
        signature = headers.get("X-Ecwid-Webhook-Signature") or headers.get(
            "x-ecwid-webhook-signature"
        )
        response = client.post(
            "/webhooks/ecwid/",
            body,
            content_type="application/json",
            headers={"X-Ecwid-Webhook-Signature": signature},
        )
        assert response.status_code == 200, response.content
        sent += 1
    for body, headers in HIGHLEVEL.webhook_deliveries():
        kept = {k: v for k, v in headers.items() if k.lower().startswith("x-")}
        response = client.post(
            "/webhooks/highlevel/", body, content_type="application/json", headers=kept
        )
        assert response.status_code == 200, response.content
        sent += 1
    return sent


def _settle(client, flow, rounds: int = 6) -> list[tuple[int, int]]:
    """Deliver webhooks and apply the changes they make until nothing moves; returns the
    (Ecwid writes, HighLevel writes) of each round."""
    history = []
    for _ in range(rounds):
        ecwid, highlevel = sandbox_writes(ECWID), sandbox_writes(HIGHLEVEL)
        delivered = _relay(client)
        for pk in WebhookEvent.objects.filter(status="pending").values_list("pk", flat=True):
            inbox_tasks.webhook_event_process(pk)
        applied = tasks.changes_process(flow.pk)
        history.append((sandbox_writes(ECWID) - ecwid, sandbox_writes(HIGHLEVEL) - highlevel))
        if not delivered and not applied:
            return history
    raise AssertionError(f"Still moving after {rounds} rounds: {history}")


def _aligned(client, flow) -> RecordLink:
    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    assert run.status == Run.Status.SUCCEEDED, (run.message, list(run.items.values()))
    _settle(client, flow)
    return RecordLink.objects.filter(flow=flow).exclude(source_id="").order_by("pk").first()


def _contact(flow, contact_id) -> dict:
    return adapter_for(flow.target_connection, ObjectType.CONTACT).get(contact_id)


def _customer(flow, customer_id) -> dict:
    return adapter_for(flow.source_connection, ObjectType.CONTACT).get(customer_id)


def test_a_change_each_way_is_written_once_and_its_echo_dropped(client, two_way):
    link = _aligned(client, two_way)

    ECWID._admin("PUT", f"/{link.source_id}", json={"billingPerson": {"name": "Ann Forward"}})
    history = _settle(client, two_way)
    assert sum(e for e, _ in history) == 0, history  # the echo from HighLevel wrote nothing
    assert sum(h for _, h in history) == 1, history  # one write of the contact
    assert _contact(two_way, link.target_id)["lastName"] == "Forward"
    echoed = PendingChange.objects.filter(flow=two_way, direction="backward", status="done")
    assert echoed.exists()  # HighLevel did tell us; the change was recognised as ours

    HIGHLEVEL.change_outside(link.target_id, 7)  # lastName "Outside 7" in HighLevel's UI
    history = _settle(client, two_way)
    assert sum(h for _, h in history) == 0, history
    assert sum(e for e, _ in history) == 1, history
    assert "Outside 7" in _customer(two_way, link.source_id)["billingPerson"]["name"]
    link.refresh_from_db()

    assert link.provenance["source"]["billingPerson.name"]["value"].endswith("Outside 7")


def test_both_sides_changing_a_field_is_held_for_review(client, two_way):
    link = _aligned(client, two_way)
    ECWID._admin("PUT", f"/{link.source_id}", json={"billingPerson": {"name": "Ann Store"}})
    HIGHLEVEL.change_outside(link.target_id, 9)
    ECWID.clear_webhooks()
    HIGHLEVEL.clear_webhooks()

    run = run_execute(run_id=run_start(flow=two_way, trigger="manual").pk)

    assert run.failed == 0, list(run.items.values())
    conflicts = Conflict.objects.filter(flow=two_way, link=link, status="open")
    assert set(conflicts.values_list("field", flat=True)) >= {"lastName"}
    held = conflicts.get(field="lastName")
    assert (held.source_value, held.target_value) == ("Store", "Outside 9")
    assert held.direction == "forward" and held.source_updated_at and held.target_updated_at
    assert _contact(two_way, link.target_id)["lastName"] == "Outside 9"  # nothing overwritten
    assert _customer(two_way, link.source_id)["billingPerson"]["name"] == "Ann Store"
    again = run_execute(run_id=run_start(flow=two_way, trigger="manual").pk)
    assert again.failed == 0  # the conflict waits: nothing more is written, no second row
    assert Conflict.objects.filter(link=link, field="lastName", status="open").count() == 1


@pytest.mark.parametrize(
    ("policy", "winner"), [("source", "Store"), ("target", "Outside 4")], ids=["source", "target"]
)
def test_an_owner_policy_settles_the_conflict(client, two_way, policy, winner):
    two_way.conflict_policy = policy
    two_way.save()
    link = _aligned(client, two_way)
    ECWID._admin("PUT", f"/{link.source_id}", json={"billingPerson": {"name": "Ann Store"}})
    HIGHLEVEL.change_outside(link.target_id, 4)

    run_execute(run_id=run_start(flow=two_way, trigger="manual").pk)

    assert _contact(two_way, link.target_id)["lastName"] == winner
    assert _customer(two_way, link.source_id)["billingPerson"]["name"].endswith(winner)
    assert not Conflict.objects.filter(flow=two_way).exists()


@pytest.mark.parametrize(
    ("policy", "kept"), [("propagate", False), ("archive", True)], ids=["propagate", "archive"]
)
def test_a_contact_deleted_in_highlevel_goes_back_per_the_delete_policy(
    client, two_way, policy, kept
):
    two_way.delete_policy = policy
    two_way.save()
    link = _aligned(client, two_way)
    HIGHLEVEL.remove_outside(link.target_id)
    history = _settle(client, two_way)
    store = adapter_for(two_way.source_connection, ObjectType.CONTACT)
    if kept:
        assert store.get(link.source_id)["id"]
        assert sum(e for e, _ in history) == 0
    else:
        from integrations.errors import NotFoundError

        with pytest.raises(NotFoundError):
            store.get(link.source_id)


def test_with_newest_wins_the_later_change_is_kept_on_both_sides(client, two_way):
    import time

    two_way.conflict_policy = Flow.ConflictPolicy.NEWEST
    two_way.save()
    link = _aligned(client, two_way)
    ECWID._admin("PUT", f"/{link.source_id}", json={"billingPerson": {"name": "Ann Earlier"}})
    time.sleep(2.5)  # beyond the clock-skew tolerance: HighLevel's change is the newer one
    HIGHLEVEL.change_outside(link.target_id, 3)

    run_execute(run_id=run_start(flow=two_way, trigger="manual").pk)

    assert _contact(two_way, link.target_id)["lastName"] == "Outside 3"
    assert _customer(two_way, link.source_id)["billingPerson"]["name"].endswith("Outside 3")
    assert not Conflict.objects.filter(flow=two_way).exists()
