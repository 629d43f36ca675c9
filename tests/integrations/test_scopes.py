"""Scopes that match what the user wants to do: the features → scopes table, what a
connection lacks, and "Reconnect with this scope" through the HighLevel sandbox's consent
screen over real HTTP."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from integrations import access_levels, oauth_flow, scopes
from integrations.errors import MissingScopeError
from integrations.models import Connection
from integrations.providers.registry import all_providers, get_provider
from mappings.catalogues import field_catalogue
from sandboxes.highlevel import HighLevelSandbox
from sandboxes.highlevel.app import API_ROUTES
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.contract.openapi import specs_dir_or_skip
from tests.factories import ConnectionFactory
from tests.integrations.scope_support import CONTACTS_ONLY, oauth_connection, pit_connection
from tests.support import sandbox_described

TIMEOUT = 10
CUSTOM = "locations/customFields.readonly"
HIGHLEVEL = get_provider("highlevel")


@pytest.fixture(scope="module")
def hl_sandbox():
    app = HighLevelSandbox(SandboxOptions(seed=21), rsa_key_bits=2048)
    httpd, server, _ = start_in_thread([app])
    yield app
    stop(httpd, server)


@pytest.fixture
def described(hl_sandbox, settings) -> dict:
    with sandbox_described(hl_sandbox, settings) as values:
        yield values


def reconnect_url(connection) -> str:
    return reverse(
        "integrations:connection-reconnect-scope", args=[connection.workspace_id, connection.pk]
    )


def consent(authorize_url: str, location_id: str) -> dict:
    response = requests.get(
        authorize_url,
        params={"location_id": location_id, "decision": "approve"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert response.status_code in (302, 303), response.text
    back = urlsplit(response.headers["Location"])
    return {"path": back.path, "query": {k: v[0] for k, v in parse_qs(back.query).items()}}


# --- The table ------------------------------------------------------------------------------


def test_both_highlevel_levels_ask_for_the_custom_field_read_scope():
    read = access_levels.level(HIGHLEVEL, "read")
    full = access_levels.level(HIGHLEVEL, "read_write")
    assert read.scopes == ("contacts.readonly", CUSTOM)
    assert full.scopes == ("contacts.readonly", "contacts.write", CUSTOM)
    assert [s.name for s in full.explained_scopes] == list(full.scopes)


def test_every_scope_a_provider_asks_for_is_explained_in_one_line():
    for provider in all_providers():
        for scope in scopes.explained(provider.key, provider.scopes):
            assert scope.explanation, (provider.key, scope.name)
            assert "\n" not in scope.explanation and len(scope.explanation) < 140
        for feature in scopes.FEATURES.get(provider.key, ()):
            assert set(feature.scopes) <= set(provider.scopes), (provider.key, feature.key)


def test_tasks_notes_tags_and_appointments_need_only_the_contacts_scopes():
    """Per the Contacts spec, every /contacts operation needs contacts.readonly or
    contacts.write: the read and write features cover them, with no scope of their own."""
    spec = json.loads((specs_dir_or_skip() / "highlevel" / "contacts.json").read_text())
    needed = {
        scope
        for operations in spec["paths"].values()
        for operation in operations.values()
        if isinstance(operation, dict)
        for requirement in operation.get("security", [])
        for names in requirement.values()
        for scope in names
    }
    assert needed == {"contacts.readonly", "contacts.write"}
    read, write = scopes.feature("highlevel", "read"), scopes.feature("highlevel", "write")
    assert needed == set(read.scopes) | set(write.scopes)


def test_read_and_write_opens_every_route_the_product_uses_in_the_sandbox():
    granted = set(access_levels.level(HIGHLEVEL, "read_write").scopes)
    for method, path, _handler, allowed_by in API_ROUTES:
        if path == "/users/":
            continue  # the product reads no users
        assert granted & set(allowed_by), (method, path)


def test_missing_scopes_by_what_was_granted(db):
    old = ConnectionFactory(provider="highlevel", settings={}, scopes=CONTACTS_ONLY)
    assert scopes.missing_scopes(old, "custom_fields") == [CUSTOM]
    assert scopes.missing_scopes(old, "read") == []
    write_only = ConnectionFactory(provider="highlevel", settings={}, scopes=["contacts.write"])
    assert scopes.missing_scopes(write_only, "read") == []  # contacts.write covers reads
    unknown = ConnectionFactory(provider="highlevel", settings={}, scopes=[])
    assert scopes.missing_scopes(unknown, "custom_fields") == []
    assert scopes.missing_scopes(old, "no_such_feature") == []
    cin7 = ConnectionFactory(provider="cin7", settings={}, scopes=["x"])
    assert scopes.missing_scopes(cin7, "custom_fields") == []


def test_reconnect_asks_for_what_the_connection_holds_plus_the_missing_scope(db):
    old = ConnectionFactory(
        provider="highlevel", settings={"access": "read"}, scopes=["contacts.readonly"]
    )
    assert access_levels.reconnect_scopes(old, add=(CUSTOM,)) == (
        ["contacts.readonly", CUSTOM],
        "read",
    )
    # Asked for a write scope, the connection becomes read and write.
    assert access_levels.reconnect_scopes(old, add=("contacts.write",)) == (
        ["contacts.readonly", "contacts.write"],
        "read_write",
    )
    nothing_recorded = ConnectionFactory(provider="highlevel", settings={}, scopes=[])
    wanted, _ = access_levels.reconnect_scopes(nothing_recorded, add=(CUSTOM,))
    assert wanted == ["contacts.readonly", "contacts.write", CUSTOM]


def test_return_to_is_only_ever_a_page_of_this_site(rf):
    request = rf.get("/")
    assert oauth_flow.safe_return_to(request, "/w/1/mappings/2/") == "/w/1/mappings/2/"
    for bad in ("https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:x"):
        assert oauth_flow.safe_return_to(request, bad) == "", bad


# --- Notices --------------------------------------------------------------------------------


def test_an_oauth_connection_granted_contacts_only_lacks_custom_fields(workspace, described):
    connection = oauth_connection(workspace, described, CONTACTS_ONLY)
    notice = scopes.notice_for(connection, "custom_fields")
    assert [s.name for s in notice.missing] == [CUSTOM]
    assert notice.can_reconnect and not notice.provider_message
    assert "lacks the locations/customFields.readonly scope" in notice.message
    assert "cannot list the sub-account's custom fields" in notice.message
    assert [n.feature.key for n in scopes.notices(connection)] == ["custom_fields"]


def test_a_read_only_connection_is_not_told_it_lacks_writes(workspace, described):
    connection = oauth_connection(workspace, described, ["contacts.readonly", CUSTOM])
    connection.settings = {**connection.settings, "access": "read"}
    assert scopes.notices(connection) == []


def test_a_tokens_recorded_scopes_alone_raise_no_notice_but_its_refusal_does(workspace, described):
    connection = pit_connection(workspace, described, CONTACTS_ONLY)
    assert scopes.notice_for(connection, "custom_fields") is None
    refusal = MissingScopeError("HighLevel: The token is not authorized for this scope.")
    notice = scopes.notice_for(connection, "custom_fields", error=refusal)
    assert [s.name for s in notice.missing] == [CUSTOM] and not notice.can_reconnect
    assert notice.provider_message == str(refusal)


def test_the_notice_include_offers_reconnect_with_this_scope(workspace, described):
    connection = oauth_connection(workspace, described, CONTACTS_ONLY)
    notice = scopes.notice_for(connection, "custom_fields")
    request = RequestFactory().get("/w/1/mappings/7/")
    html = render_to_string(
        "integrations/_missing_scope.html", {"notice": notice, "can_edit": True}, request
    )
    assert "Missing scope" in html and f"<code>{CUSTOM}</code>" in html
    assert "List the sub-account&#x27;s custom fields" in html  # the scope's one line
    assert f'action="{reconnect_url(connection)}"' in html
    assert 'name="feature" value="custom_fields"' in html
    assert 'name="next" value="/w/1/mappings/7/"' in html
    assert "Reconnect with this scope</button>" in html
    html = render_to_string(
        "integrations/_missing_scope.html", {"notice": notice, "can_edit": False}, request
    )
    assert "Reconnect with this scope" not in html and "Ask an owner or editor" in html


def test_the_connection_page_names_a_missing_scope_and_offers_to_add_it(
    owner_client, workspace, described
):
    connection = oauth_connection(workspace, described, CONTACTS_ONLY)
    url = reverse("integrations:connection-detail", args=[workspace.pk, connection.pk])
    body = owner_client.get(url).content.decode()
    assert "Missing scope" in body and f"<code>{CUSTOM}</code>" in body
    assert f'action="{reconnect_url(connection)}"' in body
    full = oauth_connection(workspace, described, [*CONTACTS_ONLY, CUSTOM], name="Full")
    url = reverse("integrations:connection-detail", args=[workspace.pk, full.pk])
    assert "Missing scope" not in owner_client.get(url).content.decode()


# --- The wizard's OAuth step ----------------------------------------------------------------


def test_the_oauth_step_explains_each_scope_it_will_ask_for(owner_client, workspace, described):
    url = reverse("integrations:connection-new", args=[workspace.pk])
    page = owner_client.get(f"{url}?provider=highlevel&method=oauth&sandbox=1").content.decode()
    for scope in access_levels.level(HIGHLEVEL, "read_write").explained_scopes:
        assert f"<li><code>{scope.name}</code> {scope.explanation}".replace("'", "&#x27;") in page
    assert "Marketplace → My Apps → your app → Auth → Scopes" in page


# --- Reconnect with this scope --------------------------------------------------------------


def test_reconnect_with_this_scope_adds_it_and_keeps_the_connection(
    owner_client, workspace, described
):
    connection = oauth_connection(workspace, described, CONTACTS_ONLY)
    assert not field_catalogue("highlevel", connection, fresh=True).complete
    response = owner_client.post(
        reconnect_url(connection), {"feature": "custom_fields", "next": "/w/1/mappings/7/"}
    )
    assert response.status_code == 302 and response.url.startswith(described["authorize_url"])
    asked = parse_qs(urlsplit(response.url).query)["scope"]
    assert asked == ["contacts.readonly contacts.write locations/customFields.readonly"]
    flow = owner_client.session["oauth_flow"]
    assert flow["connection_id"] == connection.pk and flow["return_to"] == "/w/1/mappings/7/"

    back = consent(response.url, described["location_id"])
    assert owner_client.get(back["path"], back["query"]).url == "/w/1/mappings/7/"
    assert Connection.objects.count() == 1
    connection.refresh_from_db()
    assert CUSTOM in connection.scopes and "contacts.write" in connection.scopes
    assert scopes.notices(connection) == []
    catalogue = field_catalogue("highlevel", connection, fresh=True)
    assert catalogue.complete and catalogue.custom_fields


def test_reconnect_with_this_scope_over_htmx_leaves_the_page(owner_client, workspace, described):
    connection = oauth_connection(workspace, described, CONTACTS_ONLY)
    response = owner_client.post(
        reconnect_url(connection), {"feature": "custom_fields"}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Redirect"].startswith(described["authorize_url"])


def test_a_token_connection_is_told_where_to_add_the_scope(owner_client, workspace, described):
    connection = pit_connection(workspace, described, CONTACTS_ONLY)
    response = owner_client.post(reconnect_url(connection), {"feature": "custom_fields"})
    edit = reverse("integrations:connection-edit", args=[workspace.pk, connection.pk])
    assert response.url == edit
    page = owner_client.get(edit).content.decode()
    assert f"give them {CUSTOM}" in page and "oauth_flow" not in owner_client.session


def test_an_unknown_feature_is_refused_plainly(owner_client, workspace, described):
    connection = oauth_connection(workspace, described, CONTACTS_ONLY)
    response = owner_client.post(reconnect_url(connection), {"feature": "admin"}, follow=True)
    assert "HighLevel has no such feature to ask a scope for." in response.content.decode()
    assert "oauth_flow" not in owner_client.session


def test_reconnect_with_this_scope_is_for_editors_of_the_workspace_only(
    client, viewer, outsider, workspace, described
):
    connection = oauth_connection(workspace, described, CONTACTS_ONLY)
    url = reconnect_url(connection)
    anonymous = client.post(url, {"feature": "custom_fields"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url
    client.force_login(outsider)
    assert client.post(url, {"feature": "custom_fields"}).status_code == 404
    client.force_login(viewer)
    assert client.post(url, {"feature": "custom_fields"}).status_code == 403
    assert client.get(url).status_code == 405
    assert "oauth_flow" not in client.session
