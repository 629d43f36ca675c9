"""The endpoint explorer, sending through the providers' transports to real sandboxes."""

import json

import pytest
import requests
from django.urls import reverse

from integrations.explorer import operations_for
from integrations.models import RateBudget
from integrations.providers.highlevel.explorer import OPERATIONS as HIGHLEVEL
from integrations.providers.keys import PROVIDER_KEYS
from integrations.providers.registry import all_providers
from integrations.ratelimit import RedisBudget, get_budget
from sandboxes.ecwid import EcwidSandbox
from sandboxes.ecwid import connection_values as ecwid_connection_values
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.factories import ConnectionFactory
from tests.integrations.test_wizard import described, hl_sandbox  # noqa: F401 (fixtures)


def _budget_used(prefix: str) -> bool:
    budget = get_budget()
    if isinstance(budget, RedisBudget):
        return any(budget.redis.scan_iter(match=f"{budget.PREFIX}:{prefix}*"))
    return RateBudget.objects.filter(key__startswith=prefix).exists()


TIMEOUT = 10


def explorer_url(connection, op=None, send=False) -> str:
    name = "connection-explorer-send" if send else "connection-explorer"
    url = reverse(f"integrations:{name}", args=[connection.workspace_id, connection.pk])
    return f"{url}?op={op}" if op else url


@pytest.fixture
def hl_connection(workspace, described):  # noqa: F811
    return ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        name="HL",
        settings={"location_id": described["location_id"], "base_url": described["base_url"]},
        credentials={"private_integration_token": described["private_integration_token"]},
        scopes=["contacts.readonly", "contacts.write"],
    )


