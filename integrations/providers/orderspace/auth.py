"""Orderspace authentication: OAuth 2.0 on Orderspace's identity server, two ways.

Private integrations [V]: the integration's Client ID and Secret buy a bearer token valid
for 30 minutes with the client-credentials grant; there is no refresh token, a new token is
simply bought again.

Public integrations [I]: the authorization-code grant, which Orderspace enables on request
and does not document beyond that. Its identity server is Doorkeeper (its token endpoint
and error bodies are Doorkeeper's), so the consent page is taken to be Doorkeeper's
`/oauth/authorize` beside `/oauth/token`, and a code grant to come with a refresh token
(`grant_type=refresh_token`; the answer may carry a new refresh token, which replaces the
old one). A connection made this way has a `refresh_token` among its credentials.

Either way a token is renewed a minute before it expires, and exactly once across all
workers (`_renew_once`): lock the connection row, re-read it, renew only if nobody else just
did, and save the new token before anyone uses it. A 401 for an expired or revoked token
renews once and retries once (transport.py). A refused grant (wrong or revoked credentials,
a dead refresh token) marks the connection "needs reconnect".

The row lock: SQLite ignores SELECT ... FOR UPDATE, and a DEFERRED transaction takes its
write lock only at the first write, after two workers may both have read the old token; so
the transaction starts with a no-op write to the row, which locks it under any database.
Source: Orderspace API docs, authentication (see docs/providers/orderspace.md).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode, urlparse

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations import http
from integrations.errors import AuthError, TransientError
from integrations.models import Connection

DEFAULT_API_URL = "https://api.orderspace.com/v1"
DEFAULT_IDENTITY_URL = "https://identity.orderspace.com"
DEFAULT_TOKEN_URL = f"{DEFAULT_IDENTITY_URL}/oauth/token"
DEFAULT_AUTHORIZE_URL = f"{DEFAULT_IDENTITY_URL}/oauth/authorize"  # [I] Doorkeeper's path
DEFAULT_LIFETIME = 1800  # seconds, when the answer does not say
REFRESH_MARGIN = timedelta(seconds=60)
SERVICE = "Orderspace identity server"


@dataclass(frozen=True)
class TokenGrant:
    access_token: str = field(repr=False)  # secrets stay out of logs and tracebacks
    expires_at: object  # aware datetime
    scopes: list[str]
    refresh_token: str = field(default="", repr=False)  # code grants only


def api_url(connection: Connection) -> str:
    base = (connection.settings.get("base_url") or DEFAULT_API_URL).rstrip("/")
    return base if base.endswith("/v1") else f"{base}/v1"


def token_url(connection: Connection) -> str:
    """The identity server's token URL. A connection pointed at the sandbox with only
    `base_url` finds it beside the API (`…/orderspace/oauth/token`)."""
    if connection.settings.get("token_url"):
        return connection.settings["token_url"]
    return token_url_for(connection.settings.get("base_url") or "")


def token_url_for(base_url: str) -> str:
    """The token URL that goes with an API base URL ("" = Orderspace itself)."""
    if not base_url:
        return DEFAULT_TOKEN_URL
    base = base_url.rstrip("/").removesuffix("/v1")
    return f"{base}/oauth/token"


def is_code_grant(connection: Connection) -> bool:
    """Made through the authorization-code redirect (a public integration)."""
    return "refresh_token" in connection.get_credentials()


def request_token(*, url: str, client_id: str, client_secret: str) -> TokenGrant:
    """POST the client credentials; AuthError with Orderspace's words if refused. One try:
    a 5xx or a dropped connection is a TransientError, which the API call waiting on this
    token tries again with its own backoff (integrations/transport.py), not under the lock
    that makes this purchase happen once across processes."""
    form = {"client_id": client_id, "client_secret": client_secret}
    form["grant_type"] = "client_credentials"
    return _post_token(url, form, refused="Orderspace refused the client ID and secret")


def _post_token(url: str, form: dict, *, refused: str) -> TokenGrant:
    """One POST to the token endpoint. Not retried by itself for codes and refresh tokens:
    both are single-use, so a second try after a lost answer could only be refused."""
    session = http.build_session({"Accept": "application/json"})
    response = session.post(url, data=form)
    if response.status_code >= 500 or response.status_code in (408, 429):
        http.raise_for_status(response, service=SERVICE)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400:
        detail = ""
        if isinstance(body, dict):
            detail = body.get("error_description") or body.get("error") or ""
        status = response.status_code
        message = f"{refused} ({status})"
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
        refresh_token=body.get("refresh_token") or "",
    )


# --- the authorization-code redirect (integrations/oauth_flow.py calls these) -----------------
def authorization_url(
    *,
    client_id: str,
    redirect_uri: str,
    scopes: list[str],
    state: str,
    authorize_url: str = DEFAULT_AUTHORIZE_URL,
) -> str:
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(scopes),
            "state": state,
        }
    )
    return f"{authorize_url}{'&' if urlparse(authorize_url).query else '?'}{query}"


def exchange_code(
    *, client_id: str, client_secret: str, code: str, redirect_uri: str, base_url: str = ""
) -> TokenGrant:
    """Trade the code from the redirect for tokens (the code works once). `base_url` is the
    API's (a sandbox); the token endpoint is found beside it."""
    form = {
        "client_id": client_id,
        "client_secret": client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
    }
    return _post_token(
        token_url_for(base_url), form, refused="Orderspace refused the authorization code"
    )


