"""The setup wizard against the real HighLevel sandbox, started in this process: the OAuth
round trip (state, provider errors, reconnect) and every test-connection outcome."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from integrations.models import Connection, ConnectionAudit
from sandboxes.highlevel import HighLevelSandbox
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.factories import ConnectionFactory
from tests.support import sandbox_described

TIMEOUT = 10


@pytest.fixture(scope="module")
def hl_sandbox():
    app = HighLevelSandbox(SandboxOptions(seed=20), rsa_key_bits=2048)
    httpd, server, _ = start_in_thread([app])
    yield app
    stop(httpd, server)


@pytest.fixture
def described(hl_sandbox, settings) -> dict:
    with sandbox_described(hl_sandbox, settings) as values:
        yield values


def control(described, **changes) -> dict:
    response = requests.post(described["control_url"], json=changes, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def new_url(workspace, **query) -> str:
    url = reverse("integrations:connection-new", args=[workspace.pk])
    return url + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def start_oauth(client, workspace, described, access="read_write", name="HL sandbox"):
    """Submit the OAuth step with "Use sandbox"; returns the provider URL we are sent to."""
    response = client.post(
        new_url(workspace, provider="highlevel", method="oauth", sandbox=1),
        {"name": name, "client_id": described["client_id"], "access": access, "sandbox": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response.url


def consent(authorize_url: str, location_id: str, decision: str = "approve") -> dict:
    """What a person does on the sandbox's consent page, as its scripted GET form."""
    response = requests.get(
        authorize_url,
        params={"location_id": location_id, "decision": decision},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code in (302, 303), response.text
    back = urlsplit(response.headers["Location"])
    return {"path": back.path, "query": {k: v[0] for k, v in parse_qs(back.query).items()}}


def setup_url(connection, step="test") -> str:
    url = reverse("integrations:connection-setup", args=[connection.workspace_id, connection.pk])
    return f"{url}?step={step}"


def connect_by_oauth(client, workspace, described, access="read_write") -> Connection:
    """The OAuth round trip: it leaves a draft at the test step (saved only at the end)."""
    authorize_url = start_oauth(client, workspace, described, access)
    back = consent(authorize_url, described["location_id"])
    response = client.get(back["path"], back["query"])
    connection = Connection.objects.get(workspace=workspace, name="HL sandbox")
    assert response.url == setup_url(connection)
    return connection


def save(client, connection) -> Connection:
    """The wizard's last step: the draft becomes a connection."""
    url = reverse("integrations:connection-finish", args=[connection.workspace_id, connection.pk])
    assert client.post(url).status_code == 302
    connection.refresh_from_db()
    assert not connection.is_draft
    return connection


def test_oauth_step_with_sandbox_prefills_the_client_id_not_the_secret(
    owner_client, workspace, described
):
    body = owner_client.get(
        new_url(workspace, provider="highlevel", method="oauth", sandbox=1)
    ).content.decode()
    assert described["client_id"] in body
    assert described["client_secret"] not in body
    assert "sandbox value" in body


def test_oauth_start_sends_the_browser_to_the_sandbox_with_state_and_scopes(
    owner_client, workspace, described
):
    url = start_oauth(owner_client, workspace, described, access="read")
    assert url.startswith(described["authorize_url"])
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [described["client_id"]]
    assert query["scope"] == ["contacts.readonly locations/customFields.readonly"]
    assert query["redirect_uri"] == ["http://testserver/oauth/highlevel/callback/"]
    assert query["state"][0] == owner_client.session["oauth_flow"]["state"]
    assert described["client_secret"] not in str(dict(owner_client.session))


def test_oauth_start_over_htmx_redirects_the_whole_page(owner_client, workspace, described):
    response = owner_client.post(
        new_url(workspace, provider="highlevel", method="oauth", sandbox=1),
        {"name": "HL", "client_id": described["client_id"], "access": "read", "sandbox": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Redirect"].startswith(described["authorize_url"])


def test_oauth_start_refuses_a_name_already_used(owner_client, workspace, described):
    ConnectionFactory(workspace=workspace, name="HL sandbox")
    response = owner_client.post(
        new_url(workspace, provider="highlevel", method="oauth", sandbox=1),
        {"name": "hl SANDBOX", "client_id": described["client_id"], "access": "read"},
    )
    assert response.status_code == 200
    assert "already has a connection with that name" in response.content.decode()
    assert "oauth_flow" not in owner_client.session


def test_oauth_round_trip_creates_a_connected_oauth_connection(
    owner_client, owner, workspace, described
):
    connection = connect_by_oauth(owner_client, workspace, described)
    credentials = connection.get_credentials()
    assert credentials["client_id"] == described["client_id"]
    assert credentials["client_secret"] == described["client_secret"]
    assert credentials["access_token"] and credentials["refresh_token"]
    assert connection.scopes == [
        "contacts.readonly",
        "contacts.write",
        "locations/customFields.readonly",
    ]
    assert connection.settings["location_id"] == described["location_id"]
    assert connection.settings["base_url"] == described["base_url"]
    # The sandbox's webhook keys come along, so the events it signs verify for this app.
    assert connection.settings["webhook_public_key"] == described["webhook_public_key"]
    assert connection.settings["webhook_rsa_public_key"] == described["webhook_rsa_public_key"]
    assert connection.token_expires_at is not None and connection.token_refreshed_at is not None
    # A draft until the Save step, where its history starts.
    assert connection.is_draft and not ConnectionAudit.objects.exists()
    save(owner_client, connection)
    audit = ConnectionAudit.objects.get(connection=connection)
    assert audit.action == "created" and audit.actor == owner
    assert credentials["refresh_token"] not in str(audit.changes)
    # The state is used up: the same answer cannot be replayed.
    assert "oauth_flow" not in owner_client.session


def test_then_test_connection_shows_location_scopes_and_latency(owner_client, workspace, described):
    connection = connect_by_oauth(owner_client, workspace, described)
    page = owner_client.get(setup_url(connection)).content.decode()
    assert "Test connection" in page
    # Untested: the test starts as the step opens (no extra click), the button stays.
    assert page.count('hx-trigger="submit, load"') == 1
    response = owner_client.post(
        reverse("integrations:connection-test", args=[workspace.pk, connection.pk]),
        {"wizard": "1"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "Connection works" in body, body
    assert 'hx-trigger="submit, load"' not in body  # "Test again" waits for a click
    assert described["location_id"] in body
    assert "contacts.readonly" in body and "contacts.write" in body
    assert " ms</dd>" in body and "Save connection" in body
    connection.refresh_from_db()
    assert connection.status == Connection.Status.CONNECTED
    assert connection.last_tested_at is not None and connection.last_error == ""


def test_callback_without_state_is_refused(owner_client, workspace, described):
    authorize_url = start_oauth(owner_client, workspace, described)
    back = consent(authorize_url, described["location_id"])
    query = {k: v for k, v in back["query"].items() if k != "state"}
    response = owner_client.get(back["path"], query)
    assert response.status_code == 400
    assert "state parameter is missing or different" in response.content.decode()
    assert not Connection.objects.exists()


def test_callback_with_a_different_state_is_refused(owner_client, workspace, described):
    authorize_url = start_oauth(owner_client, workspace, described)
    back = consent(authorize_url, described["location_id"])
    response = owner_client.get(back["path"], {**back["query"], "state": "forged-state"})
    assert response.status_code == 400
    assert "state parameter is missing or different" in response.content.decode()
    assert not Connection.objects.exists()


def test_callback_with_no_flow_started_is_refused(owner_client, described):
    response = owner_client.get(
        reverse("integrations:oauth-callback", args=["highlevel"]), {"code": "x", "state": "y"}
    )
    assert response.status_code == 400
    assert "not started here, or it was already used" in response.content.decode()


def test_a_replayed_callback_is_refused(owner_client, workspace, described):
    authorize_url = start_oauth(owner_client, workspace, described)
    back = consent(authorize_url, described["location_id"])
    assert owner_client.get(back["path"], back["query"]).status_code == 302
    assert owner_client.get(back["path"], back["query"]).status_code == 400
    assert Connection.objects.count() == 1


def test_access_denied_at_the_provider_is_shown_plainly(owner_client, workspace, described):
    authorize_url = start_oauth(owner_client, workspace, described)
    back = consent(authorize_url, described["location_id"], decision="deny")
    response = owner_client.get(back["path"], back["query"])
    body = response.content.decode()
    assert response.status_code == 400
    assert "access_denied" in body and "HighLevel did not grant access" in body
    assert "The user denied the request" in body and "Nothing was saved" in body
    assert "Start again" in body
    assert not Connection.objects.exists()


def test_an_unusable_code_is_explained(owner_client, workspace, described):
    start_oauth(owner_client, workspace, described)
    state = owner_client.session["oauth_flow"]["state"]
    response = owner_client.get(
        reverse("integrations:oauth-callback", args=["highlevel"]),
        {"code": "not-a-code", "state": state},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "could not be exchanged" in body and "Authorization code not found" in body
    assert not Connection.objects.exists()


def test_callback_for_an_unknown_provider_is_404(owner_client):
    response = owner_client.get(reverse("integrations:oauth-callback", args=["myspace"]))
    assert response.status_code == 404


def test_callback_requires_login(client):
    response = client.get(reverse("integrations:oauth-callback", args=["highlevel"]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_callback_checks_the_user_may_still_edit_the_workspace(
    client, owner, viewer, workspace, described
):
    client.force_login(owner)
    authorize_url = start_oauth(client, workspace, described)
    back = consent(authorize_url, described["location_id"])
    flow = client.session["oauth_flow"]
    client.force_login(viewer)  # a new session: put the flow where the viewer's browser is
    session = client.session
    session["oauth_flow"] = flow
    session.save()
    assert client.get(back["path"], back["query"]).status_code == 403
    assert not Connection.objects.exists()


def test_reconnect_keeps_the_connection_and_replaces_its_tokens(owner_client, workspace, described):
    connection = save(owner_client, connect_by_oauth(owner_client, workspace, described))
    old = connection.get_credentials()
    Connection.objects.filter(pk=connection.pk).update(status=Connection.Status.NEEDS_RECONNECT)
    response = owner_client.post(
        reverse("integrations:connection-reconnect", args=[workspace.pk, connection.pk])
    )
    assert response.url.startswith(described["authorize_url"])
    # The level's scopes, which now include the custom-field read scope.
    asked = parse_qs(urlsplit(response.url).query)["scope"]
    assert asked == ["contacts.readonly contacts.write locations/customFields.readonly"]
    back = consent(response.url, described["location_id"])
    assert owner_client.get(back["path"], back["query"]).url == setup_url(connection)
    assert Connection.objects.count() == 1
    connection.refresh_from_db()
    new = connection.get_credentials()
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert connection.status == Connection.Status.NEW and connection.refresh_failures == 0
    assert ConnectionAudit.objects.filter(connection=connection, action="reconnected").exists()


# --- Test connection outcomes, each against the sandbox -------------------------------------


def pit_connection(workspace, described, **overrides) -> Connection:
    settings = {"location_id": described["location_id"], "base_url": described["base_url"]}
    settings.update(overrides.pop("settings", {}))
    return ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        settings=settings,
        credentials=overrides.pop(
            "credentials", {"private_integration_token": described["private_integration_token"]}
        ),
        **overrides,
    )


def run_test(client, connection) -> str:
    response = client.post(
        reverse("integrations:connection-test", args=[connection.workspace_id, connection.pk]),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    connection.refresh_from_db()
    return response.content.decode()


def test_a_private_integration_token_connects(owner_client, workspace, described):
    connection = pit_connection(workspace, described)
    body = run_test(owner_client, connection)
    assert "Connection works" in body and described["location_id"] in body
    assert connection.status == Connection.Status.CONNECTED
    assert connection.settings["account_id"] == described["location_id"]


def test_bad_credentials(owner_client, workspace, described):
    connection = pit_connection(
        workspace, described, credentials={"private_integration_token": "pit-not-a-real-token"}
    )
    body = run_test(owner_client, connection)
    assert "Bad credentials" in body and "HTTP 401" in body
    assert connection.status == Connection.Status.NEEDS_RECONNECT
    assert connection.last_error.startswith("Bad credentials: ")
    assert "pit-not-a-real-token" not in body


def test_missing_scope(owner_client, workspace, described):
    issued = control(described, issue_token={"kind": "pit", "scopes": ["users.readonly"]})
    token = issued["result"]["issued"]["access_token"]
    connection = pit_connection(
        workspace, described, credentials={"private_integration_token": token}
    )
    body = run_test(owner_client, connection)
    assert "Missing scope" in body and "not authorized for this scope" in body
    assert connection.status == Connection.Status.NEEDS_RECONNECT


def test_wrong_location(owner_client, workspace, described):
    other = described["location_ids"][1]
    connection = pit_connection(workspace, described, settings={"location_id": other})
    body = run_test(owner_client, connection)
    assert "Wrong location" in body and "HTTP 403" in body
    assert other in body


def test_unreachable_host(owner_client, workspace, described):
    connection = pit_connection(
        workspace, described, settings={"base_url": "http://127.0.0.1:9/highlevel"}
    )
    body = run_test(owner_client, connection)
    assert "Unreachable host" in body and "Could not connect to 127.0.0.1:9" in body
    assert connection.status == Connection.Status.FAILING


def test_rate_limited(owner_client, workspace, described):
    control(described, rate_limit_storm=10)
    connection = pit_connection(workspace, described)
    body = run_test(owner_client, connection)
    assert "Rate limited" in body
    assert connection.status == Connection.Status.FAILING


def test_a_disabled_connection_stays_disabled_after_a_test(owner_client, workspace, described):
    connection = pit_connection(workspace, described, status=Connection.Status.DISABLED)
    run_test(owner_client, connection)
    assert connection.status == Connection.Status.DISABLED
    assert connection.last_tested_at is not None


def test_test_without_htmx_reports_with_a_message(owner_client, workspace, described):
    connection = pit_connection(workspace, described)
    response = owner_client.post(
        reverse("integrations:connection-test", args=[workspace.pk, connection.pk]), follow=True
    )
    assert "Connected to HighLevel location" in response.content.decode()


# --- "Use sandbox" for credentials ----------------------------------------------------------


def test_use_sandbox_fills_the_highlevel_token_form(owner_client, workspace, described):
    url = new_url(workspace, provider="highlevel", method="token", sandbox=1)
    body = owner_client.get(url).content.decode()
    assert described["location_id"] in body
    assert described["private_integration_token"] not in body
    # The browser posts the pre-filled location back; the token comes from the sandbox.
    data = {"name": "HL token", "sandbox": "1", "setting_location_id": described["location_id"]}
    response = owner_client.post(url, data)
    connection = Connection.objects.get(name="HL token")
    assert (
        connection.get_credentials()["private_integration_token"]
        == (described["private_integration_token"])
    )
    assert response.url == setup_url(connection, "access")
    assert run_test(owner_client, connection) and connection.status == "connected"


def test_use_sandbox_when_the_sandbox_is_not_running(owner_client, workspace, settings):
    settings.SANDBOX_ENABLED = True
    settings.SANDBOX_URL = "http://127.0.0.1:9"
    url = new_url(workspace, provider="highlevel", method="oauth", sandbox=1)
    body = owner_client.get(url).content.decode()
    assert "The HighLevel sandbox did not answer at http://127.0.0.1:9" in body


def test_use_sandbox_is_not_offered_when_sandboxes_are_off(owner_client, workspace, settings):
    settings.SANDBOX_ENABLED = False
    body = owner_client.get(new_url(workspace, provider="highlevel")).content.decode()
    assert "Use sandbox" not in body
    body = owner_client.get(new_url(workspace, provider="highlevel", sandbox=1)).content.decode()
    assert "not enabled here" in body


def test_back_from_the_test_step_of_an_oauth_draft(owner_client, workspace, described):
    """Its tokens come from HighLevel: the credentials step offers the name and a new
    sign-in, and sending it goes straight back to the test (no "name taken")."""
    connection = connect_by_oauth(owner_client, workspace, described)
    test_page = owner_client.get(setup_url(connection)).content.decode()
    assert f'href="{setup_url(connection, "credentials")}"' in test_page  # Back
    page = owner_client.get(setup_url(connection, "credentials")).content.decode()
    assert 'value="HL sandbox"' in page and "Sign in to HighLevel again" in page
    assert "Client secret" not in page and described["client_secret"] not in page
    response = owner_client.post(setup_url(connection, "credentials"), {"name": "HL sandbox"})
    assert response.url == setup_url(connection, "test")
    assert Connection.objects.count() == 1 and Connection.objects.get().is_draft
