"""One HighLevel sandbox for this folder, talked to over real HTTP with `requests`.

The session sandbox has a generous burst limit so the suite does not throttle itself; the
rate-limit tests lower it through `/_control`. Every test ends with `/_control/reset`, so
knobs and counters never leak from one test into the next (the data does, on purpose: tests
create their own records)."""

import uuid

import pytest

from sandboxes.highlevel import HighLevelSandbox
from sandboxes.kit.server import SandboxOptions
from tests.sandboxes.support import ControlClient, CurlUser, bearer, serve

SEED = 60
RANDOM_SEED = 7


class Api(CurlUser):
    """A curl user: base URL, bearer token and Version header on every call."""

    def __init__(self, base_url: str, token: str | None, version: str | None = "2021-07-28"):
        super().__init__(base_url, {**bearer(token), **({"Version": version} if version else {})})


class Control(ControlClient):
    """`/highlevel/_control`: knobs, counters, actions and the webhook log."""

    def __init__(self, base_url: str):
        super().__init__(base_url + "/_control")

    def issue_token(self, **spec) -> dict:
        return self.set(issue_token=spec)["result"]["issued"]


def start(**kwargs):
    options = kwargs.pop("options", None) or SandboxOptions(seed=SEED, random_seed=RANDOM_SEED)
    return serve(HighLevelSandbox(options, rsa_key_bits=2048, **kwargs))


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