def credentials_from_grant(*, client_id: str, client_secret: str, grant: TokenGrant) -> dict:
    # `refresh_token` is kept even when empty: it is what marks a code-grant connection.
    return {
        "client_id": client_id,
        "client_secret": client_secret,
        "access_token": grant.access_token,
        "refresh_token": grant.refresh_token,
    }


def settings_from_grant(grant: TokenGrant) -> dict:
    """Orderspace's token answer names no account or user: nothing to keep beyond the token."""
    return {}


def _fresh(connection: Connection) -> bool:
    expires_at = connection.token_expires_at
    return expires_at is not None and expires_at - REFRESH_MARGIN > timezone.now()


def access_token(connection: Connection) -> str:
    """The token to send now, renewed when it is missing or about to expire."""
    credentials = connection.get_credentials()
    if not credentials.get("client_id") or not credentials.get("client_secret"):
        raise AuthError(
            f"Connection “{connection.name}” has no Orderspace Client ID and secret: "
            "add them from the Private Integration in Orderspace."
        )
    if credentials.get("access_token") and _fresh(connection):
        return credentials["access_token"]
    return renew_access_token(connection)


def renew_access_token(connection: Connection, *, rejected_token: str | None = None) -> str:
    """A new token by whichever grant the connection was made with."""
    if is_code_grant(connection):
        return refresh_access_token(connection, rejected_token=rejected_token)
    return fetch_access_token(connection, rejected_token=rejected_token)


def fetch_access_token(connection: Connection, *, rejected_token: str | None = None) -> str:
    """Buy a client-credentials token once across all processes. `rejected_token` is one
    Orderspace just refused (expired early or revoked): replace it even if it looks fresh,
    unless someone already did."""

    def buy(locked: Connection, credentials: dict) -> TokenGrant:
        return request_token(
            url=token_url(locked),
            client_id=credentials.get("client_id", ""),
            client_secret=credentials.get("client_secret", ""),
        )

    def refused(failure: AuthError) -> tuple[str, str]:
        advice = (
            f"{str(failure).rstrip('.')}. Check the Client ID and secret of the Private "
            "Integration in Orderspace and reconnect."
        )
        return str(failure), advice

    return _renew_once(connection, rejected_token, buy, refused)


