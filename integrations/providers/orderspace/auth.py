"""Orderspace authentication: the OAuth 2.0 client-credentials grant of Private Integrations.

The integration's Client ID and Secret buy a bearer token valid for 30 minutes; there is no
refresh token, a new token is simply bought again. We buy one a minute before the old one
expires, and exactly once across all workers: `fetch_access_token` locks the connection row,
re-reads it, buys a token only if nobody else just did, and saves it before anyone uses it.
A 401 for an expired or invalid token buys one new token and retries once (transport.py).
A refused grant (wrong or revoked credentials) marks the connection "needs reconnect".
Reference: ../shared/reference/store-platform-apis.md §1 "Auth".
"""

import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from integrations import http
from integrations.errors import AuthError, TransientError
from integrations.models import Connection

DEFAULT_API_URL = "https://api.orderspace.com/v1"
DEFAULT_TOKEN_URL = "https://identity.orderspace.com/oauth/token"
DEFAULT_LIFETIME = 1800  # seconds, when the answer does not say
REFRESH_MARGIN = timedelta(seconds=60)
TOKEN_ATTEMPTS = 3
TOKEN_RETRY_DELAY = 0.5  # seconds, doubled per attempt


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_at: object  # aware datetime
    scopes: list[str]


def api_url(connection: Connection) -> str:
    base = (connection.settings.get("base_url") or DEFAULT_API_URL).rstrip("/")
    return base if base.endswith("/v1") else f"{base}/v1"


def token_url(connection: Connection) -> str:
    """The identity server's token URL. A connection pointed at the sandbox with only
    `base_url` finds it beside the API (`…/orderspace/oauth/token`)."""
    if connection.settings.get("token_url"):
        return connection.settings["token_url"]
    base = connection.settings.get("base_url")
    if base:
        return f"{api_url(connection).removesuffix('/v1')}/oauth/token"
    return DEFAULT_TOKEN_URL


def request_token(
    *, url: str, client_id: str, client_secret: str, attempts: int = TOKEN_ATTEMPTS
) -> TokenGrant:
    """POST the client credentials; AuthError with Orderspace's words if refused. A 5xx or a
    dropped connection is tried again a few times: every API call waits on this one."""
    attempt = 1
    while True:
        try:
            return _request_token(url=url, client_id=client_id, client_secret=client_secret)
        except TransientError:
            if attempt >= attempts:
                raise
            time.sleep(TOKEN_RETRY_DELAY * 2 ** (attempt - 1))
            attempt += 1


def _request_token(*, url: str, client_id: str, client_secret: str) -> TokenGrant:
    session = http.build_session({"Accept": "application/json"})
    response = session.post(
        url,
        data={
            "client_id": client_id,
            "client_secret": client_secret,
            "grant_type": "client_credentials",
        },
    )
    if response.status_code >= 500 or response.status_code in (408, 429):
        http.raise_for_status(response, service="Orderspace identity server")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400:
        detail = ""
        if isinstance(body, dict):
            detail = body.get("error_description") or body.get("error") or ""
        status = response.status_code
        message = f"Orderspace refused the client ID and secret ({status})"
        raise AuthError(f"{message}: {detail}" if detail else f"{message}.", status=status)
    if not isinstance(body, dict) or not body.get("access_token"):
        raise TransientError("Orderspace's identity server answered without an access token.")
    lifetime = body.get("expires_in")
    lifetime = int(lifetime) if str(lifetime).isdigit() else DEFAULT_LIFETIME
    scope = body.get("scope") or ""
    return TokenGrant(
        access_token=body["access_token"],
        expires_at=timezone.now() + timedelta(seconds=lifetime),
        scopes=scope.split() if isinstance(scope, str) else list(scope),
    )


def _fresh(connection: Connection) -> bool:
    expires_at = connection.token_expires_at
    return expires_at is not None and expires_at - REFRESH_MARGIN > timezone.now()


def access_token(connection: Connection) -> str:
    """The token to send now, bought anew when it is missing or about to expire."""
    credentials = connection.get_credentials()
    if not credentials.get("client_id") or not credentials.get("client_secret"):
        raise AuthError(
            f"Connection “{connection.name}” has no Orderspace Client ID and secret: "
            "add them from the Private Integration in Orderspace."
        )
    if credentials.get("access_token") and _fresh(connection):
        return credentials["access_token"]
    return fetch_access_token(connection)


def fetch_access_token(connection: Connection, *, rejected_token: str | None = None) -> str:
    """Buy a token once across all processes. `rejected_token` is one Orderspace just refused
    (expired early or revoked): replace it even if it looks fresh, unless someone already did."""
    failure: AuthError | None = None
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        credentials = locked.get_credentials()
        current = credentials.get("access_token")
        replaced = rejected_token is not None and current and current != rejected_token
        if current and (replaced or (rejected_token is None and _fresh(locked))):
            _copy_token_state(locked, connection)
            return current
        try:
            grant = request_token(
                url=token_url(locked),
                client_id=credentials.get("client_id", ""),
                client_secret=credentials.get("client_secret", ""),
            )
        except AuthError as error:
            failure = error
        else:
            credentials["access_token"] = grant.access_token
            locked.set_credentials(credentials)
            locked.token_expires_at = grant.expires_at
            if grant.scopes:
                locked.scopes = grant.scopes
            locked.save(
                update_fields=["credentials_encrypted", "token_expires_at", "scopes", "updated_at"]
            )
            _copy_token_state(locked, connection)
            return grant.access_token
    # Outside the transaction, so the status survives the exception.
    Connection.objects.filter(pk=connection.pk).update(
        status=Connection.Status.NEEDS_RECONNECT, last_error=str(failure), updated_at=timezone.now()
    )
    connection.status = Connection.Status.NEEDS_RECONNECT
    raise AuthError(
        f"{str(failure).rstrip('.')}. Check the Client ID and secret of the Private "
        "Integration in Orderspace and reconnect.",
        status=failure.status,
    )


def _copy_token_state(source: Connection, target: Connection) -> None:
    target.credentials_encrypted = source.credentials_encrypted
    target.token_expires_at = source.token_expires_at
    target.scopes = source.scopes
