"""Cin7 Core authentication: two headers on every request, no token flow.

`api-auth-accountid` carries the Account ID and `api-auth-applicationkey` the Application
Key, both made under Integrations → API in Cin7 Core. There is nothing to refresh: a 403 means
the key was deleted or mistyped, and the user must enter a new one.
Sources: docs/providers/cin7.md (Cin7 Core API, "Connecting to the API").
"""

from integrations.errors import AuthError
from integrations.models import Connection

DEFAULT_BASE_URL = "https://inventory.dearsystems.com/ExternalApi/v2"
ACCOUNT_HEADER = "api-auth-accountid"
KEY_HEADER = "api-auth-applicationkey"


def base_url(connection: Connection) -> str:
    return (connection.settings.get("base_url") or DEFAULT_BASE_URL).rstrip("/")


def account_id(connection: Connection) -> str:
    return (connection.get_credentials().get("account_id") or "").strip()


def api_headers(connection: Connection) -> dict[str, str]:
    credentials = connection.get_credentials()
    account = (credentials.get("account_id") or "").strip()
    key = (credentials.get("application_key") or "").strip()
    if not account or not key:
        raise AuthError(
            f"Connection “{connection.name}” needs a Cin7 Core Account ID and Application Key "
            "(Integrations → API in Cin7 Core)."
        )
    return {ACCOUNT_HEADER: account, KEY_HEADER: key}
