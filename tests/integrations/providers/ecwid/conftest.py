"""Client tests: `EcwidClient` over real HTTP against an Ecwid sandbox started in-process,
with Connections made from the sandbox's describe() the way "Use sandbox" makes them."""

import pytest

from integrations.providers.ecwid.client import EcwidClient
from sandboxes.ecwid import connection_values
from tests.factories import ConnectionFactory
from tests.sandboxes.ecwid.conftest import Control, start


@pytest.fixture(scope="module")
def sandbox():
    app, stop_server = start(rate_limit=100_000)
    yield app
    stop_server()


@pytest.fixture
def described(sandbox) -> dict:
    return sandbox.describe()


@pytest.fixture
def control(described) -> Control:
    return Control(described["base_url"])


@pytest.fixture(autouse=True)
def _fresh_knobs_and_counters(request):
    """Every client test starts with default knobs and zero counters (the data carries
    over). Tests of the sandbox folder have their own sandbox and reset."""
    if "sandbox" not in request.fixturenames:
        yield
        return
    control = Control(request.getfixturevalue("sandbox").base_url)
    control.reset()
    yield
    control.reset()


@pytest.fixture
def make_connection(db, described):
    def make(**credential_changes):
        credentials, settings = connection_values(described)
        return ConnectionFactory(
            provider="ecwid",
            settings=settings,
            credentials={**credentials, **credential_changes},
        )

    return make


@pytest.fixture
def connection(make_connection):
    return make_connection()


@pytest.fixture
def ecwid_client(connection) -> EcwidClient:
    return EcwidClient(connection)


def stored_customers(sandbox) -> dict[int, dict]:
    """The sandbox's own records: the ground truth a listing is compared with."""
    return {doc["id"]: doc for doc in sandbox.store.all("customer")}
