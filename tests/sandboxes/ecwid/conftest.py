"""One Ecwid sandbox for this folder, talked to over real HTTP with `requests`, as a curl
user would. The session sandbox has a generous rate limit so the suite does not throttle
itself; rate-limit tests lower it through `/_control`. Every test ends with
`/_control/reset` (knobs and counters; the data stays, so tests create their own records)."""

import uuid

import pytest
import requests

from sandboxes.ecwid import EcwidSandbox
from sandboxes.kit.server import SandboxOptions
from tests.sandboxes.support import TIMEOUT, BearerUser, ControlClient, serve

SEED = 40
RANDOM_SEED = 7
DATE = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000$"
Api = BearerUser  # `{base}/api/v3/{storeId}` with `Authorization: Bearer <token>`


class Control(ControlClient):
    """`/ecwid/_control`: knobs, counters, actions, admin-side changes and the webhook log."""

    def __init__(self, base_url: str):
        super().__init__(base_url + "/_control")

    def issue_token(self, *scopes: str) -> str:
        return self.act("issue_token", {"scopes": list(scopes)})["token"]

    def admin(self, method: str, path: str = "", **kwargs) -> requests.Response:
        """A change made "in the Ecwid admin" (not through the API)."""
        return requests.request(method, f"{self.url}/customers{path}", timeout=TIMEOUT, **kwargs)


def start(options: SandboxOptions | None = None, **knobs):
    return serve(
        EcwidSandbox(options or SandboxOptions(seed=SEED, random_seed=RANDOM_SEED), **knobs)
    )


@pytest.fixture(scope="session")
def ecwid():
    app, stop_server = start(rate_limit=100_000)
    yield app
    stop_server()


@pytest.fixture(scope="session")
def creds(ecwid) -> dict:
    return ecwid.describe()


@pytest.fixture(autouse=True)
def _reset_after_test(ecwid):
    yield
    Control(ecwid.base_url).reset()


@pytest.fixture
def control(creds) -> Control:
    return Control(creds["base_url"])


@pytest.fixture
def api(creds) -> Api:
    return Api(creds["api_url"], creds["secret_token"])


def unique_email() -> str:
    return f"shopper.{uuid.uuid4().hex[:12]}@example.org"


@pytest.fixture
def new_customer(api):
    """Create a customer with a unique e-mail; returns its GET shape."""

    def create(**fields) -> dict:
        body = {"email": unique_email(), "billingPerson": {"name": "Test Shopper"}, **fields}
        response = api.post("/customers", json=body)
        assert response.status_code == 200, response.text
        return api.get(f"/customers/{response.json()['id']}").json()

    return create
