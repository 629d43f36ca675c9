import pytest
from django.urls import reverse
from django.utils.html import escape

from integrations.models import Connection, ConnectionAudit
from integrations.providers.registry import all_providers
from tests.factories import ConnectionFactory

LOGIN = reverse("account_login")


def _url(name, connection=None, workspace=None):
    workspace = workspace or connection.workspace
    args = [workspace.pk] + ([connection.pk] if connection else [])
    return reverse(f"integrations:{name}", args=args)


READ_VIEWS = ["connection-detail"]
WRITE_VIEWS = ["connection-edit", "connection-delete"]


def test_list_shows_the_empty_state_to_an_owner(owner_client, workspace):
    response = owner_client.get(_url("connection-list", workspace=workspace))
    assert response.status_code == 200
    assert "No connections yet" in response.content.decode()
    assert "Add your first connection" in response.content.decode()


def test_list_shows_only_this_workspaces_connections(owner_client, workspace, connection):
    foreign = ConnectionFactory(name="Somebody else's store")
    body = owner_client.get(_url("connection-list", workspace=workspace)).content.decode()
    assert connection.name in body and foreign.name not in body


def test_list_for_viewer_has_no_add_button(viewer_client, workspace):
    body = viewer_client.get(_url("connection-list", workspace=workspace)).content.decode()
    assert "Add your first connection" not in body
    assert "Ask an owner or editor" in body


@pytest.mark.parametrize("name", ["connection-list", "connection-new"])
def test_workspace_pages_outsider_404_anonymous_login(client, outsider, workspace, name):
    url = _url(name, workspace=workspace)
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    client.force_login(outsider)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", READ_VIEWS + WRITE_VIEWS)
def test_connection_pages_owner_outsider_anonymous(client, owner, outsider, connection, name):
    url = _url(name, connection)
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(owner)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", ["connection-toggle", "connection-delete", "connection-edit"])
def test_posts_outsider_404_anonymous_login(client, outsider, connection, name):
    url = _url(name, connection)
    response = client.post(url, {"name": "Hijack"})
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    client.force_login(outsider)
    assert client.post(url, {"name": "Hijack"}).status_code == 404
    connection.refresh_from_db()
    assert connection.name != "Hijack" and connection.status == Connection.Status.NEW


@pytest.mark.parametrize("name", ["connection-toggle", "connection-delete", "connection-edit"])
def test_viewers_cannot_change_connections(viewer_client, connection, name):
    assert viewer_client.post(_url(name, connection), {"name": "Changed"}).status_code == 403
    assert Connection.objects.filter(pk=connection.pk, name=connection.name).exists()


def test_viewers_cannot_open_the_new_connection_form(viewer_client, workspace):
    assert viewer_client.get(_url("connection-new", workspace=workspace)).status_code == 403


def test_new_without_provider_lists_all_six(editor_client, workspace):
    body = editor_client.get(_url("connection-new", workspace=workspace)).content.decode()
    for name in ["HighLevel", "Orderspace", "Ecwid", "CS-Cart", "Shift4Shop", "Cin7 Core"]:
        assert name in body


def test_editor_creates_a_connection(editor_client, workspace):
    url = _url("connection-new", workspace=workspace) + "?provider=cscart"
    response = editor_client.post(
        url,
        {
            "name": "My shop",
            "setting_store_url": "https://shop.example.com",
            "credential_email": "admin@example.com",
            "credential_api_key": "cs-key-987654",
        },
    )
    connection = Connection.objects.get(workspace=workspace, name="My shop")
    # Next wizard step: what the connection may do.
    assert response.url == _url("connection-setup", connection) + "?step=access"
    assert connection.settings == {"store_url": "https://shop.example.com"}
    assert connection.get_credentials()["api_key"] == "cs-key-987654"
    assert connection.status == Connection.Status.NEW


