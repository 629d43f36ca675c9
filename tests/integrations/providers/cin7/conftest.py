"""One Cin7 Core sandbox for this folder, spoken to over real HTTP.

The session sandbox has a generous rate limit so the suite does not throttle itself; rate
limit tests lower it through `/_control`. Every test ends with `/_control/reset` (knobs,
counters, rate windows and the delivery log; the data stays, so tests make their own
records). `receiver` is a plain HTTP server that records what the sandbox posts to it."""

import uuid

import pytest
import requests

from integrations.ratelimit import DatabaseBudget, Limit
from sandboxes.cin7 import Cin7Sandbox, connection_values
from sandboxes.kit.server import SandboxOptions
from tests.sandboxes.support import (
    TIMEOUT,
    ControlClient,
    CurlUser,
    WebhookReceiver,
    serve,
)

SEED = 60
RANDOM_SEED = 7


class Api(CurlUser):
    """A curl user: the two api-auth headers on every call."""

    def __init__(self, api_url: str, account_id: str | None, application_key: str | None):
        headers = {
            "api-auth-accountid": account_id,
            "api-auth-applicationkey": application_key,
        }
        super().__init__(api_url, {k: v for k, v in headers.items() if v is not None})

    def customers(self, **params) -> dict:
        response = self.get("/customer", params=params)
        assert response.status_code == 200, response.text
        return response.json()


class Control(ControlClient):
    def deliveries(self, **filters) -> list[dict]:
        return self.webhooks(**filters)

    def ui(self, method: str, customer_id: str | None = None, **kwargs) -> requests.Response:
        path = "/customers" + (f"/{customer_id}" if customer_id else "")
        return requests.request(method, self.url + path, timeout=TIMEOUT, **kwargs)


def start(options: SandboxOptions | None = None, **knobs):
    return serve(
        Cin7Sandbox(options or SandboxOptions(seed=SEED, random_seed=RANDOM_SEED), **knobs)
    )


@pytest.fixture(scope="session")
def cin7():
    app, stop_server = start(rate_limit=100_000, webhook_batch_ms=100)
    yield app
    stop_server()


@pytest.fixture(scope="session")
def described(cin7) -> dict:
    return cin7.describe()


@pytest.fixture(autouse=True)
def _reset_after_test(cin7):
    yield
    Control(cin7.describe()["control_url"]).reset()


@pytest.fixture
def control(described) -> Control:
    return Control(described["control_url"])


@pytest.fixture
def api(described) -> Api:
    return Api(described["api_url"], described["account_id"], described["application_key"])


def customer_body(**fields) -> dict:
    """A valid POST /customer body with a unique name and e-mail."""
    tag = uuid.uuid4().hex[:10]
    return {
        "Name": f"Test Customer {tag}",
        "Status": "Active",
        "Currency": "USD",
        "PaymentTerm": "30 days",
        "TaxRule": "Tax Exempt",
        "AccountReceivable": "610",
        "RevenueAccount": "200",
        "PriceTier": "Tier 1",
        "Contacts": [{"Name": "Pat Test", "Email": f"pat.{tag}@example.org", "Default": True}],
        **fields,
    }


@pytest.fixture
def new_customer(api):
    def create(**fields) -> dict:
        response = api.post("/customer", json=customer_body(**fields))
        assert response.status_code == 200, response.text
        return response.json()["CustomerList"][0]

    return create


# --- the product side ---------------------------------------------------------------------------


@pytest.fixture
def cin7_connection(db, described):
    from tests.factories import ConnectionFactory

    credentials, settings = connection_values(described)
    return ConnectionFactory(
        provider="cin7",
        name="Cin7 sandbox",
        settings={**settings, "price_tier": "Tier 1"},  # the sandbox offers the seven
        credentials=credentials,
    )


@pytest.fixture
def make_client():
    """A Cin7Client with its own database budget and a test-sized limit."""
    from integrations.providers.cin7.client import Cin7Client

    def make(connection, **options):
        options.setdefault("budget", DatabaseBudget())
        options.setdefault("limit", Limit(10_000, 1.0))
        return Cin7Client(connection, **options)

    return make


# --- a webhook receiver -------------------------------------------------------------------------


class Receiver(WebhookReceiver):
    """Records each POST as {"path", "headers" (lower-cased), "body"}; answers `status`."""

    def record(self, path: str, headers, body: bytes) -> dict:
        return {"path": path, "headers": {k.lower(): v for k, v in headers.items()}, "body": body}

    @property
    def requests(self) -> list[dict]:
        return self.received

    def wait_for(self, count: int, timeout: float = 10) -> list[dict]:
        return super().wait_for(count, timeout)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()
