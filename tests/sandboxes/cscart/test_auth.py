"""HTTP Basic with an administrator's e-mail and API key, refused as CS-Cart refuses."""

import base64

import pytest
import requests

from tests.integrations.providers.cscart.conftest import Api
from tests.sandboxes.support import TIMEOUT

REALM = 'Basic realm="User email/API key"'


def _refused(response):
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == REALM
    assert response.json() == {"message": "Unauthorized", "status": 401}


def test_the_admin_email_and_api_key_are_accepted(api):
    response = api.get("/users", params={"user_type": "C"})
    assert response.status_code == 200
    assert "users" in response.json()


@pytest.mark.parametrize(
    "who",
    [
        ("email", "wrong-key"),
        ("nobody@example.com", "api_key"),
        ("email", ""),
    ],
)
def test_wrong_credentials_are_a_401_with_the_basic_realm(creds, who):
    email = creds[who[0]] if who[0] in creds else who[0]
    key = creds[who[1]] if who[1] in creds else who[1]
    _refused(Api(creds["api_url"], email, key).get("/users", params={"user_type": "C"}))


def test_no_credentials_at_all_are_a_401(creds):
    _refused(Api(creds["api_url"], None, None).get("/users", params={"user_type": "C"}))


def test_a_bearer_token_or_garbage_header_is_a_401(creds):
    for header in ("Bearer " + creds["api_key"], "Basic %%%not-base64%%%"):
        response = requests.get(
            creds["api_url"] + "/users",
            params={"user_type": "C"},
            headers={"Authorization": header},
            timeout=TIMEOUT,
        )
        _refused(response)


def test_a_customer_without_an_api_key_cannot_log_in(creds, api):
    customer = api.get("/users", params={"user_type": "C", "items_per_page": 1}).json()["users"][0]
    token = base64.b64encode(f"{customer['email']}:".encode()).decode()
    response = requests.get(
        creds["api_url"] + "/users",
        params={"user_type": "C"},
        headers={"Authorization": f"Basic {token}"},
        timeout=TIMEOUT,
    )
    _refused(response)


def test_a_disabled_administrator_is_refused_until_enabled_again(creds, control, viewer):
    control.act("admin_status", {"email": creds["viewer_email"], "status": "D"})
    try:
        _refused(viewer.get("/users", params={"user_type": "C"}))
    finally:
        control.act("admin_status", {"email": creds["viewer_email"], "status": "A"})
    assert viewer.get("/users", params={"user_type": "C"}).status_code == 200


def test_an_admin_without_manage_users_may_read_but_not_write(viewer, api, new_user):
    user_id = new_user()
    assert viewer.get(f"/users/{user_id}").status_code == 200
    for response in (
        viewer.put(f"/users/{user_id}", json={"firstname": "X"}),
        viewer.delete(f"/users/{user_id}"),
        viewer.post("/users", json={"email": "x@example.org", "user_type": "C", "company_id": 1}),
        viewer.put(f"/users/{user_id}/usergroups/3", json={"status": "A"}),
    ):
        assert response.status_code == 403
        assert response.json() == {"message": "Forbidden", "status": 403}
    assert api.get(f"/users/{user_id}").json()["firstname"] == ""