def test_missing_fields_are_named_and_nothing_is_saved(editor_client, workspace):
    url = _url("connection-new", workspace=workspace) + "?provider=cscart"
    response = editor_client.post(url, {"name": "My shop"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"setting_store_url", "credential_api_key"}
    assert not Connection.objects.exists()


def test_duplicate_name_error_is_shown_on_the_form(editor_client, workspace, connection):
    url = _url("connection-new", workspace=workspace) + "?provider=ecwid"
    response = editor_client.post(
        url,
        {"name": connection.name, "setting_store_id": "1", "credential_secret_token": "secret_x"},
    )
    assert "already has a connection with that name" in response.content.decode()


def test_edit_form_never_renders_the_saved_secret(owner_client, connection):
    body = owner_client.get(_url("connection-edit", connection)).content.decode()
    assert "secret_abc123XYZ" not in body
    assert "Leave empty to keep the saved value" in body


def test_edit_with_empty_secret_keeps_it(owner_client, connection):
    owner_client.post(
        _url("connection-edit", connection),
        {"name": "Renamed", "setting_store_id": "42", "credential_secret_token": ""},
    )
    connection.refresh_from_db()
    assert connection.name == "Renamed" and connection.settings["store_id"] == "42"
    assert connection.get_credentials()["secret_token"] == "secret_abc123XYZ"


def test_edit_with_empty_secret_records_no_credential_change(owner_client, owner, connection):
    owner_client.post(
        _url("connection-edit", connection),
        {"name": "Renamed", "setting_store_id": "1003", "credential_secret_token": ""},
    )
    audit = ConnectionAudit.objects.get(connection=connection, action="updated")
    assert audit.changes == {"name": {"from": connection.name, "to": "Renamed"}}
    assert audit.actor == owner


def test_edit_with_a_new_secret_audits_its_name_never_its_value(owner_client, connection):
    owner_client.post(
        _url("connection-edit", connection),
        {
            "name": connection.name,
            "setting_store_id": "1003",
            "credential_secret_token": "secret_new1",
        },
    )
    audit = ConnectionAudit.objects.get(connection=connection, action="updated")
    assert audit.changes == {"credentials": ["secret_token"]}
    assert "secret_new1" not in str(audit.changes)
    body = owner_client.get(_url("connection-detail", connection)).content.decode()
    assert "secret_token (values hidden)" in body and "secret_new1" not in body


def test_toggle_disables_then_enables(owner_client, connection):
    owner_client.post(_url("connection-toggle", connection))
    connection.refresh_from_db()
    assert connection.status == Connection.Status.DISABLED
    owner_client.post(_url("connection-toggle", connection))
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEW


def test_toggle_refuses_get(owner_client, connection):
    assert owner_client.get(_url("connection-toggle", connection)).status_code == 405


def test_delete_asks_then_deletes(owner_client, connection):
    assert (
        "cannot be undone"
        in owner_client.get(_url("connection-delete", connection)).content.decode()
    )
    response = owner_client.post(_url("connection-delete", connection))
    assert response.url == _url("connection-list", workspace=connection.workspace)
    assert not Connection.objects.filter(pk=connection.pk).exists()


def test_another_workspaces_connection_is_404_even_for_an_owner(owner_client, workspace):
    foreign = ConnectionFactory()
    url = reverse("integrations:connection-detail", args=[workspace.pk, foreign.pk])
    assert owner_client.get(url).status_code == 404


def test_detail_shows_status_scopes_and_no_flows_honestly(viewer_client, workspace):
    connection = ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        settings={"location_id": "loc1"},
        credentials={"private_integration_token": "pit-abcdef123456"},
        scopes=["contacts.readonly"],
        last_error="Bad credentials: nope",
        status=Connection.Status.FAILING,
    )
    body = viewer_client.get(_url("connection-detail", connection)).content.decode()
    assert "No flows use this connection yet." in body
    assert "contacts.readonly" in body and "Failing" in body and "Bad credentials: nope" in body
    assert "Read only" in body
    assert "pit-abcdef123456" not in body
    # A viewer sees no buttons that change anything.
    assert "Reconnect" not in body and ">Edit<" not in body and "Test connection" not in body


def test_delete_confirmation_says_which_flows_stop(owner_client, connection):
    body = owner_client.get(_url("connection-delete", connection)).content.decode()
    assert "No flows use this connection, so no flow stops." in body


def test_delete_leaves_an_audit_row_with_the_name(owner_client, owner, connection):
    owner_client.post(_url("connection-delete", connection))
    audit = ConnectionAudit.objects.get(action="deleted")
    assert audit.connection is None and audit.connection_name == connection.name
    assert audit.actor == owner and audit.workspace == connection.workspace


