"""The HighLevel client against the HighLevel sandbox, over real HTTP.

One sandbox serves the whole session (a generous burst limit, so the suite does not throttle
itself; rate-limit tests lower it through `/_control`). The `hl` fixture resets the
sandbox's knobs and counters after each test and clears the cache that holds the rate limit
the client learned, so neither leaks into the next test; the data does, on purpose (tests
create their own records).

Every client made with `make_client` records each request it sends and the answer; when
the test ends they are all checked against the OpenAPI specs (tests/contract), so every
test here is also a contract test of what the client sends and gets back."""

import hashlib
import uuid

import pytest
import requests
from django.core.cache import cache

from integrations.providers.highlevel import auth
from integrations.providers.highlevel.client import HighLevelClient
from integrations.ratelimit import RedisBudget, get_budget
from sandboxes.highlevel import HighLevelSandbox
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.contract.highlevel_exchanges import Recorder
from tests.factories import ConnectionFactory

SEED = 40
RANDOM_SEED = 11
TIMEOUT = 10
READ_WRITE = ["contacts.readonly", "contacts.write", "locations/customFields.readonly"]


def no_sleep(seconds: float) -> None:
    """Retries and rate-limit waits without the waiting, to keep tests fast."""


class Control:
    """`/highlevel/_control`: knobs, counters, actions."""

    def __init__(self, base_url: str):
        self.url = base_url + "/_control"

    def state(self) -> dict:
        return requests.get(self.url, timeout=TIMEOUT).json()

    def stats(self) -> dict:
        return self.state()["stats"]

    def set(self, **changes) -> dict:
        response = requests.post(self.url, json=changes, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()

    def reset(self) -> None:
        requests.post(self.url + "/reset", timeout=TIMEOUT).raise_for_status()

    def issue_token(self, **spec) -> dict:
        return self.set(issue_token=spec)["result"]["issued"]

    def webhooks(self, **filters) -> list[dict]:
        response = requests.get(self.url + "/webhooks", params=filters, timeout=TIMEOUT)
        return response.json()["deliveries"]


@pytest.fixture(scope="session")
def hl_app():
    app = HighLevelSandbox(
        SandboxOptions(seed=SEED, random_seed=RANDOM_SEED), rsa_key_bits=2048, burst_limit=100_000
    )
    httpd, server, _ = start_in_thread([app])
    yield app
    stop(httpd, server)


def _reset_redis_budgets(described: dict) -> None:
    """A database budget goes with the test's transaction; a Redis one (CI can point the
    suite at Redis) would outlive it, blocks included: clear the sandbox apps' keys."""
    budget = get_budget()
    if not isinstance(budget, RedisBudget):
        return
    pit = described["private_integration_token"]
    apps = [described["client_id"], "pit-" + hashlib.sha256(pit.encode()).hexdigest()[:16]]
    for app in apps:
        for location_id in described["location_ids"]:
            budget.reset(f"highlevel:{app}:{location_id}")


@pytest.fixture
def hl(hl_app) -> dict:
    """The sandbox's describe(): base_url, client_id/secret, location_id, PIT, webhook keys."""
    described = hl_app.describe()
    cache.clear()
    _reset_redis_budgets(described)
    yield described
    Control(hl_app.base_url).reset()
    cache.clear()
    _reset_redis_budgets(described)


@pytest.fixture
def control(hl) -> Control:
    return Control(hl["base_url"])


@pytest.fixture
def recorder(hl):
    """Every exchange of clients made by `make_client`, validated against the specs at the end."""
    recorder = Recorder()
    yield recorder
    recorder.validate()


@pytest.fixture
def make_client(recorder):
    def make(connection, **options) -> HighLevelClient:
        options.setdefault("sleep", no_sleep)
        client = HighLevelClient(connection, **options)
        recorder.attach(client.transport)
        return client

    return make


def settings_for(hl: dict, **extra) -> dict:
    return {"base_url": hl["base_url"], "location_id": hl["location_id"], **extra}


@pytest.fixture
def pit_connection(hl, workspace):
    """A connection with the sandbox's published Private Integration Token."""

    def make(**extra_settings):
        return ConnectionFactory(
            workspace=workspace,
            provider="highlevel",
            settings=settings_for(hl, **extra_settings),
            credentials={"private_integration_token": hl["private_integration_token"]},
            scopes=READ_WRITE,
        )

    return make


@pytest.fixture
def oauth_connection(hl, control, workspace):
    """A connection holding an OAuth token pair issued by the sandbox (no consent dance)."""

    def make(*, scopes=READ_WRITE, expires_in=None, **extra_settings):
        spec = {"kind": "oauth", "scopes": scopes}
        if expires_in is not None:
            spec["expires_in"] = expires_in
        issued = control.issue_token(**spec)
        grant = auth.TokenGrant(
            access_token=issued["access_token"],
            refresh_token=issued["refresh_token"],
            expires_at=auth.timezone.now() + auth.timedelta(seconds=issued["expires_in"]),
            scopes=issued["scope"].split(),
            location_id=issued["locationId"],
            company_id="",
            user_type=issued["userType"],
            user_id="",
        )
        connection = ConnectionFactory(
            workspace=workspace,
            provider="highlevel",
            settings=settings_for(hl, **extra_settings),
            credentials={},
        )
        return auth.store_grant(
            connection, client_id=hl["client_id"], client_secret=hl["client_secret"], grant=grant
        )

    return make


def unique_email(prefix: str = "client") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:12]}@example.org"


def unique_phone() -> str:
    return f"+1512{uuid.uuid4().int % 10_000_000:07d}"
