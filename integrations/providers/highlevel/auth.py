"""HighLevel authentication: OAuth 2.0 (Marketplace apps) and Private Integration Tokens.

Refresh tokens are single-use and rotate on every refresh, so a refresh must happen exactly
once even when many workers find the same token expired: `refresh_access_token` locks the
connection row, re-reads it, refreshes only if nobody else did, and saves the new pair before
anyone uses it. A refresh response without a refresh token keeps the old one.

The row lock: PostgreSQL's SELECT ... FOR UPDATE. SQLite ignores FOR UPDATE and locks the
whole database for writers instead, but a DEFERRED transaction takes that lock only at its
first write, after both workers may have read the old token. The settings open IMMEDIATE
transactions, which lock at BEGIN; so that single-flight does not depend on that setting,
the transaction starts with a write to the row (`_lock`), which takes the lock under any
transaction mode before anything is read.
Reference: https://marketplace.gohighlevel.com/docs/Authorization/OAuth2.0
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from oauthlib.oauth2 import OAuth2Error

from integrations import http
from integrations.errors import AuthError, IntegrationError, TransientError
from integrations.models import Connection

DEFAULT_BASE_URL = "https://services.leadconnectorhq.com"
DEFAULT_AUTHORIZE_URL = "https://marketplace.gohighlevel.com/oauth/chooselocation"
READ_SCOPE = "contacts.readonly"
WRITE_SCOPE = "contacts.write"
# GET /locations/{id}/customFields (the mapping editor's custom fields) needs its own scope.
CUSTOM_FIELDS_SCOPE = "locations/customFields.readonly"
# Refresh a little before expiry, as HighLevel's own SDK does, so no request carries a token
# that expires in flight.
REFRESH_MARGIN = timedelta(seconds=60)


@dataclass(frozen=True)
class TokenGrant:
    access_token: str = field(repr=False)  # secrets stay out of logs and tracebacks
    refresh_token: str = field(repr=False)
    expires_at: object  # aware datetime
    scopes: list[str]
    location_id: str
    company_id: str
    user_type: str
    user_id: str


def _base_url(connection: Connection) -> str:
    return (connection.settings.get("base_url") or DEFAULT_BASE_URL).rstrip("/")


def token_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/oauth/token"


def _raise_for_token_response(response):
    """oauthlib only understands RFC 6749 error bodies; HighLevel also answers in its own
    shapes, so map every failure to our typed errors before oauthlib parses anything."""
    if response.status_code >= 500 or response.status_code == 429:
        http.raise_for_status(response, service="HighLevel token endpoint")
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            body = {}
        detail = body.get("error_description") or body.get("message") or body.get("error") or ""
        if isinstance(detail, list):
            detail = "; ".join(map(str, detail))
        raise AuthError(
            f"HighLevel refused the token request ({response.status_code}): {detail}".rstrip(": "),
            status=response.status_code,
        )
    return response


def _session(
    client_id: str, redirect_uri: str | None = None, scopes: list[str] | None = None, state=None
):
    session = http.build_oauth_session(
        client_id=client_id, redirect_uri=redirect_uri, scope=scopes, state=state
    )
    session.register_compliance_hook("access_token_response", _raise_for_token_response)
    session.register_compliance_hook("refresh_token_response", _raise_for_token_response)
    return session


def authorization_url(
    *,
    client_id: str,
    redirect_uri: str,
    scopes: list[str],
    state: str,
    authorize_url: str = DEFAULT_AUTHORIZE_URL,
) -> str:
    url, _ = _session(client_id, redirect_uri, scopes, state).authorization_url(authorize_url)
    return url


def _grant(token: dict) -> TokenGrant:
    scope = token.get("scope") or ""
    scopes = scope.split() if isinstance(scope, str) else list(scope)
    return TokenGrant(
        access_token=token["access_token"],
        refresh_token=token.get("refresh_token", ""),
        expires_at=timezone.now() + timedelta(seconds=int(token.get("expires_in") or 86399)),
        scopes=scopes,
        location_id=token.get("locationId") or "",
        company_id=token.get("companyId") or "",
        user_type=token.get("userType") or "",
        user_id=token.get("userId") or "",
    )


def _call_token_endpoint(call):
    try:
        return _grant(call())
    except IntegrationError:
        raise
    except OAuth2Error as exc:
        raise AuthError(
            f"HighLevel refused the token request: {exc.description or exc.error}"
        ) from None
    except (KeyError, ValueError) as exc:
        raise TransientError(
            f"HighLevel's token endpoint answered something unreadable: {exc}"
        ) from None


def exchange_code(
    *,
    base_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    user_type: str = "Location",
) -> TokenGrant:
    """Trade the authorization code from the redirect for tokens (the code works once)."""
    session = _session(client_id, redirect_uri)
    return _call_token_endpoint(
        lambda: session.fetch_token(
            token_url(base_url),
            code=code,
            client_secret=client_secret,
            include_client_id=True,
            user_type=user_type,
        )
    )


def credentials_from_grant(*, client_id: str, client_secret: str, grant: TokenGrant) -> dict:
    return {
        "client_id": client_id,
        "client_secret": client_secret,
        "access_token": grant.access_token,
        "refresh_token": grant.refresh_token,
    }


def store_grant(
    connection: Connection, *, client_id: str, client_secret: str, grant: TokenGrant
) -> Connection:
    """Save a code exchange's tokens on the connection (encrypted), with the scopes granted,
    the expiry and the location the token is for; the connection is then connected."""
    connection.set_credentials(
        credentials_from_grant(client_id=client_id, client_secret=client_secret, grant=grant)
    )
    connection.scopes = grant.scopes
    connection.token_expires_at = grant.expires_at
    extra = {"user_type": grant.user_type} if grant.user_type else {}
    if grant.location_id:
        extra["location_id"] = grant.location_id
    connection.settings = {**connection.settings, **extra}
    connection.status = Connection.Status.CONNECTED
    connection.last_error = ""
    connection.save()
    return connection


def is_oauth(connection: Connection) -> bool:
    return "refresh_token" in connection.get_credentials()


def _fresh(connection: Connection) -> bool:
    expires_at = connection.token_expires_at
    return expires_at is not None and expires_at - REFRESH_MARGIN > timezone.now()


def access_token(connection: Connection) -> str:
    """The token to send now: the PIT as it is, or an OAuth access token refreshed if due."""
    credentials = connection.get_credentials()
    if "private_integration_token" in credentials:
        return credentials["private_integration_token"]
    if "access_token" not in credentials:
        raise AuthError(f"Connection “{connection.name}” has no HighLevel token: connect it first.")
    if _fresh(connection):
        return credentials["access_token"]
    return refresh_access_token(connection)


def refresh_access_token(connection: Connection, *, rejected_token: str | None = None) -> str:
    """Refresh once across all processes. `rejected_token` is a token HighLevel just refused
    (revoked early): refresh even if it looks unexpired, unless someone already replaced it."""
    failure: AuthError | None = None
    with transaction.atomic():
        locked = _lock(connection)
        credentials = locked.get_credentials()
        current = credentials.get("access_token")
        replaced = rejected_token is not None and current != rejected_token
        if replaced or (rejected_token is None and _fresh(locked)):
            _copy_token_state(locked, connection)
            return current
        session = _session(credentials["client_id"])
        try:
            grant = _call_token_endpoint(
                lambda: session.refresh_token(
                    token_url(_base_url(locked)),
                    refresh_token=credentials["refresh_token"],
                    client_id=credentials["client_id"],
                    client_secret=credentials["client_secret"],
                    user_type=locked.settings.get("user_type") or "Location",
                )
            )
        except AuthError as error:
            failure = error
        else:
            credentials["access_token"] = grant.access_token
            # Rotation: keep the new refresh token; HighLevel always sends one, but if it
            # ever did not, the old one must not be wiped.
            credentials["refresh_token"] = grant.refresh_token or credentials["refresh_token"]
            locked.set_credentials(credentials)
            locked.token_expires_at = grant.expires_at
            if grant.scopes:
                locked.scopes = grant.scopes
            locked.settings = {**locked.settings, "last_refreshed_at": timezone.now().isoformat()}
            locked.save()
            _copy_token_state(locked, connection)
            return grant.access_token
    # Outside the transaction, so the status survives the exception.
    detail = str(failure).strip()
    if not detail.endswith((".", "!", "?")):
        detail += "."  # HighLevel's descriptions often end without a full stop
    message = f"Refreshing the access token failed: {detail} Reconnect it to HighLevel."
    Connection.objects.filter(pk=connection.pk).update(
        status=Connection.Status.NEEDS_RECONNECT, last_error=message, updated_at=timezone.now()
    )
    connection.status = Connection.Status.NEEDS_RECONNECT
    connection.last_error = message
    raise AuthError(message, status=failure.status)


def _lock(connection: Connection) -> Connection:
    """The connection row, locked until the transaction ends (see the module docstring)."""
    # A no-op write: it takes SQLite's write lock (and PostgreSQL's row lock) first thing.
    Connection.objects.filter(pk=connection.pk).update(updated_at=F("updated_at"))
    return Connection.objects.select_for_update().get(pk=connection.pk)


def _copy_token_state(source: Connection, target: Connection) -> None:
    target.credentials_encrypted = source.credentials_encrypted
    target.token_expires_at = source.token_expires_at
    target.scopes = source.scopes
    target.settings = source.settings
