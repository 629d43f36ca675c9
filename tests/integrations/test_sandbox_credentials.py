"""A sandbox connection's page shows again, on request, the test values the local sandbox
issued; a real connection's page never offers it, and stored credentials are never shown."""

import pytest
from django.urls import reverse

from sandboxes.ecwid import EcwidSandbox, connection_values
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.factories import ConnectionFactory
from tests.support import sandbox_described

TIMEOUT = 10
SHOW = "?show=sandbox-credentials"
STORED = "secret_storedValue123"


@pytest.fixture(scope="module")
def ecwid_sandbox():
    app = EcwidSandbox(SandboxOptions(seed=32))
    httpd, server, _ = start_in_thread([app])
    yield app
    stop(httpd, server)


@pytest.fixture
def described(ecwid_sandbox, settings) -> dict:
    with sandbox_described(ecwid_sandbox, settings) as values:
        yield values


@pytest.fixture
def sandbox_connection(workspace, described):
    _credentials, settings = connection_values(described)
    # Stored credentials that differ from the sandbox's: they must never be what is shown.
    return ConnectionFactory(
        workspace=workspace,
        settings=settings,
        credentials={"secret_token": STORED},
    )


def detail(connection) -> str:
    return reverse("integrations:connection-detail", args=[connection.workspace_id, connection.pk])


def test_an_owner_can_show_the_sandboxes_credentials(owner_client, sandbox_connection, described):
    page = owner_client.get(detail(sandbox_connection)).content.decode()
    assert "Show sandbox credentials" in page and described["secret_token"] not in page
    response = owner_client.get(detail(sandbox_connection) + SHOW, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert described["secret_token"] in body and described["client_secret"] in body
    assert str(described["store_id"]) in body and "Secret token" in body
    assert STORED not in body
    assert "no-store" in response["Cache-Control"]
    full = owner_client.get(detail(sandbox_connection) + SHOW).content.decode()
    assert "<html" in full and described["secret_token"] in full and STORED not in full


def test_a_real_connection_never_offers_it(owner_client, workspace, described):
    real = ConnectionFactory(
        workspace=workspace,
        settings={"store_id": "1003", "base_url": "https://app.ecwid.com"},
        credentials={"secret_token": STORED},
    )
    page = owner_client.get(detail(real)).content.decode()
    assert "Show sandbox credentials" not in page
    body = owner_client.get(detail(real) + SHOW, HTTP_HX_REQUEST="true").content.decode()
    assert STORED not in body and described["secret_token"] not in body


def test_not_offered_when_sandboxes_are_off(owner_client, sandbox_connection, settings):
    settings.SANDBOX_ENABLED = False
    body = owner_client.get(detail(sandbox_connection) + SHOW).content.decode()
    assert "Show sandbox credentials" not in body and "Sandbox credentials" not in body


def test_a_viewer_is_not_shown_them(viewer_client, sandbox_connection, described):
    body = viewer_client.get(detail(sandbox_connection) + SHOW).content.decode()
    assert "Show sandbox credentials" not in body
    assert described["secret_token"] not in body and STORED not in body


def test_outsiders_get_404_and_anonymous_the_login(client, outsider, sandbox_connection):
    url = detail(sandbox_connection) + SHOW
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_a_stopped_sandbox_is_said_plainly(
    owner_client, sandbox_connection, ecwid_sandbox, settings
):
    # The connection still points at the sandbox's address, but nothing answers there now.
    settings.SANDBOX_URL = "http://127.0.0.1:9"
    sandbox_connection.settings = {
        **sandbox_connection.settings,
        "base_url": "http://127.0.0.1:9/ecwid",
    }
    sandbox_connection.save()
    body = owner_client.get(
        detail(sandbox_connection) + SHOW, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "did not answer at http://127.0.0.1:9" in body and STORED not in body
