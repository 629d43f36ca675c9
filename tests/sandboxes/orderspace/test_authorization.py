"""The identity server's authorization-code grant ([I], Doorkeeper-style): the consent page,
codes, refresh tokens, and the API accepting what they buy."""

import requests

from tests.integrations.providers.orderspace.consent import consent, open_page
from tests.sandboxes.orderspace.conftest import Api, get_token
from tests.sandboxes.support import TIMEOUT

REDIRECT = "https://app.example.org/oauth/orderspace/callback/"
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)


def authorize_url(described: dict, **overrides) -> str:
    params = {
        "client_id": described["client_id"],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "read write",
        "state": "state-123",
        **overrides,
    }
    return requests.Request("GET", described["authorize_url"], params=params).prepare().url


def exchange(described: dict, code: str, **overrides) -> requests.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    return get_token(described, **{**form, **overrides})


def refresh(described: dict, refresh_token: str, **overrides) -> requests.Response:
    return get_token(
        described, grant_type="refresh_token", refresh_token=refresh_token, **overrides
    )


def approved_tokens(described: dict, **overrides) -> dict:
    back = consent(authorize_url(described, **overrides))
    response = exchange(described, back["query"]["code"])
    assert response.status_code == 200, response.text
    return response.json()


def test_describe_names_the_authorize_url_and_keeps_the_rest(described, orderspace):
    assert described["authorize_url"] == f"{orderspace.base_url}/oauth/authorize"
    for key in ("api_url", "token_url", "client_id", "client_secret", "webhook_signing_key"):
        assert described[key]


def test_the_consent_page_shows_the_site_and_scopes_with_authorize_and_deny(described):
    page = open_page(authorize_url(described))

    assert page.status == 200
    assert "Sandbox Wholesale Ltd" in page.html
    assert "<li>read</li>" in page.html and "<li>write</li>" in page.html
    assert set(page.buttons) == {"approve", "deny"}
    assert page.fields["state"] == "state-123"
    assert described["client_secret"] not in page.html


def test_approval_sends_back_a_code_and_the_state(described):
    back = consent(authorize_url(described))

    assert back["url"].startswith(REDIRECT + "?")
    assert back["query"]["state"] == "state-123"
    assert len(back["query"]["code"]) >= 32


def test_denial_sends_back_access_denied_and_the_state(described, control):
    back = consent(authorize_url(described), "deny")

    assert back["query"] == {
        "error": "access_denied",
        "error_description": "The resource owner or authorization server denied the request.",
        "state": "state-123",
    }
    assert control.stats()["authorizations_refused"] == 1


def test_the_code_buys_a_30_minute_token_and_a_refresh_token(described):
    tokens = approved_tokens(described, scope="read")

    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 1800
    assert tokens["scope"] == "read"
    assert tokens["refresh_token"] and tokens["refresh_token"] != tokens["access_token"]
    assert Api(described["api_url"], tokens["access_token"]).get("/customers").status_code == 200


def test_no_scope_asked_means_read_and_write(described):
    assert approved_tokens(described, scope="")["scope"] == "read write"


def test_a_code_works_once(described):
    code = consent(authorize_url(described))["query"]["code"]

    assert exchange(described, code).status_code == 200
    again = exchange(described, code)

    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": INVALID_GRANT}


def test_a_code_is_short_lived(described, control):
    control.set(code_ttl_seconds=0)
    code = consent(authorize_url(described))["query"]["code"]

    assert exchange(described, code).json()["error"] == "invalid_grant"


def test_a_code_needs_the_same_redirect_uri_and_the_apps_secret(described):
    first = consent(authorize_url(described))["query"]["code"]
    second = consent(authorize_url(described))["query"]["code"]

    other_uri = exchange(described, first, redirect_uri="https://elsewhere.example.org/cb")
    wrong_secret = exchange(described, second, client_secret="not-the-secret")

    assert other_uri.status_code == 400 and other_uri.json()["error"] == "invalid_grant"
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"
    assert exchange(described, second).status_code == 200  # a refused client used nothing up


