"""One Orderspace sandbox for this folder, over real HTTP.

The session sandbox has a generous rate limit so the suite does not throttle itself; the
rate-limit tests lower it through `/_control`. Every test ends with `/_control/reset` (knobs,
counters, storms, webhook log), so nothing but data leaks between tests, and tests create
the records they change."""

import uuid

import pytest
import requests

from integrations.providers.orderspace.client import OrderspaceClient
from integrations.providers.orderspace.sandbox import OrderspaceSandbox, connection_values
from integrations.ratelimit import Limit
from integrations.sandbox.server import SandboxOptions, start_in_thread, stop
from tests.factories import ConnectionFactory

SEED = 120
RANDOM_SEED = 7
TIMEOUT = 10
SESSION_KNOBS = {"rate_limit": 100_000, "webhook_batch_ms": 50}
FAST = Limit(max_requests=100_000, interval=1.0)


class Control:
    """`/orderspace/_control`: knobs, counters, admin changes and the webhook log."""

    def __init__(self, url: str):
        self.url = url

    def state(self) -> dict:
        return requests.get(self.url, timeout=TIMEOUT).json()

    def stats(self) -> dict:
        return self.state()["stats"]

    def set(self, **changes) -> dict:
        response = requests.post(self.url, json=changes, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()

    def act(self, name: str, argument):
        return self.set(**{name: argument})["result"][name]

    def reset(self) -> None:
        requests.post(self.url + "/reset", timeout=TIMEOUT).raise_for_status()

    def webhooks(self, **filters) -> list[dict]:
        response = requests.get(self.url + "/webhooks", params=filters, timeout=TIMEOUT)
        return response.json()["deliveries"]


def start(options: SandboxOptions | None = None, **knobs):
    app = OrderspaceSandbox(options or SandboxOptions(seed=SEED, random_seed=RANDOM_SEED), **knobs)
    httpd, server, _ = start_in_thread([app])
    return app, lambda: stop(httpd, server)


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