def refresh_access_token(connection: Connection, *, rejected_token: str | None = None) -> str:
    """Refresh a code grant's access token once across all processes (token health calls
    this too). A new refresh token in the answer replaces the old one, saved before the
    access token is used; the old pair is revoked by then."""

    def refresh(locked: Connection, credentials: dict) -> TokenGrant:
        if not credentials.get("refresh_token"):
            raise AuthError("Orderspace issued no refresh token for this connection.")
        form = {
            "client_id": credentials.get("client_id", ""),
            "client_secret": credentials.get("client_secret", ""),
            "grant_type": "refresh_token",
            "refresh_token": credentials["refresh_token"],
        }
        return _post_token(
            token_url(locked), form, refused="Orderspace refused to refresh the access token"
        )

    def refused(failure: AuthError) -> tuple[str, str]:
        message = f"{str(failure).rstrip('.')}. Reconnect it to Orderspace."
        return message, message

    return _renew_once(connection, rejected_token, refresh, refused)


def _renew_once(
    connection: Connection,
    rejected_token: str | None,
    obtain: Callable[[Connection, dict], TokenGrant],
    refused: Callable[[AuthError], tuple[str, str]],
) -> str:
    """Lock the row, re-read it, renew with `obtain` only if still needed, save, and copy the
    saved state onto `connection`. `refused(error)` → (last_error, message of the AuthError
    raised) when the identity server says no."""
    failure: AuthError | None = None
    with transaction.atomic():
        locked = _lock(connection)
        credentials = locked.get_credentials()
        current = credentials.get("access_token")
        replaced = rejected_token is not None and current and current != rejected_token
        if current and (replaced or (rejected_token is None and _fresh(locked))):
            _copy_token_state(locked, connection)
            return current
        try:
            grant = obtain(locked, credentials)
        except AuthError as error:
            failure = error
        else:
            credentials["access_token"] = grant.access_token
            if "refresh_token" in credentials:
                locked.settings = {
                    **locked.settings,
                    "last_refreshed_at": timezone.now().isoformat(),
                }
                # Rotation: the new refresh token replaces the old; none keeps the old one.
                if grant.refresh_token:
                    credentials["refresh_token"] = grant.refresh_token
            locked.set_credentials(credentials)
            locked.token_expires_at = grant.expires_at
            if grant.scopes:
                locked.scopes = grant.scopes
            locked.save(
                update_fields=[
                    "credentials_encrypted",
                    "token_expires_at",
                    "scopes",
                    "settings",
                    "updated_at",
                ]
            )
            _copy_token_state(locked, connection)
            return grant.access_token
    # Outside the transaction, so the status survives the exception.
    last_error, message = refused(failure)
    Connection.objects.filter(pk=connection.pk).update(
        status=Connection.Status.NEEDS_RECONNECT, last_error=last_error, updated_at=timezone.now()
    )
    connection.status = Connection.Status.NEEDS_RECONNECT
    connection.last_error = last_error
    raise AuthError(message, status=failure.status)


def _lock(connection: Connection) -> Connection:
    """The connection row, locked until the transaction ends (see the module docstring)."""
    Connection.objects.filter(pk=connection.pk).update(updated_at=F("updated_at"))
    return Connection.objects.select_for_update().get(pk=connection.pk)


def _copy_token_state(source: Connection, target: Connection) -> None:
    target.credentials_encrypted = source.credentials_encrypted
    target.token_expires_at = source.token_expires_at
    target.scopes = source.scopes
    target.settings = source.settings


# How the connection wizard offers the two ways in: private integrations (client
# credentials) are the usual case; public ones (the OAuth redirect) are enabled on request.
OAUTH_WORDS = {
    "default_method": "token",
    "oauth_tab": "Public integration (OAuth)",
    "token_tab": "Private integration",
    "oauth_intro": (
        "Sign in at Orderspace and authorize the app. You need the public integration's "
        "Client ID and Client secret. Orderspace does not publish the sign-in page's address: "
        "ContactBridge assumes /oauth/authorize on its identity server (inferred)."
    ),
    "client_id_help": "Orderspace → Integrations → your public integration.",
}