def send(client, connection, op, data=None, htmx=True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(explorer_url(connection, op, send=True), data or {}, **headers)
    assert response.status_code == 200
    return response


def test_highlevel_lists_every_contacts_operation_with_its_scope():
    keys = {op.key for op in HIGHLEVEL}
    assert keys == {
        "get-contact", "create-contact", "update-contact", "delete-contact", "list-contacts",
        "contacts-by-business", "duplicate-search", "search-contacts", "upsert-contact",
        "list-tasks", "get-task", "create-task", "update-task", "complete-task", "delete-task",
        "list-notes", "get-note", "create-note", "update-note", "delete-note",
        "list-appointments", "add-tags", "remove-tags",
    }  # fmt: skip
    for op in HIGHLEVEL:
        assert op.scope == ("contacts.write" if op.write else "contacts.readonly"), op.key


def test_every_provider_has_customer_operations():
    assert all(provider.explorer_operations for provider in all_providers())
    for key in PROVIDER_KEYS:
        labels = {op.label for op in operations_for(key)}
        assert {"List customers", "Get customer", "Create customer"} <= labels or key == (
            "highlevel"
        )


def test_page_groups_operations_as_the_docs_do(viewer_client, hl_connection):
    body = viewer_client.get(explorer_url(hl_connection)).content.decode()
    for group in ["Contacts", "Search", "Tasks", "Notes", "Appointments", "Tags"]:
        assert f"<h2>{group}</h2>" in body
    for op in HIGHLEVEL:
        assert f'{explorer_url(hl_connection)}?op={op.key}"' in body
    # Viewers may look but not send.
    assert "Viewers can look, not send" in body


def test_operation_form_is_prefilled_with_the_location(owner_client, hl_connection, described):  # noqa: F811
    response = owner_client.get(
        explorer_url(hl_connection, "create-contact"), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body and "contacts.write" in body
    assert described["location_id"] in body and "JSON body" in body


def test_send_get_contacts_shows_request_response_latency_and_budget(
    owner_client,
    hl_connection,
    described,  # noqa: F811
):
    body = send(
        owner_client,
        hl_connection,
        "list-contacts",
        {"query_locationId": described["location_id"], "query_limit": "5"},
    ).content.decode()
    assert "200 OK" in body
    assert f"GET {described['base_url']}/contacts/?locationId=" in body
    assert "Authorization: [redacted]" in body
    assert described["private_integration_token"] not in body
    assert "Version: 2021-07-28" in body
    assert "&quot;contacts&quot;: [" in body  # pretty JSON, escaped into the page
    assert "x-ratelimit-remaining" in body.lower()
    assert "Rate budget: left in this window" in body and " ms" in body
    assert _budget_used("highlevel:")  # the shared budget every worker reads


def test_send_post_contacts_creates_the_contact_in_the_sandbox(
    owner_client,
    hl_connection,
    described,  # noqa: F811
):
    payload = {
        "locationId": described["location_id"],
        "firstName": "Explorer",
        "email": "explorer.post@example.org",
    }
    body = send(
        owner_client, hl_connection, "create-contact", {"body": json.dumps(payload)}
    ).content.decode()
    assert "201 Created" in body
    assert "POST " in body and "explorer.post@example.org" in body
    found = requests.get(
        described["base_url"] + "/contacts/search/duplicate",
        params={"locationId": described["location_id"], "email": "explorer.post@example.org"},
        headers={
            "Authorization": f"Bearer {described['private_integration_token']}",
            "Version": "2021-07-28",
        },
        timeout=TIMEOUT,
    ).json()
    assert found["contact"]["firstName"] == "Explorer"


def test_an_error_answer_is_shown_with_its_body(owner_client, hl_connection):
    body = send(
        owner_client, hl_connection, "get-contact", {"path_contactId": "noSuchContact1234567"}
    ).content.decode()
    assert "badge-bad" in body and "&quot;message&quot;" in body
    assert "/contacts/noSuchContact1234567" in body


def test_writes_on_a_read_only_connection_are_disabled_with_the_reason(
    owner_client,
    hl_connection,
    described,  # noqa: F811
):
    hl_connection.scopes = ["contacts.readonly"]
    hl_connection.save()
    page = owner_client.get(explorer_url(hl_connection, "create-contact")).content.decode()
    assert "Disabled: This connection was granted contacts.readonly only" in page
    assert "disabled>Send" in page.replace("\n", "").replace(" ", "") or "disabled" in page
    body = send(
        owner_client,
        hl_connection,
        "create-contact",
        {"body": json.dumps({"locationId": described["location_id"], "email": "no@x.org"})},
    ).content.decode()
    assert "201" not in body and "Disabled:" in body
    # Reads still work.
    body = send(
        owner_client, hl_connection, "list-contacts", {"query_locationId": described["location_id"]}
    ).content.decode()
    assert "200 OK" in body


def test_invalid_json_body_is_explained_and_nothing_is_sent(owner_client, hl_connection):
    body = send(owner_client, hl_connection, "create-contact", {"body": "{not json"}).content
    assert "This is not valid JSON" in body.decode()
    assert "Request</h3>" not in body.decode()


def test_a_missing_path_parameter_is_required(owner_client, hl_connection):
    body = send(owner_client, hl_connection, "get-contact", {"path_contactId": ""}).content
    assert "This field is required." in body.decode()


def test_without_htmx_the_whole_page_comes_back(owner_client, hl_connection, described):  # noqa: F811
    body = send(
        owner_client,
        hl_connection,
        "list-contacts",
        {"query_locationId": described["location_id"]},
        htmx=False,
    ).content.decode()
    assert "<html" in body and "200 OK" in body
    # The operation links still lead to the explorer, not to the send URL.
    assert f'href="{explorer_url(hl_connection)}?op=get-contact"' in body


def test_viewers_cannot_send(viewer_client, hl_connection):
    response = viewer_client.post(explorer_url(hl_connection, "list-contacts", send=True))
    assert response.status_code == 403


def test_outsiders_get_404_and_anonymous_must_sign_in(client, outsider, hl_connection):
    url = explorer_url(hl_connection, "list-contacts", send=True)
    response = client.post(url)
    assert response.status_code == 302 and "/accounts/login/" in response.url
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    assert client.get(explorer_url(hl_connection)).status_code == 404


def test_unknown_operation_goes_back_to_the_explorer(owner_client, hl_connection):
    response = owner_client.post(explorer_url(hl_connection, "drop-tables", send=True))
    assert response.url == explorer_url(hl_connection)


# --- The same explorer on a platform (Ecwid) -------------------------------------------------


@pytest.fixture(scope="module")
def ecwid_described():
    app = EcwidSandbox(SandboxOptions(seed=5))
    httpd, server, _ = start_in_thread([app])
    yield app.describe(), ecwid_connection_values
    stop(httpd, server)


def test_ecwid_customers_through_the_explorer(owner_client, workspace, ecwid_described):
    described_values, connection_values = ecwid_described
    credentials, settings = connection_values(described_values)
    connection = ConnectionFactory(
        workspace=workspace, provider="ecwid", settings=settings, credentials=credentials
    )
    body = send(owner_client, connection, "list-customers", {"query_limit": "2"}).content
    assert "200 OK" in body.decode() and "&quot;items&quot;" in body.decode()
    body = send(
        owner_client,
        connection,
        "create-customer",
        {"body": json.dumps({"email": "explorer@example.org"})},
    ).content.decode()
    assert "200 OK" in body and "&quot;id&quot;" in body
    assert credentials["secret_token"] not in body
