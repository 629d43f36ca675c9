"""The setup wizard's OAuth redirect for Orderspace (a public integration's authorization-code
grant) against the real Orderspace sandbox, started in this process: offered next to the
Private Integration credentials, state checked on the callback, the provider's refusal shown
plainly, reconnect, and the connection then tested with the code grant's token."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from integrations import oauth_flow
from integrations.models import Connection, ConnectionAudit
from integrations.providers.registry import get_provider
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from sandboxes.orderspace import OrderspaceSandbox
from tests.integrations.providers.orderspace.consent import consent
from tests.integrations.test_wizard import new_url, save, setup_url

TIMEOUT = 10
CALLBACK = "http://testserver/oauth/orderspace/callback/"


@pytest.fixture(scope="module")
def os_sandbox():
    app = OrderspaceSandbox(SandboxOptions(seed=10), rate_limit=100_000)
    httpd, server, _ = start_in_thread([app])
    yield app
    stop(httpd, server)


@pytest.fixture
def described(os_sandbox, settings) -> dict:
    settings.SANDBOX_ENABLED = True
    settings.SANDBOX_URL = os_sandbox.base_url.rsplit("/", 1)[0]
    yield os_sandbox.describe()
    requests.post(os_sandbox.base_url + "/_control/reset", timeout=TIMEOUT).raise_for_status()


def stats(described) -> dict:
    return requests.get(described["control_url"], timeout=TIMEOUT).json()["stats"]


def start_oauth(client, workspace, described, access="read_write", name="OS public app"):
    """Submit the OAuth step with "Use sandbox"; returns the Orderspace URL we are sent to."""
    response = client.post(
        new_url(workspace, provider="orderspace", method="oauth", sandbox=1),
        {"name": name, "client_id": described["client_id"], "access": access, "sandbox": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response.url


def connect_by_oauth(client, workspace, described, access="read_write") -> Connection:
    back = consent(start_oauth(client, workspace, described, access))
    response = client.get(back["path"], back["query"])
    connection = Connection.objects.get(workspace=workspace, name="OS public app")
    assert response.url == setup_url(connection)
    return connection


def run_test(client, connection) -> str:
    response = client.post(
        reverse("integrations:connection-test", args=[connection.workspace_id, connection.pk]),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    connection.refresh_from_db()
    return response.content.decode()


def test_orderspace_offers_the_oauth_redirect_beside_its_credentials(
    owner_client, workspace, described
):
    assert oauth_flow.supports_oauth(get_provider("orderspace"))

    token_step = owner_client.get(new_url(workspace, provider="orderspace", method="token"))
    oauth_step = owner_client.get(
        new_url(workspace, provider="orderspace", method="oauth", sandbox=1)
    ).content.decode()

    assert "?provider=orderspace&method=oauth" in token_step.content.decode()
    assert "Public integration (OAuth)" in oauth_step and "Private integration" in oauth_step
    assert "authorize the app" in oauth_step and "Marketplace" not in oauth_step
    assert described["client_id"] in oauth_step
    assert described["client_secret"] not in oauth_step
    assert CALLBACK in oauth_step


def test_oauth_start_sends_the_browser_to_the_sandbox_with_state_and_scopes(
    owner_client, workspace, described
):
    url = start_oauth(owner_client, workspace, described, access="read")

    assert url.startswith(described["authorize_url"] + "?")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [described["client_id"]]
    assert query["response_type"] == ["code"]
    assert query["scope"] == ["read"]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["state"][0] == owner_client.session["oauth_flow"]["state"]
    assert described["client_secret"] not in str(dict(owner_client.session))


def test_oauth_round_trip_creates_a_code_grant_connection(
    owner_client, owner, workspace, described
):
    connection = connect_by_oauth(owner_client, workspace, described)

    credentials = connection.get_credentials()
    assert credentials["client_id"] == described["client_id"]
    assert credentials["client_secret"] == described["client_secret"]
    assert credentials["access_token"] and credentials["refresh_token"]
    assert connection.scopes == ["read", "write"]
    assert connection.settings["base_url"] == described["base_url"]
    assert connection.settings["authorize_url"] == described["authorize_url"]
    assert connection.token_expires_at is not None
    assert connection.is_draft and not ConnectionAudit.objects.exists()
    save(owner_client, connection)
    audit = ConnectionAudit.objects.get(connection=connection)
    assert audit.action == "created" and audit.actor == owner
    assert credentials["refresh_token"] not in str(audit.changes)
    assert "oauth_flow" not in owner_client.session
    assert stats(described)["tokens_issued_by_authorization_code"] == 1
    # The sandbox's webhook signing key comes along (encrypted), so its deliveries verify.
    assert credentials["webhook_signing_key"] == described["webhook_signing_key"]


def test_orderspace_opens_on_the_private_integration_form(owner_client, workspace):
    body = owner_client.get(new_url(workspace, provider="orderspace")).content.decode()
    assert 'aria-current="page">Private integration</a>' in body
    assert "Client Secret" in body and "Continue to Orderspace" not in body


def test_then_test_connection_works_with_the_code_grants_token(owner_client, workspace, described):
    connection = connect_by_oauth(owner_client, workspace, described)

    body = run_test(owner_client, connection)

    assert "Connection works" in body, body
    assert connection.status == Connection.Status.CONNECTED
    counters = stats(described)
    assert counters["requests_by_route"]["GET /v1/customers"] == 1
    assert counters.get("tokens_issued_by_client_credentials", 0) == 0


def test_callback_without_state_is_refused(owner_client, workspace, described):
    back = consent(start_oauth(owner_client, workspace, described))
    query = {k: v for k, v in back["query"].items() if k != "state"}

    response = owner_client.get(back["path"], query)

    assert response.status_code == 400
    assert "state parameter is missing or different" in response.content.decode()
    assert not Connection.objects.exists()


def test_callback_with_a_different_state_is_refused(owner_client, workspace, described):
    back = consent(start_oauth(owner_client, workspace, described))

    response = owner_client.get(back["path"], {**back["query"], "state": "forged-state"})

    assert response.status_code == 400
    assert "state parameter is missing or different" in response.content.decode()
    assert not Connection.objects.exists()
    assert stats(described).get("tokens_issued_by_authorization_code", 0) == 0


def test_access_denied_at_orderspace_is_shown_plainly(owner_client, workspace, described):
    back = consent(start_oauth(owner_client, workspace, described), "deny")

    response = owner_client.get(back["path"], back["query"])

    body = response.content.decode()
    assert response.status_code == 400
    assert "access_denied" in body and "Orderspace did not grant access" in body
    assert "The resource owner or authorization server denied the request." in body
    assert "Nothing was saved" in body and "Start again" in body
    assert not Connection.objects.exists()


def test_a_replayed_callback_is_refused(owner_client, workspace, described):
    back = consent(start_oauth(owner_client, workspace, described))

    assert owner_client.get(back["path"], back["query"]).status_code == 302
    assert owner_client.get(back["path"], back["query"]).status_code == 400
    assert Connection.objects.count() == 1


def test_a_code_orderspace_no_longer_accepts_is_explained(owner_client, workspace, described):
    back = consent(start_oauth(owner_client, workspace, described))
    used = requests.post(
        described["token_url"],
        data={
            "client_id": described["client_id"],
            "client_secret": described["client_secret"],
            "grant_type": "authorization_code",
            "code": back["query"]["code"],
            "redirect_uri": CALLBACK,
        },
        timeout=TIMEOUT,
    )
    assert used.status_code == 200  # someone else spent the code first

    response = owner_client.get(back["path"], back["query"])

    body = response.content.decode()
    assert response.status_code == 400
    assert "could not be exchanged" in body
    assert "The provided authorization grant is invalid" in body
    assert not Connection.objects.exists()


def test_reconnect_keeps_the_connection_and_replaces_its_tokens(owner_client, workspace, described):
    connection = save(owner_client, connect_by_oauth(owner_client, workspace, described))
    old = connection.get_credentials()
    Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.NEEDS_RECONNECT)

    response = owner_client.post(
        reverse("integrations:connection-reconnect", args=[workspace.pk, connection.pk])
    )

    assert response.url.startswith(described["authorize_url"])
    assert parse_qs(urlsplit(response.url).query)["scope"] == ["read write"]
    back = consent(response.url)
    assert owner_client.get(back["path"], back["query"]).url == setup_url(connection)
    assert Connection.objects.count() == 1
    connection.refresh_from_db()
    new = connection.get_credentials()
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert ConnectionAudit.objects.filter(connection=connection, action="reconnected").exists()


def test_private_integration_credentials_still_connect(owner_client, workspace, described):
    url = new_url(workspace, provider="orderspace", method="token", sandbox=1)
    # The browser posts back the pre-filled Client ID; the secret comes from the sandbox.
    data = {"name": "OS private", "sandbox": "1", "credential_client_id": described["client_id"]}
    response = owner_client.post(url, data)

    connection = Connection.objects.get(name="OS private")
    assert response.url == setup_url(connection, "access")
    assert "refresh_token" not in connection.get_credentials()
    body = run_test(owner_client, connection)
    assert "Connection works" in body and connection.status == Connection.Status.CONNECTED
    assert stats(described)["tokens_issued_by_client_credentials"] == 1