def test_a_refresh_rotates_the_pair_and_revokes_the_old_one(described):
    tokens = approved_tokens(described)

    renewed = refresh(described, tokens["refresh_token"])

    assert renewed.status_code == 200, renewed.text
    new = renewed.json()
    assert new["access_token"] != tokens["access_token"]
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["scope"] == "read write" and new["expires_in"] == 1800
    old_call = Api(described["api_url"], tokens["access_token"]).get("/customers")
    assert old_call.status_code == 401
    assert (
        'error_description="The access token was revoked"' in old_call.headers["WWW-Authenticate"]
    )
    assert Api(described["api_url"], new["access_token"]).get("/customers").status_code == 200
    spent = refresh(described, tokens["refresh_token"])
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"


def test_without_rotation_the_refresh_token_is_kept(described, control):
    control.set(refresh_token_rotation=False)
    tokens = approved_tokens(described)

    first = refresh(described, tokens["refresh_token"]).json()
    second = refresh(described, tokens["refresh_token"]).json()

    assert first["refresh_token"] == second["refresh_token"] == tokens["refresh_token"]
    assert first["access_token"] != second["access_token"]


def test_revoked_grants_refuse_their_tokens(described, control):
    tokens = approved_tokens(described)

    assert control.act("revoke_grants", True)["revoked"] >= 1

    assert Api(described["api_url"], tokens["access_token"]).get("/customers").status_code == 401
    assert refresh(described, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_client_credentials_still_get_no_refresh_token(described, control):
    approved_tokens(described)

    body = get_token(described).json()

    assert "refresh_token" not in body and body["scope"] == "read write"
    stats = control.stats()
    assert stats["tokens_issued_by_client_credentials"] == 1
    assert stats["tokens_issued_by_authorization_code"] == 1


def test_an_unknown_client_or_redirect_is_an_error_page_not_a_redirect(described, control):
    unknown = requests.get(
        authorize_url(described, client_id="nobody"), allow_redirects=False, timeout=TIMEOUT
    )
    no_uri = requests.get(
        authorize_url(described, redirect_uri="javascript:alert(1)"),
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    control.set(redirect_uris="https://registered.example.org/cb")
    unregistered = requests.get(authorize_url(described), allow_redirects=False, timeout=TIMEOUT)

    assert unknown.status_code == 401 and "unknown client" in unknown.text
    for response in (no_uri, unregistered):
        assert response.status_code == 400
        assert "doesn&#x27;t match client redirect URI" in response.text
    registered = consent(authorize_url(described, redirect_uri="https://registered.example.org/cb"))
    assert registered["query"]["code"]


def test_a_bad_scope_or_response_type_goes_back_as_an_error(described):
    scope = requests.get(
        authorize_url(described, scope="read admin"), allow_redirects=False, timeout=TIMEOUT
    )
    response_type = requests.get(
        authorize_url(described, response_type="token"), allow_redirects=False, timeout=TIMEOUT
    )

    assert scope.status_code == 302 and "error=invalid_scope" in scope.headers["Location"]
    assert "error=unsupported_response_type" in response_type.headers["Location"]
    assert "state=state-123" in response_type.headers["Location"]


def test_the_authorize_path_is_a_knob(described, control, orderspace):
    control.set(authorize_path="/oauth2/consent")
    moved = orderspace.describe()["authorize_url"]

    assert moved == f"{orderspace.base_url}/oauth2/consent"
    assert consent(authorize_url({**described, "authorize_url": moved}))["query"]["code"]
    old = requests.get(authorize_url(described), allow_redirects=False, timeout=TIMEOUT)
    assert old.status_code == 404


def test_an_authorize_path_over_another_route_is_refused(control):
    response = requests.post(control.url, json={"authorize_path": "/oauth/token"}, timeout=TIMEOUT)

    assert response.status_code == 422
    assert "authorize_path must be a path" in response.text