def test_create_disable_and_enable_are_audited(editor_client, editor, workspace):
    editor_client.post(
        _url("connection-new", workspace=workspace) + "?provider=ecwid",
        {"name": "Shop", "setting_store_id": "1003", "credential_secret_token": "secret_1234"},
    )
    connection = Connection.objects.get(name="Shop")
    editor_client.post(_url("connection-finish", connection))  # the wizard's Save step
    editor_client.post(_url("connection-toggle", connection))
    editor_client.post(_url("connection-toggle", connection))
    actions = list(
        ConnectionAudit.objects.filter(connection=connection)
        .order_by("pk")
        .values_list("action", "actor")
    )
    assert actions == [
        ("created", editor.pk),
        ("disabled", editor.pk),
        ("enabled", editor.pk),
    ]
    created = ConnectionAudit.objects.get(action="created")
    assert created.changes["credentials"] == ["secret_token"]
    assert "secret_1234" not in str(created.changes)


def test_list_shows_scopes_and_last_error(owner_client, workspace):
    ConnectionFactory(
        workspace=workspace, scopes=["contacts.readonly"], last_error="Unreachable host: x"
    )
    body = owner_client.get(_url("connection-list", workspace=workspace)).content.decode()
    assert "contacts.readonly" in body and "Unreachable host: x" in body


@pytest.mark.parametrize(
    "name", ["connection-test", "connection-reconnect", "connection-access", "connection-finish"]
)
def test_wizard_posts_refuse_viewers_outsiders_and_anonymous(
    client, viewer, outsider, connection, name
):
    url = _url(name, connection)
    response = client.post(url, {"access": "read"})
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    client.force_login(outsider)
    assert client.post(url, {"access": "read"}).status_code == 404
    client.force_login(viewer)
    assert client.post(url, {"access": "read"}).status_code == 403
    connection.refresh_from_db()
    assert "access" not in connection.settings and connection.last_tested_at is None


@pytest.mark.parametrize("name", ["connection-setup", "connection-explorer"])
def test_connection_subpages_outsider_404_anonymous_login(client, outsider, connection, name):
    url = _url(name, connection)
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_setup_refuses_viewers(viewer_client, connection):
    assert viewer_client.get(_url("connection-setup", connection)).status_code == 403


def test_access_step_records_read_only_for_a_store(owner_client, owner, connection):
    response = owner_client.post(_url("connection-access", connection), {"access": "read"})
    assert response.url == _url("connection-setup", connection) + "?step=test"
    connection.refresh_from_db()
    assert connection.settings["access"] == "read"
    audit = ConnectionAudit.objects.get(connection=connection, action="updated")
    assert audit.changes["access"] == {"from": "read_write", "to": "read"}


def test_access_step_records_highlevel_scopes_for_a_token(owner_client, workspace):
    connection = ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        settings={"location_id": "loc1"},
        credentials={"private_integration_token": "pit-1234567"},
    )
    owner_client.post(_url("connection-access", connection), {"access": "read"})
    connection.refresh_from_db()
    assert connection.scopes == ["contacts.readonly", "locations/customFields.readonly"]
    owner_client.post(_url("connection-access", connection), {"access": "read_write"})
    connection.refresh_from_db()
    assert connection.scopes == [
        "contacts.readonly",
        "contacts.write",
        "locations/customFields.readonly",
    ]


