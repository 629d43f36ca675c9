"""Version header, bearer tokens, scopes and locations, as the live API checks them."""

import time

import pytest

from sandboxes.highlevel.app import API_ROUTES, WRITE
from tests.sandboxes.highlevel.conftest import Api

WRITE_ROUTES = [(method, path) for method, path, _, scopes in API_ROUTES if scopes == WRITE]


def _concrete(path: str, contact_id: str) -> str:
    return path.format(
        contactId=contact_id,
        taskId="someTask000000000001",
        id="someNote000000000001",
        campaignId="campaignSandbox00001",
        workflowId="workflowSandbox00001",
        type="add",
    )


def test_a_missing_version_header_is_401(creds, location):
    response = Api(creds["base_url"], creds["private_integration_token"], version=None).get(
        "/contacts/", params={"locationId": location}
    )
    assert response.status_code == 401
    body = response.json()
    assert body["statusCode"] == 401 and body["message"] == "version header was not found."
    assert body["traceId"]


def test_an_unknown_version_is_400(creds, location):
    api = Api(creds["base_url"], creds["private_integration_token"], version="bogus-version")
    response = api.get("/contacts/", params={"locationId": location})
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid API version segment 'bogus-version' at position 0"


@pytest.mark.parametrize("token", [None, "not-a-token", "pit-00000000-0000-4000-8000-000000000000"])
def test_missing_or_unknown_tokens_are_invalid_jwt(creds, location, token):
    response = Api(creds["base_url"], token).get("/contacts/", params={"locationId": location})
    assert response.status_code == 401
    assert response.json()["statusCode"] == 401 and response.json()["message"] == "Invalid JWT"
    assert "X-RateLimit-Remaining" not in response.headers


def test_an_expired_access_token_is_invalid_jwt(creds, control, location):
    token = control.issue_token(expires_in=1)["access_token"]
    api = Api(creds["base_url"], token)
    assert api.get("/contacts/", params={"locationId": location}).status_code == 200
    time.sleep(1.1)
    response = api.get("/contacts/", params={"locationId": location})
    assert response.status_code == 401 and response.json()["message"] == "Invalid JWT"


def test_the_access_token_ttl_knob_sets_expires_in(creds, control):
    control.set(access_token_ttl=120)
    assert control.issue_token()["expires_in"] == 120


def test_forced_expiry_and_revocation(creds, control, location):
    first, second = control.issue_token()["access_token"], control.issue_token()["access_token"]
    control.set(revoke_tokens=first)
    assert (
        Api(creds["base_url"], first).get("/contacts/", params={"locationId": location}).status_code
        == 401
    )
    assert (
        Api(creds["base_url"], second)
        .get("/contacts/", params={"locationId": location})
        .status_code
        == 200
    )
    result = control.set(expire_access_tokens=True)["result"]
    assert result["expired"] >= 1
    assert (
        Api(creds["base_url"], second)
        .get("/contacts/", params={"locationId": location})
        .status_code
        == 401
    )
    pit = Api(creds["base_url"], creds["private_integration_token"])
    assert (
        pit.get("/contacts/", params={"locationId": location}).status_code == 200
    )  # PITs do not expire


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
def test_a_read_only_token_gets_401_on_every_write(creds, control, new_contact, method, path):
    contact_id = new_contact()["id"]
    token = control.issue_token(scopes="contacts.readonly")["access_token"]
    response = Api(creds["base_url"], token).request(method, _concrete(path, contact_id), json={})
    assert response.status_code == 401
    assert response.json()["message"] == "The token is not authorized for this scope."


def test_a_read_only_token_can_read(creds, control, location, new_contact):
    contact_id = new_contact()["id"]
    api = Api(creds["base_url"], control.issue_token(scopes="contacts.readonly")["access_token"])
    assert api.get(f"/contacts/{contact_id}").status_code == 200
    assert (
        api.post("/contacts/search", json={"locationId": location, "pageLimit": 1}).status_code
        == 200
    )


def test_a_token_without_contact_scopes_cannot_read(creds, control, location):
    api = Api(creds["base_url"], control.issue_token(scopes="users.readonly")["access_token"])
    response = api.get("/contacts/", params={"locationId": location})
    assert (
        response.status_code == 401
        and response.json()["message"] == "The token is not authorized for this scope."
    )


def test_another_locations_id_is_403(api, other_location, new_contact):
    forbidden = "The token does not have access to this location."
    calls = [
        api.get("/contacts/", params={"locationId": other_location}),
        api.post("/contacts/search", json={"locationId": other_location, "pageLimit": 10}),
        api.post("/contacts/", json={"locationId": other_location, "email": "x@example.org"}),
        api.post("/contacts/upsert", json={"locationId": other_location, "email": "x@example.org"}),
        api.get(
            "/contacts/search/duplicate",
            params={"locationId": other_location, "email": "x@example.org"},
        ),
        api.get(f"/locations/{other_location}/customFields"),
        api.post(
            "/contacts/bulk/tags/update/add",
            json={"locationId": other_location, "contacts": [], "tags": ["x"]},
        ),
    ]
    for response in calls:
        assert response.status_code == 403, response.text
        assert response.json()["message"] == forbidden and response.json()["statusCode"] == 403


def test_an_agency_token_cannot_use_contact_endpoints(creds, control, location):
    company = control.issue_token(user_type="Company", scopes="contacts.readonly oauth.write")
    response = Api(creds["base_url"], company["access_token"]).get(
        "/contacts/", params={"locationId": location}
    )
    assert response.status_code == 401
    assert response.json()["message"].startswith(
        "This authClass type is not allowed to access this scope."
    )


def test_a_location_token_cannot_mint_location_tokens(api, creds, location):
    response = api.post(
        "/oauth/locationToken", data={"companyId": creds["company_id"], "locationId": location}
    )
    assert (
        response.status_code == 401 and response.json()["message"] == "Token's user type mismatch!"
    )


def test_unknown_routes_are_404(api):
    response = api.get("/opportunities/search")
    assert (
        response.status_code == 404
        and response.json()["message"] == "Cannot GET /opportunities/search"
    )
