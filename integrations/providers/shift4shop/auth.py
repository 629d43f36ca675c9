"""Shift4Shop credentials: three headers on every request, no token flow.

`SecureURL` names the store, `PrivateKey` is the app's private key from the developer
portal, `Token` is the per-store token issued when the merchant authorized the app's public
key (Modules -> REST API). The token does not expire and there is nothing to refresh: a
refused one means the merchant revoked the app, and the connection needs new credentials.
Apps made through Shift4Shop's newer OAuth flow also send their access token as `Token` [I].
Reference: https://apirest.3dcart.com/v1/getting-started (docs/providers/shift4shop.md).
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from integrations.errors import AuthError
from integrations.models import Connection

DEFAULT_BASE_URL = "https://apirest.3dcart.com"
API_PATH = "/3dCartWebAPI/v2"


@dataclass(frozen=True)
class StoreCredentials:
    secure_url: str
    private_key: str = field(repr=False)
    token: str = field(repr=False)

    def headers(self) -> dict[str, str]:
        return {"SecureURL": self.secure_url, "PrivateKey": self.private_key, "Token": self.token}


def store_host(secure_url: str) -> str:
    """`https://Store.3dcartstores.com/` -> `store.3dcartstores.com` (also without a scheme)."""
    text = secure_url.strip()
    if "://" not in text:
        text = "https://" + text
    return (urlsplit(text).hostname or "").lower()


def store_credentials(connection: Connection) -> StoreCredentials:
    credentials = connection.get_credentials()
    secure_url = (connection.settings.get("secure_url") or "").strip()
    missing = [
        label
        for label, value in (
            ("the store's Secure URL", secure_url),
            ("the Private Key", credentials.get("private_key")),
            ("the Token", credentials.get("token")),
        )
        if not value
    ]
    if missing:
        raise AuthError(
            f"Connection “{connection.name}” lacks {' and '.join(missing)}: edit it to add them."
        )
    return StoreCredentials(secure_url, credentials["private_key"], credentials["token"])
