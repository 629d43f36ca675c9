"""Receiving Cin7 Core webhooks.

Cin7 signs nothing. A registration (POST /webhooks) tells Cin7 how to authenticate itself to
the receiver, and that is what we check: the connection's `webhook_secret` sent as
- "bearer" (default): `Authorization: Bearer <secret>` (ExternalAuthorizationType bearerauth),
- "basic": `Authorization: Basic base64(<webhook_username>:<secret>)` (basicauth),
- "header": `<webhook_header>: <secret>`, a custom header in ExternalHeaders (what Pipedream
  does with `verification-token`).
The payload names no account, so the connection is found by the secret it presented: every
Cin7 connection with a webhook secret is compared in constant time (one registration per
connection, so one match; several workspaces on one account each register their own).

Cin7 batches changes: one delivery carries `{"CustomerDetailsList": [...]}` with one or more
customers. A delivery is one VerifiedEvent whose payload keeps the whole batch; its ID is a
digest of the (ID, LastModifiedOn) pairs in it, because Cin7 sends no delivery ID: a retried
delivery is stored once, and a later change always makes a new event. There is no timestamp
to check for staleness, and Customer/Updated is the only customer event (no created/deleted).
Sources: docs/providers/cin7.md.
"""

import base64
import binascii
import hashlib
import hmac
import secrets

from integrations import jsonsafe
from integrations.errors import ConfigError
from integrations.models import Connection
from integrations.providers.base import VerifiedEvent, WebhookRejected
from integrations.providers.cin7.schemas import WebhookInput

EVENT_TYPE = "Customer/Updated"
AUTH_MODES = ("bearer", "basic", "header")
DEFAULT_USERNAME = "contactbridge"
DEFAULT_HEADER = "X-ContactBridge-Token"


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


def _mode(connection: Connection) -> str:
    mode = connection.settings.get("webhook_auth") or "bearer"
    return mode if mode in AUTH_MODES else "bearer"


def registration(connection: Connection, url: str) -> WebhookInput:
    """The Cin7 registration that makes Cin7 authenticate the way `verify` checks."""
    secret = connection.get_credentials().get("webhook_secret")
    if not secret:
        raise ConfigError(
            f"Connection “{connection.name}” has no webhook secret yet (new_webhook_secret())."
        )
    mode = _mode(connection)
    if mode == "basic":
        return WebhookInput(
            ExternalURL=url,
            ExternalAuthorizationType="basicauth",
            ExternalUserName=connection.settings.get("webhook_username") or DEFAULT_USERNAME,
            ExternalPassword=secret,
        )
    if mode == "header":
        header = connection.settings.get("webhook_header") or DEFAULT_HEADER
        return WebhookInput(
            ExternalURL=url,
            ExternalAuthorizationType="noauth",
            ExternalHeaders=[{"Key": header, "Value": secret}],
        )
    return WebhookInput(
        ExternalURL=url, ExternalAuthorizationType="bearerauth", ExternalBearerToken=secret
    )


def _presented(connection: Connection, headers: dict[str, str]) -> str | None:
    """What the request offers in the place this connection's registration puts it."""
    mode = _mode(connection)
    if mode == "header":
        name = (connection.settings.get("webhook_header") or DEFAULT_HEADER).lower()
        return headers.get(name)
    scheme, _, value = (headers.get("authorization") or "").partition(" ")
    if mode == "bearer":
        return value.strip() if scheme.lower() == "bearer" else None
    if scheme.lower() != "basic":
        return None
    try:
        username, _, password = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    expected = connection.settings.get("webhook_username") or DEFAULT_USERNAME
    return password if hmac.compare_digest(username.encode(), expected.encode()) else None


def authenticated_connections(headers) -> list[Connection]:
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    matched = []
    for connection in Connection.objects.filter(provider="cin7").order_by("pk"):
        secret = connection.get_credentials().get("webhook_secret")
        offered = _presented(connection, lowered) if secret else None
        if offered and hmac.compare_digest(offered.encode(), secret.encode()):
            matched.append(connection)
    return matched


def event_id(customers: list[dict]) -> str:
    pairs = sorted(f"{c.get('ID')}@{c.get('LastModifiedOn')}" for c in customers)
    return "cin7-" + hashlib.sha256("|".join(pairs).encode()).hexdigest()[:40]


def verify(body: bytes, headers) -> VerifiedEvent:
    """Return the verified delivery or raise WebhookRejected (nothing of it may be stored)."""
    connections = authenticated_connections(headers)
    if not connections:
        raise WebhookRejected(
            "bad_signature",
            "The request did not carry the credentials of any Cin7 Core webhook registration.",
        )
    try:
        payload = jsonsafe.loads(body)
    except jsonsafe.JSONRejected as error:
        raise WebhookRejected("malformed", f"The body is not JSON we can read: {error}") from None
    customers = payload.get("CustomerDetailsList") if isinstance(payload, dict) else None
    if (
        not isinstance(customers, list)
        or not customers
        or not all(isinstance(c, dict) and c.get("ID") for c in customers)
    ):
        raise WebhookRejected("malformed", "CustomerDetailsList with customer IDs is required.")
    return VerifiedEvent(
        event_id=event_id(customers),
        event_type=EVENT_TYPE,
        payload=payload,
        connections=connections,
    )
