"""Sandbox tests talk to it as a curl user would: plain `requests`, a bearer token."""

import pytest
import requests

from tests.integrations.providers.orderspace.conftest import (  # noqa: F401  the sandbox fixtures
    _reset_after_test,
    client,
    connection,
    control,
    described,
    make_connection,
    orderspace,
)
from tests.sandboxes.support import TIMEOUT, BearerUser

Api = BearerUser


def get_token(described: dict, **overrides) -> requests.Response:
    form = {
        "client_id": described["client_id"],
        "client_secret": described["client_secret"],
        "grant_type": "client_credentials",
        **overrides,
    }
    return requests.post(described["token_url"], data=form, timeout=TIMEOUT)


@pytest.fixture
def token(described) -> str:
    response = get_token(described)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
def api(described, token) -> Api:
    return Api(described["api_url"], token)


@pytest.fixture
def create(api):
    """POST /customers and return the created record."""

    def create_customer(fields: dict) -> dict:
        response = api.post("/customers", json={"customer": fields})
        assert response.status_code == 200, response.text
        return response.json()["customer"]

    return create_customer
