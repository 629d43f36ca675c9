"""One Orderspace sandbox for this folder, over real HTTP.

The session sandbox has a generous rate limit so the suite does not throttle itself; the
rate-limit tests lower it through `/_control`. Every test ends with `/_control/reset` (knobs,
counters, storms, webhook log), so nothing but data leaks between tests, and tests create
the records they change."""

import uuid

import pytest

from integrations.providers.orderspace.client import OrderspaceClient
from integrations.ratelimit import Limit
from sandboxes.kit.server import SandboxOptions
from sandboxes.orderspace import OrderspaceSandbox, connection_values
from tests.factories import ConnectionFactory
from tests.sandboxes.support import ControlClient, serve

SEED = 120
RANDOM_SEED = 7
SESSION_KNOBS = {"rate_limit": 100_000, "webhook_batch_ms": 50}
FAST = Limit(max_requests=100_000, interval=1.0)


class Control(ControlClient):
    """`/orderspace/_control`: knobs, counters, admin changes and the webhook log."""


def start(options: SandboxOptions | None = None, **knobs):
    options = options or SandboxOptions(seed=SEED, random_seed=RANDOM_SEED)
    return serve(OrderspaceSandbox(options, **knobs))


@pytest.fixture(scope="session")
def orderspace():
    app, stop_server = start(**SESSION_KNOBS)
    yield app
    stop_server()


@pytest.fixture(scope="session")
def described(orderspace) -> dict:
    return orderspace.describe()


@pytest.fixture(autouse=True)
def _reset_after_test(orderspace):
    yield
    Control(orderspace.describe()["control_url"]).reset()


@pytest.fixture
def control(described) -> Control:
    return Control(described["control_url"])


def unique_email() -> str:
    return f"buyer.{uuid.uuid4().hex[:12]}@example.org"


def new_fields(**overrides) -> dict:
    """Fields of a customer nobody else has (the buyer e-mail must be unique)."""
    email = unique_email()
    return {
        "company_name": f"Test Co {uuid.uuid4().hex[:6]}",
        "buyers": [{"name": "Pat Tester", "email_address": email}],
        "phone": "+44 20 7946 0000",
        **overrides,
    }


@pytest.fixture
def make_connection(db, described):
    def make(described_values: dict | None = None, **overrides):
        credentials, settings = connection_values(described_values or described)
        credentials.update(overrides.pop("credentials", {}))
        settings.update(overrides.pop("settings", {}))
        return ConnectionFactory(
            provider="orderspace", settings=settings, credentials=credentials, **overrides
        )

    return make


@pytest.fixture
def connection(make_connection):
    return make_connection()


@pytest.fixture
def client(connection) -> OrderspaceClient:
    return OrderspaceClient(connection, limit=FAST, sleep=lambda seconds: None)
