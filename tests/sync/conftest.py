"""Both sandboxes and an Ecwid -> HighLevel flow with the preset mapping, over real HTTP:
what the runner, command and task tests share."""

import pytest

from mappings.services import mapping_create
from sync.models import Flow
from sync.services import flow_create
from tests.factories import ConnectionFactory
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID
from tests.integrations.providers.highlevel.contract import HARNESS as HIGHLEVEL


@pytest.fixture(scope="module")
def sandboxes():
    ECWID.start()
    HIGHLEVEL.start()
    yield
    ECWID.stop()
    HIGHLEVEL.stop()


def ecwid_to_highlevel(workspace, owner, *, trigger_webhook: bool = False) -> Flow:
    """A live flow from the Ecwid sandbox into the HighLevel one, saved through the services.
    Going live is tested with the services, so it is switched on here directly."""
    source = ECWID.make_connection(workspace)
    target = HIGHLEVEL.make_connection(workspace)
    mapping = mapping_create(
        workspace=workspace,
        user=owner,
        name="Ecwid to HighLevel",
        source_provider="ecwid",
        target_provider="highlevel",
        source_connection=source,
        target_connection=target,
    )
    assert mapping.is_healthy, mapping.problems
    flow = flow_create(
        workspace=workspace,
        name="Customers into HighLevel",
        source_connection=source,
        target_connection=target,
        mapping=mapping,
        trigger_webhook=trigger_webhook,
    )
    flow.mode = Flow.Mode.LIVE
    flow.save()
    return flow


def both_ways(flow: Flow, owner, **fields) -> Flow:
    """`flow` (Ecwid → HighLevel) made two-way, back through a new HighLevel → Ecwid mapping
    from the preset; `fields` set too. Saved."""
    flow.reverse_mapping = mapping_create(
        workspace=flow.workspace,
        user=owner,
        name="HighLevel to Ecwid",
        source_provider="highlevel",
        target_provider="ecwid",
        source_connection=flow.target_connection,
        target_connection=flow.source_connection,
    )
    flow.direction = Flow.Direction.TWO_WAY
    for name, value in fields.items():
        setattr(flow, name, value)
    flow.save()
    return flow


def sandbox_writes(harness) -> int:
    """Requests a sandbox answered that change something (not reads, not searches)."""
    routes = harness.app.stats.snapshot()["requests_by_route"]
    return sum(
        n
        for route, n in routes.items()
        if not route.startswith("GET ") and not route.endswith("/search")
    )


@pytest.fixture
def flow(sandboxes, workspace, owner) -> Flow:
    return ecwid_to_highlevel(workspace, owner)


@pytest.fixture
def faults():
    """Set HighLevel sandbox knobs for one test (`faults(error_rate=1.0)`); reset after."""
    yield lambda **knobs: HIGHLEVEL._control("POST", "", json=knobs)
    HIGHLEVEL._control("POST", "/reset")


@pytest.fixture
def pair(workspace):
    """An Ecwid connection and a HighLevel one of the workspace (no sandbox behind them)."""
    source = ConnectionFactory(workspace=workspace, name="Shop")
    target = ConnectionFactory(
        workspace=workspace, name="CRM", provider="highlevel", settings={"location_id": "l1"}
    )
    return source, target


def form_data(source, target, mapping, **extra):
    return {
        "name": "Shop customers",
        "source_connection": source.pk,
        "target_connection": target.pk,
        "mapping": mapping if isinstance(mapping, str) else mapping.pk,
        "object_type": "contact",
        "trigger_webhook": "on",
        "poll_minutes": "15",
        "schedule_time": "02:30",
        "schedule_timezone": "Europe/London",
        "actions": "",
        "delete_policy": "ignore",
        "match_by": "email_then_phone",
        **extra,
    }
