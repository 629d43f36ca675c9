"""Ecwid credentials: a store's `secret_…` access token, and the app's client secret.

A custom app's secret token never expires (it is reissued only when the app is reinstalled),
so there is no refresh and nothing to single-flight: a token Ecwid refuses stays refused
until the user pastes a new one. The app's `client_secret` is not an API credential at all:
Ecwid signs webhooks with it (see webhooks.py). Source: Ecwid API docs, access tokens
(summarised in docs/providers/ecwid.md).
"""

from integrations.errors import AuthError, ConfigError
from integrations.models import Connection

DEFAULT_BASE_URL = "https://app.ecwid.com"
READ_SCOPE = "read_customers"
CREATE_SCOPE = "create_customers"
UPDATE_SCOPE = "update_customers"  # Ecwid also asks for it to DELETE a customer


def secret_token(connection: Connection) -> str:
    token = connection.get_credentials().get("secret_token", "")
    if not token:
        raise AuthError(f"Connection “{connection.name}” has no Ecwid secret token.")
    if token.startswith("public_"):
        raise AuthError(
            f"Connection “{connection.name}” has Ecwid's public token, which cannot read "
            "customers: use the secret token (secret_…) of the app instead."
        )
    return token


def store_id(connection: Connection) -> str:
    value = str(connection.settings.get("store_id") or "").strip()
    if not value.isdigit():
        raise ConfigError(
            f"Connection “{connection.name}” needs its Ecwid Store ID (a number, shown in "
            "the Ecwid admin under the store's name)."
        )
    return value


def client_secret(connection: Connection) -> str:
    return connection.get_credentials().get("client_secret", "")
