"""One HighLevel sandbox for this folder, talked to over real HTTP with `requests`.

The session sandbox has a generous burst limit so the suite does not throttle itself; the
rate-limit tests lower it through `/_control`. Every test ends with `/_control/reset`, so
knobs and counters never leak from one test into the next (the data does, on purpose: tests
create their own records)."""

import uuid

import pytest
import requests

from integrations.providers.highlevel.sandbox import HighLevelSandbox
from integrations.sandbox.server import SandboxOptions, start_in_thread, stop

SEED = 60
RANDOM_SEED = 7
TIMEOUT = 10


class Api:
    """A curl user: base URL, bearer token and Version header on every call."""

    def __init__(self, base_url: str, token: str | None, version: str | None = "2021-07-28"):
        self.base_url = base_url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        if version:
            self.session.headers["Version"] = version

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


class Control:
    """`/highlevel/_control`: knobs, counters, actions and the webhook log."""

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
        return requests.get(self.url + "/webhooks", params=filters, timeout=TIMEOUT).json()[
            "deliveries"
        ]


def start(**kwargs):
    options = kwargs.pop("options", None) or SandboxOptions(seed=SEED, random_seed=RANDOM_SEED)
    app = HighLevelSandbox(options, rsa_key_bits=2048, **kwargs)
    httpd, server, _ = start_in_thread([app])
    return app, lambda: stop(httpd, server)


@pytest.fixture(scope="session")
def highlevel():
    app, stop_server = start(burst_limit=100_000)
    yield app
    stop_server()


@pytest.fixture(scope="session")
def creds(highlevel) -> dict:
    return highlevel.describe()


@pytest.fixture(autouse=True)
def _reset_after_test(highlevel):
    yield
    Control(highlevel.base_url).reset()


@pytest.fixture
def control(creds) -> Control:
    return Control(creds["base_url"])


@pytest.fixture
def api(creds) -> Api:
    """The published Private Integration Token of the first location."""
    return Api(creds["base_url"], creds["private_integration_token"])


@pytest.fixture
def api_v3(creds) -> Api:
    return Api(creds["base_url"], creds["private_integration_token"], version="v3")


@pytest.fixture
def location(creds) -> str:
    return creds["location_id"]


@pytest.fixture
def other_location(creds) -> str:
    return creds["location_ids"][1]


@pytest.fixture
def new_contact(api, location):
    """Create a contact with a unique e-mail; returns its GET shape."""

    def create(**fields) -> dict:
        body = {
            "locationId": location,
            "firstName": "Test",
            "email": f"test.{uuid.uuid4().hex[:12]}@example.org",
        }
        response = api.post("/contacts/", json={**body, **fields})
        assert response.status_code == 201, response.text
        return response.json()["contact"]

    return create
