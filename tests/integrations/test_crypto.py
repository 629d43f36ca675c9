import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from integrations.crypto import (
    Credentials,
    CredentialsUnreadable,
    decrypt_credentials,
    encrypt_credentials,
)
from integrations.models import Connection
from tests.factories import ConnectionFactory


def test_round_trip_and_ciphertext_hides_the_secret():
    token = encrypt_credentials({"api_key": "s3cret-value"})
    assert "s3cret-value" not in token
    assert decrypt_credentials(token) == {"api_key": "s3cret-value"}


def test_credentials_never_show_values_in_repr_or_str():
    creds = Credentials({"api_key": "s3cret-value"})
    assert "s3cret-value" not in repr(creds)
    assert "s3cret-value" not in str(creds)
    assert "s3cret-value" not in f"{creds}"
    assert "api_key" in repr(creds)


def test_a_value_encrypted_with_an_unknown_key_gives_a_clear_error(settings):
    token = encrypt_credentials({"api_key": "x"})
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CredentialsUnreadable, match="not in CREDENTIALS_KEYS"):
        decrypt_credentials(token)


def test_rotate_command_moves_everything_to_the_first_key(db, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [old]
    connection = ConnectionFactory(credentials={"secret_token": "secret_rotate_me"})
    settings.CREDENTIALS_KEYS = [new, old]
    call_command("rotate_credentials_key")
    settings.CREDENTIALS_KEYS = [new]  # the old key is gone: everything must still decrypt
    connection.refresh_from_db()
    assert connection.get_credentials() == {"secret_token": "secret_rotate_me"}


def test_rotate_command_changes_nothing_when_one_credential_is_unreadable(db, settings):
    lost, current = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CREDENTIALS_KEYS = [lost]
    orphan = ConnectionFactory(credentials={"secret_token": "secret_orphan"})
    settings.CREDENTIALS_KEYS = [current]
    fine = ConnectionFactory(credentials={"secret_token": "secret_fine"})
    before = Connection.objects.get(pk=fine.pk).credentials_encrypted
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode(), current]
    with pytest.raises(CommandError, match=f"\\[{orphan.pk}\\]"):
        call_command("rotate_credentials_key")
    assert Connection.objects.get(pk=fine.pk).credentials_encrypted == before
