"""One Ecwid sandbox for this folder, talked to over real HTTP with `requests`, as a curl
user would. The session sandbox has a generous rate limit so the suite does not throttle
itself; rate-limit tests lower it through `/_control`. Every test ends with
`/_control/reset` (knobs and counters; the data stays, so tests create their own records)."""

import uuid

import pytest
import requests

from integrations.providers.ecwid.sandbox import EcwidSandbox
from integrations.sandbox.server import SandboxOptions, start_in_thread, stop

SEED = 40
RANDOM_SEED = 7
TIMEOUT = 10
DATE = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000$"


class Api:
    """`{base}/api/v3/{storeId}` with `Authorization: Bearer <token>` on every call."""

    def __init__(self, api_url: str, token: str | None):
        self.api_url = api_url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, self.api_url + path, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


class Control:
    """`/ecwid/_control`: knobs, counters, actions, admin-side changes and the webhook log."""

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

    def issue_token(self, *scopes: str) -> str:
        return self.set(issue_token={"scopes": list(scopes)})["result"]["issue_token"]["token"]

    def webhooks(self, **filters) -> list[dict]:
        response = requests.get(self.url + "/webhooks", params=filters, timeout=TIMEOUT)
        return response.json()["deliveries"]

    def admin(self, method: str, path: str = "", **kwargs) -> requests.Response:
        """A change made "in the Ecwid admin" (not through the API)."""
        return requests.request(method, f"{self.url}/customers{path}", timeout=TIMEOUT, **kwargs)


def start(options: SandboxOptions | None = None, **knobs):
    app = EcwidSandbox(options or SandboxOptions(seed=SEED, random_seed=RANDOM_SEED), **knobs)
    httpd, server, _ = start_in_thread([app])
    return app, lambda: stop(httpd, server)


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
