"""The sandbox as a curl user sees it: plain `requests` with the three auth headers."""

import uuid

import pytest

from tests.integrations.providers.shift4shop.conftest import (  # noqa: F401  the sandbox fixtures
    _reset_after_test,
    control,
    described,
    receiver,
    shift4shop,
    store_connection,
)
from tests.sandboxes.support import CurlUser


class Api(CurlUser):
    def __init__(self, api_url: str, headers: dict[str, str]):
        super().__init__(api_url, {"Accept": "application/json", **headers})


def auth_headers(described: dict) -> dict[str, str]:
    return {
        "SecureURL": described["secure_url"],
        "PrivateKey": described["private_key"],
        "Token": described["token"],
    }


@pytest.fixture
def api(described) -> Api:
    return Api(described["api_url"], auth_headers(described))


@pytest.fixture
def new_customer(api):
    """Create a customer with a unique e-mail through the API; returns its GET shape."""

    def create(**fields) -> dict:
        body = {"Email": f"test.{uuid.uuid4().hex[:12]}@example.org", "Password": "s3cret"}
        response = api.post("/Customers", json={**body, **fields})
        assert response.status_code == 201, response.text
        customer_id = response.json()[0]["Value"]
        return api.get(f"/Customers/{customer_id}").json()[0]

    return create
