"""A two-way Cin7 Core ↔ HighLevel flow, kept in step by polling: each change is written
once to the other side, our own writes read back on the next poll are recognised and not
written again, and a field both sides changed is held for review."""

import pytest

from integrations.providers.base import ObjectType
from integrations.providers.registry import adapter_for
from mappings.services import mapping_create
from sync.models import Conflict, Flow, RecordLink, Run
from sync.runner import run_execute
from sync.runs import run_start
from sync.services import flow_create
from tests.integrations.providers.cin7.contract import HARNESS as CIN7
from tests.integrations.providers.highlevel.contract import HARNESS as HIGHLEVEL
from tests.sync.conftest import sandbox_writes


@pytest.fixture(scope="module")
def sandboxes():
    CIN7.start()
    HIGHLEVEL.start()
    yield
    CIN7.stop()
    HIGHLEVEL.stop()


@pytest.fixture
def flow(sandboxes, workspace, owner, monkeypatch):
    from integrations.providers.cin7.transport import Cin7Transport
    from integrations.ratelimit import Limit

    # Cin7 allows 60 calls a minute, which the client keeps to; the sandbox allows more.
    monkeypatch.setattr(Cin7Transport, "default_limit", Limit(max_requests=10_000, interval=1.0))
    cin7, highlevel = CIN7.make_connection(workspace), HIGHLEVEL.make_connection(workspace)

    def mapping(source, target, name):
        return mapping_create(
            workspace=workspace, user=owner, name=name,
            source_provider=source.provider, target_provider=target.provider,
            source_connection=source, target_connection=target,
        )  # fmt: skip

    flow = flow_create(
        workspace=workspace,
        name="Cin7 both ways",
        source_connection=cin7,
        target_connection=highlevel,
        mapping=mapping(cin7, highlevel, "Cin7 to HighLevel"),
        reverse_mapping=mapping(highlevel, cin7, "HighLevel to Cin7"),
        direction=Flow.Direction.TWO_WAY,
        conflict_policy=Flow.ConflictPolicy.REVIEW,
        trigger_webhook=False,
    )
    flow.mode = Flow.Mode.LIVE
    flow.save()
    return flow


def _run(flow, *, first: bool = False) -> tuple[Run, int, int]:
    cin7, highlevel = sandbox_writes(CIN7), sandbox_writes(HIGHLEVEL)
    run = run_execute(run_id=run_start(flow=flow, trigger="manual").pk)
    failed = list(run.items.filter(outcome="failed").values_list("reason", flat=True))
    if first:
        # The first run back writes HighLevel's own contacts into Cin7, named after their
        # company; a few share a name with a Cin7 customer, which Cin7 refuses (names are
        # unique there): those are failed records with the reason, nothing else.
        assert all("already exists" in reason for reason in failed), failed
    else:
        assert run.status == Run.Status.SUCCEEDED, (run.message, failed[:3])
    return run, sandbox_writes(CIN7) - cin7, sandbox_writes(HIGHLEVEL) - highlevel


def test_polling_both_ways_writes_each_change_once(flow):
    _run(flow, first=True)
    _, cin7_writes, highlevel_writes = _run(flow)  # our first run's writes read back
    assert (cin7_writes, highlevel_writes) == (0, 0)

    link = RecordLink.objects.filter(flow=flow).exclude(source_id="").first()
    HIGHLEVEL.change_outside(link.target_id, 5)  # lastName in HighLevel's UI
    HIGHLEVEL.tick()
    run, cin7_writes, highlevel_writes = _run(flow)
    assert (cin7_writes, highlevel_writes) == (1, 0), list(run.items.values())
    customer = adapter_for(flow.source_connection, ObjectType.CONTACT).get(link.source_id)
    assert "Outside 5" in customer["Contacts"][0]["Name"]
    assert _run(flow)[1:] == (0, 0)  # and the write to Cin7 is not written back


def test_a_field_changed_on_both_sides_waits_for_review(flow):
    _run(flow, first=True)
    link = RecordLink.objects.filter(flow=flow).exclude(source_id="").first()
    customer = adapter_for(flow.source_connection, ObjectType.CONTACT).get(link.source_id)
    contact = dict(customer["Contacts"][0], Name="Jo Cin7side")
    CIN7._ui(link.source_id, {"Contacts": [contact]})
    HIGHLEVEL.change_outside(link.target_id, 6)
    CIN7.tick()

    _run(flow)

    held = Conflict.objects.filter(flow=flow, link=link, status="open")
    assert "lastName" in set(held.values_list("field", flat=True))
    assert (
        adapter_for(flow.target_connection, ObjectType.CONTACT).get(link.target_id)["lastName"]
        == "Outside 6"
    )


def _relay(client) -> int:
    """The webhooks both sandboxes sent, posted to our receivers as they came."""
    sent = 0
    for body, headers in CIN7.webhook_deliveries():
        kept = {k: v for k, v in headers.items() if k.lower() in ("authorization", "x-api-key")}
        response = client.post("/webhooks/cin7/", body, content_type="application/json",
                               headers=kept)  # fmt: skip
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


def _settle(client, flow) -> tuple[int, int]:
    """Deliver webhooks and apply their changes until nothing moves: (Cin7, HighLevel) writes."""
    from integrations import tasks as inbox_tasks
    from integrations.models import WebhookEvent
    from sync import tasks

    cin7, highlevel = sandbox_writes(CIN7), sandbox_writes(HIGHLEVEL)
    for _ in range(6):
        delivered = _relay(client)
        for pk in WebhookEvent.objects.filter(status="pending").values_list("pk", flat=True):
            inbox_tasks.webhook_event_process(pk)
        if not tasks.changes_process(flow.pk) and not delivered:
            return sandbox_writes(CIN7) - cin7, sandbox_writes(HIGHLEVEL) - highlevel
    raise AssertionError("still moving after 6 rounds")


def test_webhooks_both_ways_write_each_change_once_without_loops(client, flow):
    flow.trigger_webhook = True
    flow.save()
    _run(flow, first=True)
    CIN7.clear_webhooks()
    HIGHLEVEL.clear_webhooks()
    link = RecordLink.objects.filter(flow=flow).exclude(source_id="").first()

    HIGHLEVEL.change_outside(link.target_id, 8)
    assert _settle(client, flow) == (1, 0)  # written into Cin7; Cin7's echo is dropped
    customer = adapter_for(flow.source_connection, ObjectType.CONTACT).get(link.source_id)
    assert "Outside 8" in customer["Contacts"][0]["Name"]

    contact = dict(customer["Contacts"][0], Name="Jo Storeside")
    CIN7._ui(link.source_id, {"Contacts": [contact]})
    moved = _settle(client, flow)
    assert moved == (0, 1)  # written into HighLevel; its echo is dropped
    assert (
        adapter_for(flow.target_connection, ObjectType.CONTACT).get(link.target_id)["lastName"]
        == "Storeside"
    )
