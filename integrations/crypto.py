"""Credentials at rest: JSON encrypted with MultiFernet.

The first key in CREDENTIALS_KEYS encrypts; all of them decrypt, so a new key can be put in
front, `manage.py rotate_credentials_key` run, and the old key removed afterwards.
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from integrations.redaction import remember_secret


class CredentialsUnreadable(Exception):
    """The stored credentials were encrypted with a key that is no longer configured."""


class Credentials(dict):
    """Decrypted credentials: a dict that never shows its values in repr, str or logs."""

    def __repr__(self) -> str:
        return f"Credentials(keys={sorted(self)}, values=[redacted])"

    __str__ = __repr__


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _fernet() -> MultiFernet:
    return _multifernet(tuple(settings.CREDENTIALS_KEYS))


def encrypt_credentials(data: dict) -> str:
    if not data:
        return ""
    return _fernet().encrypt(json.dumps(data, sort_keys=True).encode()).decode()


def decrypt_credentials(token: str) -> Credentials:
    if not token:
        return Credentials()
    try:
        data = json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise CredentialsUnreadable(
            "These credentials were encrypted with a key that is not in CREDENTIALS_KEYS. "
            "Put the old key back (after the new one) or enter the credentials again."
        ) from None
    for value in data.values():
        remember_secret(value)
    return Credentials(data)


def rotate_token(token: str) -> str:
    """Re-encrypt with the first key; raises CredentialsUnreadable if no key can read it."""
    if not token:
        return token
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise CredentialsUnreadable("no configured key can decrypt this value") from None
