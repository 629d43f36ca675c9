import pytest
from django.urls import reverse

from integrations.models import Connection
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


@pytest.mark.parametrize("name", ["connection-list", "connection-new", "flow-list"])
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
    assert response.url == _url("connection-detail", connection)
    assert connection.settings == {"store_url": "https://shop.example.com"}
    assert connection.get_credentials()["api_key"] == "cs-key-987654"


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
