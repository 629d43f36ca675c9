"""One CS-Cart sandbox for this folder, over real HTTP.

Sandbox tests talk to it as a curl user would (`requests` + Basic auth); client tests go
through `CsCartClient` with a Connection made by the factories. Every test ends with
`/_control/reset`, so knobs and counters never leak into the next test; data does, on
purpose, so tests create the users they change and count relative to what they saw."""

import uuid

import pytest

from sandboxes.cscart import CsCartSandbox, connection_values
from sandboxes.kit.server import SandboxOptions
from tests.factories import ConnectionFactory
from tests.sandboxes.support import ControlClient, CurlUser, serve

SEED = 60
RANDOM_SEED = 7
FAST = {"rate_limit_requests": 10_000, "rate_limit_interval": 1}


class Api(CurlUser):
    """A curl user of one store: Basic auth with an admin e-mail and API key."""

    def __init__(self, api_url: str, email: str | None, api_key: str | None):
        super().__init__(api_url, auth=None if email is None else (email, api_key or ""))


class Control(ControlClient):
    """`/cscart/_control`: knobs, counters and "changes made in the store's admin panel"."""


def start(**kwargs):
    options = kwargs.pop("options", None) or SandboxOptions(seed=SEED, random_seed=RANDOM_SEED)
    return serve(CsCartSandbox(options, **kwargs))


@pytest.fixture(scope="session")
def cscart():
    app, stop_server = start()
    yield app
    stop_server()


@pytest.fixture(scope="session")
def creds(cscart) -> dict:
    return cscart.describe()


@pytest.fixture(autouse=True)
def _reset_after_test(request):
    yield
    if "cscart" in request.fixturenames:
        Control(request.getfixturevalue("creds")["control_url"]).reset()


@pytest.fixture
def control(creds) -> Control:
    return Control(creds["control_url"])


@pytest.fixture
def api(creds) -> Api:
    return Api(creds["api_url"], creds["email"], creds["api_key"])


@pytest.fixture
def viewer(creds) -> Api:
    return Api(creds["api_url"], creds["viewer_email"], creds["viewer_api_key"])


def unique_email(prefix: str = "test") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:12]}@example.org"


@pytest.fixture
def new_user(api):
    """Create a customer through the API; returns its id as a string."""

    def create(**fields) -> str:
        body = {"email": unique_email(), "user_type": "C", "company_id": 1, **fields}
        response = api.post("/users", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["user_id"])

    return create


def make_connection(described: dict, **settings):
    credentials, base_settings = connection_values(described)
    return ConnectionFactory(
        provider="cscart", settings={**base_settings, **FAST, **settings}, credentials=credentials
    )


@pytest.fixture
def connection(db, creds):
    return make_connection(creds)
