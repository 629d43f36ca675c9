"""The identity server's client-credentials grant and the API's bearer check."""

import base64

import requests

from tests.sandboxes.orderspace.conftest import Api, get_token
from tests.sandboxes.support import TIMEOUT

INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)


def test_client_credentials_buy_a_30_minute_bearer_token(described):
    response = get_token(described)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 1800
    assert body["scope"] == "read write"
    assert len(body["access_token"]) >= 32
    assert "refresh_token" not in body
    assert response.headers["Cache-Control"] == "no-store"


def test_the_grant_also_takes_json_and_http_basic(described):
    as_json = requests.post(
        described["token_url"],
        json={
            "client_id": described["client_id"],
            "client_secret": described["client_secret"],
            "grant_type": "client_credentials",
        },
        timeout=TIMEOUT,
    )
    basic = base64.b64encode(
        f"{described['client_id']}:{described['client_secret']}".encode()
    ).decode()
    as_basic = requests.post(
        described["token_url"],
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
        timeout=TIMEOUT,
    )

    assert as_json.status_code == 200, as_json.text
    assert as_basic.status_code == 200, as_basic.text


def test_a_wrong_secret_is_refused_as_an_invalid_client(described):
    response = get_token(described, client_secret="not-the-secret")

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client", "error_description": INVALID_CLIENT}


def test_other_grant_types_and_missing_grant_type_are_refused(described):
    unsupported = get_token(described, grant_type="password")
    missing = get_token(described, grant_type="")

    assert unsupported.status_code == 400
    assert unsupported.json()["error"] == "unsupported_grant_type"
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"


def test_api_calls_without_a_valid_token_get_an_empty_401(described):
    for token in (None, "made-up-token"):
        response = Api(described["api_url"], token).get("/customers")

        assert response.status_code == 401
        assert response.content == b""
        assert response.headers["WWW-Authenticate"] == (
            'Bearer realm="Orderspace", error="invalid_token", '
            'error_description="The access token is invalid"'
        )


def test_an_expired_token_says_so(api, control):
    assert api.get("/customers", params={"limit": 1}).status_code == 200

    assert control.act("expire_tokens", True)["expired"] >= 1
    response = api.get("/customers", params={"limit": 1})

    assert response.status_code == 401
    assert 'error_description="The access token expired"' in response.headers["WWW-Authenticate"]


def test_token_lifetime_is_a_knob(described, control):
    control.set(token_ttl_seconds=90)

    assert get_token(described).json()["expires_in"] == 90


def test_a_rotated_secret_stops_the_old_one_working(orderspace, control):
    before = dict(orderspace.describe())
    try:
        new_secret = control.act("rotate_client_secret", True)["client_secret"]

        assert get_token(before).status_code == 401
        assert get_token(before, client_secret=new_secret).status_code == 200
        assert orderspace.describe()["client_secret"] == new_secret
    finally:
        orderspace.credentials = {**orderspace.credentials, **before_secret(before)}
        orderspace.store.set_meta("credentials", orderspace.credentials)


def before_secret(described: dict) -> dict:
    return {"client_secret": described["client_secret"]}
