"""The harness the shared contract suite drives works as it promises (a smoke run of it)."""

import pytest

from integrations.providers.base import ChangeAction
from integrations.providers.registry import get_provider
from tests.integrations.providers.cin7.contract import HARNESS


@pytest.fixture(scope="module")
def harness():
    HARNESS.start()
    yield HARNESS
    HARNESS.stop()


def test_the_harness_drives_the_adapter_and_the_sandbox(harness, workspace):
    connection = harness.make_connection(workspace)
    adapter = harness.adapter(connection)
    reading = adapter.list_changed(adapter.new_cursor())
    assert len([r for r, _ in reading]) == harness.seeded
    harness.clear_webhooks()

    made = adapter.create(harness.new_payload(1))
    assert made["Contacts"][0]["Email"] == "contract-1@example.com"
    assert adapter.update(made["ID"], harness.change_payload(1))["Comments"] == "Changed 1"
    harness.tick()
    harness.change_outside(made["ID"], 1)
    harness.remove_outside(made["ID"])
    assert adapter.get(made["ID"])["Status"] == "Deprecated"

    verify = get_provider("cin7").verify_webhook
    events = []
    for body, headers in harness.webhook_deliveries():
        verified = verify(body, headers)
        stored = type("Stored", (), {"event_type": verified.event_type})()
        stored.payload = verified.payload
        events += adapter.parse_event(stored)
    assert {e.external_id for e in events} == {made["ID"]}
    assert events[-1].action is ChangeAction.DELETED
    assert harness.webhook_deliveries() == []
