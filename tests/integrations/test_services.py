import pytest
from django.core.exceptions import ValidationError

from integrations.models import Connection
from integrations.services import (
    DUPLICATE_NAME_ERROR,
    connection_create,
    connection_delete,
    connection_set_disabled,
    connection_update,
)
from tests.factories import ConnectionFactory


def test_create_encrypts_credentials(workspace):
    connection = connection_create(
        workspace=workspace,
        provider="cscart",
        name="Shop",
        settings={"store_url": "https://shop.example.com"},
        credentials={"email": "admin@example.com", "api_key": "k-123456"},
    )
    stored = Connection.objects.get(pk=connection.pk)
    assert "k-123456" not in stored.credentials_encrypted
    assert stored.get_credentials() == {"email": "admin@example.com", "api_key": "k-123456"}
    assert stored.status == Connection.Status.NEW


def test_create_refuses_unknown_provider(workspace):
    with pytest.raises(ValidationError) as error:
        connection_create(workspace=workspace, provider="myspace", name="x")
    assert "provider" in error.value.message_dict
    assert not Connection.objects.exists()


def test_names_are_unique_per_workspace_ignoring_case(workspace):
    ConnectionFactory(workspace=workspace, name="Main store")
    with pytest.raises(ValidationError) as error:
        connection_create(workspace=workspace, provider="ecwid", name="main STORE")
    assert error.value.message_dict == {"name": [DUPLICATE_NAME_ERROR]}
    # Another workspace may use the same name.
    ConnectionFactory(name="Main store")


def test_update_keeps_secrets_left_empty_and_replaces_typed_ones(connection):
    connection_update(connection=connection, name="Renamed", credentials={"secret_token": ""})
    connection.refresh_from_db()
    assert connection.name == "Renamed"
    assert connection.get_credentials() == {"secret_token": "secret_abc123XYZ"}

    connection.status = Connection.Status.CONNECTED
    connection.save()
    connection_update(
        connection=connection, name="Renamed", credentials={"secret_token": "secret_new"}
    )
    connection.refresh_from_db()
    assert connection.get_credentials() == {"secret_token": "secret_new"}
    assert connection.status == Connection.Status.NEW  # new secrets are untested


def test_update_refuses_a_clashing_name(workspace, connection):
    other = ConnectionFactory(workspace=workspace, name="Other")
    with pytest.raises(ValidationError):
        connection_update(connection=other, name=connection.name)


def test_disable_and_enable(connection):
    connection_set_disabled(connection=connection, disabled=True)
    assert Connection.objects.get(pk=connection.pk).status == Connection.Status.DISABLED
    connection_set_disabled(connection=connection, disabled=False)
    assert Connection.objects.get(pk=connection.pk).status == Connection.Status.NEW


def test_delete(connection):
    connection_delete(connection=connection)
    assert not Connection.objects.filter(pk=connection.pk).exists()


def test_repr_and_str_never_include_credentials(connection):
    assert "secret_abc123XYZ" not in repr(connection)
    assert "secret_abc123XYZ" not in str(connection)
    assert "secret_abc123XYZ" not in repr(connection.get_credentials())
