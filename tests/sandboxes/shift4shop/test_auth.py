"""SecureURL + PrivateKey + Token on every request; anything wrong is a 401 status array."""

import pytest
import requests

from tests.sandboxes.shift4shop.conftest import Api, auth_headers


def _status_entry(response) -> dict:
    body = response.json()
    assert isinstance(body, list) and len(body) == 1, body
    return body[0]


def test_the_three_headers_open_the_api(api):
    response = api.get("/Customers", params={"limit": 2})
    assert response.status_code == 200
    assert isinstance(response.json(), list) and len(response.json()) == 2


@pytest.mark.parametrize(
    ("header", "value", "message"),
    [
        ("PrivateKey", "0" * 32, "The PrivateKey is not valid."),
        ("Token", "f" * 32, "The Token is not valid for this store."),
        ("SecureURL", "https://another.3dcartstores.com", "not a store that authorized"),
    ],
)
def test_each_wrong_credential_is_refused_with_its_message(described, header, value, message):
    api = Api(described["api_url"], {**auth_headers(described), header: value})
    response = api.get("/Customers")
    assert response.status_code == 401
    entry = _status_entry(response)
    assert entry["Status"] == "401" and message in entry["Message"]


def test_missing_headers_are_refused(described):
    response = requests.get(described["api_url"] + "/Customers", timeout=5)
    assert response.status_code == 401
    assert "SecureURL, PrivateKey and Token" in _status_entry(response)["Message"]


@pytest.mark.parametrize(
    "spelling", ["HTTPS://{upper}/", "{host}", "http://{host}", "https://{host}/"]
)
def test_the_secure_url_is_compared_without_scheme_case_or_slash(described, spelling):
    host = described["secure_url"].removeprefix("https://")
    headers = {
        **auth_headers(described),
        "SecureURL": spelling.format(host=host, upper=host.upper()),
    }
    assert Api(described["api_url"], headers).get("/Customers?limit=1").status_code == 200


def test_the_refusal_status_is_a_knob(described, control):
    control.set(auth_error_status=403)
    api = Api(described["api_url"], {**auth_headers(described), "Token": "nope"})
    response = api.get("/Customers")
    assert response.status_code == 403 and _status_entry(response)["Status"] == "403"


def test_paths_ignore_case_and_v1_answers_too(api, described):
    assert api.get("/customers?limit=1").status_code == 200
    v1 = Api(described["api_url"].replace("/v2", "/v1"), auth_headers(described))
    assert v1.get("/CUSTOMERS?limit=1").status_code == 200
    v9 = Api(described["api_url"].replace("/v2", "/v9"), auth_headers(described))
    assert v9.get("/Customers").status_code == 404


def test_a_bad_credential_does_not_count_against_the_rate_limit(described, control):
    control.set(rate_limit=1, rate_window_seconds=30)
    bad = Api(described["api_url"], {**auth_headers(described), "Token": "nope"})
    for _ in range(3):
        assert bad.get("/Customers").status_code == 401
    assert Api(described["api_url"], auth_headers(described)).get("/Customers?limit=1").ok
