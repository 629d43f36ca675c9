"""One Shift4Shop sandbox for the client and sandbox tests, talked to over real HTTP.

The session sandbox allows 100,000 requests a second so the suite does not throttle itself;
the rate-limit tests lower it through `/_control`. Every test ends with `/_control/reset`
(knobs, counters, rate windows and the webhook log; data is kept, so tests create their
own records or look records up rather than assuming what earlier tests left)."""

import time
import uuid

import pytest
import requests

from sandboxes.kit.server import SandboxOptions
from sandboxes.shift4shop import Shift4ShopSandbox, connection_values
from tests.sandboxes.support import TIMEOUT, ControlClient, WebhookReceiver, serve

SEED = 40
RANDOM_SEED = 5


class Control(ControlClient):
    """`/shift4shop/_control`: knobs, counters, admin-side changes and the webhook log."""

    def __init__(self, base_url: str):
        super().__init__(base_url + "/_control")

    def wait_for_webhooks(self, count: int, status: str = "delivered", timeout=5.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.webhooks(status=status)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} {status} webhooks expected, log: {self.webhooks()}")

    def admin(self, method: str, path: str = "", body=None, **params) -> dict:
        """A change made in the store's admin (fires webhooks as the store would)."""
        response = requests.request(
            method, f"{self.url}/customers{path}", json=body, params=params, timeout=TIMEOUT
        )
        assert response.status_code in (200, 201), response.text
        return response.json()

    def add_customer(self, *, params: dict | None = None, **fields) -> dict:
        body = {"Email": f"admin.{uuid.uuid4().hex[:10]}@example.org", "Password": "pw", **fields}
        return self.admin("POST", body=body, **(params or {}))["customer"]


def start(options: SandboxOptions | None = None, **knobs):
    options = options or SandboxOptions(seed=SEED, random_seed=RANDOM_SEED)
    return serve(Shift4ShopSandbox(options, **knobs))


@pytest.fixture(scope="session")
def shift4shop():
    app, stop_server = start(rate_limit=100_000)
    yield app
    stop_server()


@pytest.fixture(scope="session")
def described(shift4shop) -> dict:
    return shift4shop.describe()


@pytest.fixture(autouse=True)
def _reset_after_test(shift4shop):
    yield
    Control(shift4shop.base_url).reset()


@pytest.fixture
def control(described) -> Control:
    return Control(described["base_url"])


@pytest.fixture
def store_connection(db, described):
    """A Shift4Shop Connection to the sandbox, made as "Use sandbox" makes it, with a budget
    high enough that only the sandbox's own limit can refuse."""
    from tests.factories import ConnectionFactory

    credentials, settings = connection_values(described)
    return ConnectionFactory(
        provider="shift4shop",
        settings={**settings, "requests_per_second": 1000},
        credentials=credentials,
    )


class Receiver(WebhookReceiver):
    """A tiny webhook endpoint recording (lower-cased headers, raw body) and answering 200."""

    path = "/hooks"


@pytest.fixture
def receiver():
    hook = Receiver()
    yield hook
    hook.close()
