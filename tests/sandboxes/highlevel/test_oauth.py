"""OAuth 2.0 end to end: the chooselocation pages, code exchange, rotating refresh tokens,
agency (Company) tokens, and Private Integration Tokens."""

import re
import threading
import time
from urllib.parse import parse_qs, urlparse

import requests

from tests.sandboxes.highlevel.conftest import Api
from tests.sandboxes.support import TIMEOUT

REDIRECT = "https://app.example.com/oauth/callback"
SCOPES = "contacts.readonly contacts.write"


def _hidden_fields(html: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def _authorize(
    creds, *, path="/oauth/chooselocation", decision="approve", location=None, scope=SCOPES
):
    """Walk the pages as a person would; returns the final redirect's query."""
    params = {
        "response_type": "code",
        "client_id": creds["client_id"],
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "xyz-123",
    }
    url = creds["base_url"] + path
    choose = requests.get(url, params=params, timeout=TIMEOUT)
    assert choose.status_code == 200 and "text/html" in choose.headers["Content-Type"]
    offered = re.findall(r'name="location_id" value="([^"]+)"', choose.text)
    assert offered == creds["location_ids"]
    form = {**_hidden_fields(choose.text), "location_id": location or offered[0]}
    consent = requests.post(url, data=form, timeout=TIMEOUT)
    assert consent.status_code == 200
    for scope_name in scope.split():
        assert f"<li>{scope_name}<br><small>" in consent.text
    final = requests.post(
        url,
        data={**_hidden_fields(consent.text), "decision": decision},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert final.status_code == 302
    location_header = final.headers["Location"]
    assert location_header.startswith(REDIRECT + "?")
    return {key: values[0] for key, values in parse_qs(urlparse(location_header).query).items()}


def _token(creds, **form) -> requests.Response:
    body = {"client_id": creds["client_id"], "client_secret": creds["client_secret"], **form}
    return requests.post(creds["token_url"], data=body, timeout=TIMEOUT)


def test_the_code_flow_end_to_end(creds, control):
    query = _authorize(creds)
    assert query["state"] == "xyz-123" and len(query["code"]) == 40
    response = _token(
        creds, grant_type="authorization_code", code=query["code"], redirect_uri=REDIRECT
    )
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 86399
    assert token["scope"] == SCOPES and token["userType"] == "Location"
    assert token["locationId"] == creds["location_id"] and token["companyId"] == creds["company_id"]
    assert token["userId"] and token["refresh_token"] and token["traceId"]
    assert token["access_token"].count(".") == 2  # JWT-shaped, as HighLevel's are
    api = Api(creds["base_url"], token["access_token"])
    assert api.get("/contacts/", params={"locationId": creds["location_id"]}).status_code == 200
    assert control.stats()["tokens_issued"] == 1


def test_the_consent_page_explains_each_scope_and_grants_exactly_those(creds):
    scope = "contacts.readonly locations/customFields.readonly"
    params = {
        "response_type": "code",
        "client_id": creds["client_id"],
        "redirect_uri": REDIRECT,
        "scope": scope + " made.up",
        "location_id": creds["location_id"],
    }
    page = requests.get(creds["authorize_url"], params=params, timeout=TIMEOUT).text
    assert "<li>locations/customFields.readonly<br><small>View the sub-account&#x27;s custom" in (
        page
    )
    assert "<li>contacts.readonly<br><small>View contacts, with their tasks" in page
    assert "<li>made.up<br><small>A scope this sandbox does not know" in page

    code = _authorize(creds, scope=scope)["code"]
    token = _token(creds, grant_type="authorization_code", code=code).json()
    assert token["scope"] == scope
    api = Api(creds["base_url"], token["access_token"])
    fields = api.get(f"/locations/{creds['location_id']}/customFields")
    assert fields.status_code == 200 and fields.json()["customFields"]


def test_custom_fields_are_refused_to_a_token_granted_contacts_scopes_only(creds):
    code = _authorize(creds)["code"]  # contacts.readonly contacts.write
    token = _token(creds, grant_type="authorization_code", code=code).json()
    api = Api(creds["base_url"], token["access_token"])
    fields = api.get(f"/locations/{creds['location_id']}/customFields")
    assert fields.status_code == 401
    assert fields.json()["message"] == "The token is not authorized for this scope."


def test_the_v2_path_and_the_second_location(creds):
    query = _authorize(creds, path="/v2/oauth/chooselocation", location=creds["location_ids"][1])
    token = _token(creds, grant_type="authorization_code", code=query["code"]).json()
    assert token["locationId"] == creds["location_ids"][1]


def test_denying_redirects_with_access_denied(creds, control):
    query = _authorize(creds, decision="deny")
    assert query["error"] == "access_denied" and query["state"] == "xyz-123" and "code" not in query
    assert control.stats()["authorizations_denied"] == 1


def test_a_bad_client_id_or_redirect_uri_gets_an_error_page(creds, control):
    base = {"response_type": "code", "client_id": creds["client_id"], "redirect_uri": REDIRECT}
    url = creds["authorize_url"]
    assert (
        requests.get(url, params={**base, "client_id": "nope"}, timeout=TIMEOUT).status_code == 400
    )
    assert (
        requests.get(
            url, params={**base, "redirect_uri": "javascript:alert(1)"}, timeout=TIMEOUT
        ).status_code
        == 400
    )
    control.set(redirect_uris=["https://registered.example.com/cb"])
    assert requests.get(url, params=base, timeout=TIMEOUT).status_code == 400


def test_a_code_works_once(creds):
    code = _authorize(creds)["code"]
    assert _token(creds, grant_type="authorization_code", code=code).status_code == 200
    reused = _token(creds, grant_type="authorization_code", code=code)
    assert reused.status_code == 401
    assert reused.json()["error"] == "UnAuthorized!"
    assert reused.json()["error_description"] == "Authorization code not found"


def test_codes_expire(creds, control):
    control.set(code_ttl=0)
    code = _authorize(creds)["code"]
    assert _token(creds, grant_type="authorization_code", code=code).status_code == 401


def test_client_credentials_and_redirect_uri_are_checked(creds):
    code = _authorize(creds)["code"]
    wrong = _token(creds, grant_type="authorization_code", code=code, client_secret="wrong")
    assert (
        wrong.status_code == 401
        and wrong.json()["error_description"] == "Invalid client credentials"
    )
    code = _authorize(creds)["code"]
    mismatch = _token(
        creds,
        grant_type="authorization_code",
        code=code,
        redirect_uri="https://elsewhere.example.com",
    )
    assert mismatch.status_code == 401


def test_token_requests_are_validated(creds):
    response = requests.post(creds["token_url"], data={"grant_type": "password"}, timeout=TIMEOUT)
    assert response.status_code == 422
    messages = response.json()["message"]
    assert "client_id should not be empty" in messages
    assert any(m.startswith("grant_type must be one of the following values") for m in messages)


def test_refresh_tokens_rotate_and_a_used_one_is_rejected(creds, control):
    code = _authorize(creds)["code"]
    first = _token(creds, grant_type="authorization_code", code=code).json()
    second = _token(creds, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert (
        rotated["refresh_token"] != first["refresh_token"]
        and rotated["access_token"] != first["access_token"]
    )
    assert rotated["scope"] == first["scope"] and rotated["locationId"] == first["locationId"]
    reused = _token(creds, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 401
    assert (
        reused.json()["error_description"]
        == "Refresh token has already been used: refresh tokens are single-use"
    )
    assert (
        _token(
            creds, grant_type="refresh_token", refresh_token=rotated["refresh_token"]
        ).status_code
        == 200
    )
    stats = control.stats()
    assert stats["token_refreshes"] == 2 and stats["token_refresh_failures"] == 1
    # The access token from before the refresh still works until it expires.
    api = Api(creds["base_url"], first["access_token"])
    assert api.get("/contacts/", params={"locationId": creds["location_id"]}).status_code == 200


def test_a_grace_period_lets_a_used_refresh_token_work_again(creds, control):
    control.set(refresh_token_grace_seconds=30)
    refresh = control.issue_token()["refresh_token"]
    assert _token(creds, grant_type="refresh_token", refresh_token=refresh).status_code == 200
    assert _token(creds, grant_type="refresh_token", refresh_token=refresh).status_code == 200


def test_a_slow_token_answer_comes_after_the_refresh_token_rotated(creds, control):
    """token_latency_ms (a test knob): the refresh happens at once, only its answer is late,
    so a client that dies while waiting has lost a rotation that took place."""
    control.set(token_latency_ms=1500)
    refresh = control.issue_token()["refresh_token"]
    answers: list[requests.Response] = []
    waiting = threading.Thread(
        target=lambda: answers.append(
            _token(creds, grant_type="refresh_token", refresh_token=refresh)
        )
    )
    started = time.monotonic()
    waiting.start()
    while control.stats()["token_refreshes"] == 0:
        assert time.monotonic() - started < 5, "the refresh never happened"
        time.sleep(0.05)
    assert waiting.is_alive() and not answers  # rotated, answer still on its way
    waiting.join(timeout=10)
    assert answers[0].status_code == 200 and time.monotonic() - started >= 1.5
    control.set(token_latency_ms=0)
    again = _token(creds, grant_type="refresh_token", refresh_token=refresh)
    assert again.status_code == 401 and "already been used" in again.json()["error_description"]


def test_planned_token_faults_come_in_order_and_apart_from_the_api_counters(creds, control):
    """token_faults (a test action): the next token requests get these faults, in order —
    an error answer, or the work done and the answer late (a refresh whose answer is lost)
    — then none. Counted as token_*_injected, not with the API's injected faults."""
    control.set(token_faults=["error", "timeout"], error_status=503, timeout_ms=800)
    assert control.state()["token_faults_planned"] == ["error", "timeout"]
    refresh = control.issue_token()["refresh_token"]

    failed = _token(creds, grant_type="refresh_token", refresh_token=refresh)
    assert failed.status_code == 503
    started = time.monotonic()
    late = _token(creds, grant_type="refresh_token", refresh_token=refresh)
    assert late.status_code == 200 and time.monotonic() - started >= 0.8
    again = _token(creds, grant_type="refresh_token", refresh_token=refresh)
    assert again.status_code == 401  # the late answer's rotation had happened: used
    stats = control.stats()
    assert stats["token_errors_injected"] == 1 and stats["token_timeouts_injected"] == 1
    assert stats["errors_injected"] == stats["timeouts_injected"] == 0
    assert control.state()["token_faults_planned"] == []


def test_token_faults_must_name_known_faults(control):
    for bad in (["error", "slow"], "error", [1]):
        response = requests.post(control.url, json={"token_faults": bad}, timeout=10)
        assert response.status_code == 422
        assert response.json()["message"] == [
            'token_faults must be an array of "error" and "timeout"'
        ]
    control.set(token_faults=["error"])
    control.reset()
    assert control.state()["token_faults_planned"] == []


def test_revoked_refresh_tokens_and_other_clients_are_rejected(creds, control):
    refresh = control.issue_token()["refresh_token"]
    assert (
        _token(
            creds, grant_type="refresh_token", refresh_token=refresh, client_id="other"
        ).status_code
        == 401
    )
    control.set(revoke_tokens=[refresh])
    revoked = _token(creds, grant_type="refresh_token", refresh_token=refresh)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error_description"]


def test_json_token_requests_are_accepted_too(creds, control):
    refresh = control.issue_token()["refresh_token"]
    body = {
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
        "grant_type": "refresh_token",
        "refresh_token": refresh,
    }
    assert requests.post(creds["token_url"], json=body, timeout=TIMEOUT).status_code == 200


def test_a_company_token_mints_location_tokens(creds):
    code = _authorize(creds, scope="contacts.readonly contacts.write oauth.readonly oauth.write")[
        "code"
    ]
    company = _token(creds, grant_type="authorization_code", code=code, user_type="Company").json()
    assert company["userType"] == "Company" and "locationId" not in company
    assert company["approvedLocations"] == [creds["location_id"]]
    agency = Api(creds["base_url"], company["access_token"])
    minted = agency.post(
        "/oauth/locationToken",
        data={"companyId": creds["company_id"], "locationId": creds["location_id"]},
    )
    assert minted.status_code == 200, minted.text
    location_api = Api(creds["base_url"], minted.json()["access_token"])
    assert (
        location_api.get("/contacts/", params={"locationId": creds["location_id"]}).status_code
        == 200
    )
    not_approved = agency.post(
        "/oauth/locationToken",
        data={"companyId": creds["company_id"], "locationId": creds["location_ids"][1]},
    )
    assert not_approved.status_code == 400


def test_the_private_integration_token_never_expires_and_counts_as_its_own_app(creds, control):
    location = creds["location_id"]
    pit = Api(creds["base_url"], creds["private_integration_token"])
    oauth = Api(creds["base_url"], control.issue_token()["access_token"])
    control.set(burst_limit=50)
    first = pit.get("/contacts/", params={"locationId": location})
    pit.get("/contacts/", params={"locationId": location})
    from_oauth = oauth.get("/contacts/", params={"locationId": location})
    assert int(first.headers["X-RateLimit-Remaining"]) == 49
    assert int(from_oauth.headers["X-RateLimit-Remaining"]) == 49
    assert creds["private_integration_token"].startswith("pit-")


def test_the_client_credentials_grant_is_not_enabled(creds):
    assert _token(creds, grant_type="client_credentials").status_code == 400