def test_access_step_rejects_an_unknown_level(owner_client, connection):
    response = owner_client.post(_url("connection-access", connection), {"access": "admin"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_access_step_over_htmx_swaps_to_the_test_step(owner_client, connection):
    response = owner_client.post(
        _url("connection-access", connection), {"access": "read"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body and "Test connection" in body
    assert response["HX-Push-Url"] == _url("connection-setup", connection) + "?step=test"


def test_credentials_step_over_htmx_swaps_to_the_access_step(editor_client, workspace):
    response = editor_client.post(
        _url("connection-new", workspace=workspace) + "?provider=ecwid",
        {"name": "Shop", "setting_store_id": "1003", "credential_secret_token": "secret_1234"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    # Nothing is called saved before the Save step: the credentials are in a draft.
    assert "saved" not in body.lower().replace("save it", "")
    assert "Kept in the draft (hidden)" in body and "becomes a connection when you save it" in body
    assert "Read only" in body and "Read and write" in body
    assert "secret_1234" not in body


def test_wizard_step_one_describes_what_each_system_needs(owner_client, workspace):
    body = owner_client.get(_url("connection-new", workspace=workspace)).content.decode()
    for info in all_providers():
        assert escape(info.where_to_find) in body and escape(info.description) in body


def test_highlevel_defaults_to_the_oauth_form(owner_client, workspace):
    url = _url("connection-new", workspace=workspace) + "?provider=highlevel"
    body = owner_client.get(url).content.decode()
    assert "Client ID" in body and "Client secret" in body
    assert "/oauth/highlevel/callback/" in body
    assert "contacts.readonly" in body and "contacts.write" in body


def test_inline_validation_says_what_to_fix(editor_client, workspace):
    url = _url("connection-new", workspace=workspace) + "?provider=cscart"
    response = editor_client.post(
        url,
        {
            "name": "Shop",
            "setting_store_url": "shop.example.com",
            "credential_email": "admin",
            "credential_api_key": "key with spaces",
        },
    )
    errors = response.context["form"].errors
    assert "starting with https://" in errors["setting_store_url"][0]
    assert "e-mail address" in errors["credential_email"][0]
    assert "spaces or a line break" in errors["credential_api_key"][0]
    assert not Connection.objects.exists()


def test_names_may_hold_spaces_where_keys_may_not(editor_client, workspace):
    """Cin7's payment term and tax rule are names as its reference books spell them ("30
    days", "Tax Exempt"): the sandbox's own defaults must not be refused as mangled keys."""
    url = _url("connection-new", workspace=workspace) + "?provider=cin7"
    response = editor_client.post(
        url,
        {
            "name": "Cin7",
            "setting_payment_term": "30 days",
            "setting_tax_rule": "Tax Exempt",
            "setting_price_tier": "Tier 1",
            "credential_account_id": "43a8f0f3 8667",
            "credential_application_key": "0b6e4f1a-8c2d-4e3f-9a5b-7c1d2e3f4a5b",
        },
    )
    errors = response.context["form"].errors
    assert list(errors) == ["credential_account_id"]
    assert "Account ID as a GUID" in errors["credential_account_id"][0]


def test_edit_form_masks_saved_secrets(owner_client, connection):
    body = owner_client.get(_url("connection-edit", connection)).content.decode()
    assert 'placeholder="•••••••• saved"' in body


def test_finish_goes_to_the_detail_page(owner_client, connection):
    response = owner_client.post(_url("connection-finish", connection))
    assert response.url == _url("connection-detail", connection)
    response = owner_client.post(_url("connection-finish", connection), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == _url("connection-detail", connection)


def test_reconnect_of_a_token_connection_leads_to_the_edit_form(owner_client, connection):
    response = owner_client.post(_url("connection-reconnect", connection))
    assert response.url == _url("connection-edit", connection)


def test_read_only_never_asks_for_a_write_scope():
    from integrations import access_levels

    for info in all_providers():
        read = access_levels.level(info, "read")
        assert all(access_levels.is_read_scope(scope) for scope in read.scopes), info.key
        full = access_levels.level(info, "read_write")
        assert set(full.scopes) == set(info.scopes)


def test_detail_shows_what_the_provider_can_do(owner_client, workspace):
    cin7 = ConnectionFactory(workspace=workspace, provider="cin7")
    body = owner_client.get(_url("connection-detail", cin7)).content.decode()
    assert "What Cin7 Core can do" in body
    assert "records are deactivated, never deleted" in body
    assert "ModifiedSince" in body
    cscart = ConnectionFactory(workspace=workspace, provider="cscart")
    body = owner_client.get(_url("connection-detail", cscart)).content.decode()
    assert "comparing everything (no webhooks" in body


def test_choosing_a_system_shows_each_ones_capabilities(owner_client, workspace):
    body = owner_client.get(_url("connection-new", workspace=workspace)).content.decode()
    assert "Sends webhooks · reads what changed" in body  # HighLevel, Ecwid...
    assert "No webhooks · full comparison" in body  # CS-Cart
    assert "deactivates instead of deleting" in body  # Cin7
