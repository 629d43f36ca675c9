"""The explorer never puts a secret on the page: not from the request body a person sends, not
from what the API answers. A small "leaky" sandbox answers every call with secret-looking keys
(access_token, refresh_token, client_secret, password, apiKey...), nested too, so the page can
be searched for each value."""

import json

import pytest
from django.urls import reverse

from integrations.redaction import REDACTED
from sandboxes.kit.server import SandboxApp, SandboxOptions, start_in_thread, stop
from sandboxes.kit.web import Request, Response, json_response
from tests.factories import ConnectionFactory

# Values only a leak could put on the page.
ANSWERED = {
    "access_token": "at-LEAK-0001",
    "refresh_token": "rt-LEAK-0002",
    "client_secret": "cs-LEAK-0003",
    "password": "pw-LEAK-0004",
    "apiKey": "ak-LEAK-0005",
}
SENT = {
    "access_token": "at-SENT-1001",
    "client_secret": "cs-SENT-1002",
    "password": "pw-SENT-1003",
    "apiKey": "ak-SENT-1004",
    "privateKey": "pk-SENT-1005",
}


class LeakySandbox(SandboxApp):
    """Answers any call with `status` and a body full of secrets, plus what it received."""

    name = "leaky"

    def __init__(self, options: SandboxOptions):
        super().__init__(options)
        self.status = 201
        self.text_body: str | None = None  # a non-JSON answer instead, when set

    def handle(self, request: Request) -> Response:
        if self.text_body is not None:
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            return Response(self.status, self.text_body.encode(), headers)
        received = json.loads(request.body) if request.body else None
        body = {
            "contact": {"id": "c1", "firstName": "Visible", **ANSWERED},
            "credentials": [{"name": "main", "api_key": "ak-LEAK-0006"}],
            "nested": {"auth": {"token": "tk-LEAK-0007", "secret": "sc-LEAK-0008"}},
            "received": received,
        }
        return json_response(body, self.status)


@pytest.fixture(scope="module")
def leaky():
    app = LeakySandbox(SandboxOptions())
    httpd, server, _ = start_in_thread([app])
    yield app
    stop(httpd, server)


@pytest.fixture
def connection(workspace, leaky):
    leaky.status, leaky.text_body = 201, None
    return ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        name="Leaky",
        settings={"location_id": "loc1", "base_url": leaky.base_url},
        credentials={"private_integration_token": "pit-LEAK-0009"},
        scopes=["contacts.readonly", "contacts.write"],
    )


def _send(client, connection, op: str, body: dict | None = None) -> str:
    url = reverse(
        "integrations:connection-explorer-send", args=[connection.workspace_id, connection.pk]
    )
    data = {"body": json.dumps(body)} if body is not None else {}
    response = client.post(f"{url}?op={op}", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def _result(page: str) -> str:
    """The exchange card (request and response as sent and received), without the form that
    gives back what the person typed."""
    start = page.index('aria-label="Result"')
    return page[start:]


def _leaks(text: str, values) -> list[str]:
    return [value for value in values if value in text]


ALL_ANSWERED = [*ANSWERED.values(), "ak-LEAK-0006", "tk-LEAK-0007", "sc-LEAK-0008"]


def test_secrets_in_a_json_answer_and_in_the_sent_body_are_masked(owner_client, connection):
    page = _send(owner_client, connection, "create-contact", {"firstName": "Ann", **SENT})
    result = _result(page)
    assert "201 Created" in result
    assert _leaks(page, ALL_ANSWERED) == []
    assert _leaks(result, SENT.values()) == []  # neither in the request nor echoed back
    assert "pit-LEAK-0009" not in page
    # Masked, not dropped: the keys stay, and so does everything that is not a secret.
    assert REDACTED in result and "Visible" in result and "Ann" in result
    for key in ("access_token", "refresh_token", "client_secret", "password", "apiKey"):
        assert f"&quot;{key}&quot;: &quot;{REDACTED}&quot;" in result, key


def test_secrets_in_an_error_answer_are_masked(owner_client, connection, leaky):
    leaky.status = 400
    page = _send(owner_client, connection, "create-contact", {"firstName": "Ann", **SENT})
    result = _result(page)
    assert "badge-bad" in result and "400" in result
    assert _leaks(page, ALL_ANSWERED) == [] and _leaks(result, SENT.values()) == []


def test_secrets_in_a_read_answer_are_masked(owner_client, connection):
    page = _send(owner_client, connection, "get-contact", None)
    assert "This field is required." in page  # the contact id is missing: nothing sent
    url = reverse(
        "integrations:connection-explorer-send", args=[connection.workspace_id, connection.pk]
    )
    response = owner_client.post(
        f"{url}?op=get-contact", {"path_contactId": "c1"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "201" in _result(page) and _leaks(page, ALL_ANSWERED) == []


def test_secrets_in_a_form_encoded_answer_are_masked(owner_client, connection, leaky):
    # OAuth token endpoints of some platforms answer form-encoded, not JSON.
    leaky.status = 200
    leaky.text_body = "access_token=at-LEAK-0001&refresh_token=rt-LEAK-0002&expires_in=3600"
    page = _send(owner_client, connection, "create-contact", {"firstName": "Ann"})
    result = _result(page)
    assert "200 OK" in result and "expires_in=3600" in result
    assert _leaks(page, ["at-LEAK-0001", "rt-LEAK-0002"]) == []


def test_the_sent_body_is_masked_when_nothing_comes_back(owner_client, connection):
    connection.settings["base_url"] = "http://127.0.0.1:9/leaky"  # the discard port: refused
    connection.save()
    page = _send(owner_client, connection, "create-contact", {"firstName": "Ann", **SENT})
    result = _result(page)
    assert "No response" in result
    assert _leaks(result, SENT.values()) == []
