"""The OAuth 2.0 authorization-code round trip, for any provider with `oauth` parts
(`authorization_url()`, `exchange_code()`, `credentials_from_grant()`: HighLevel, Orderspace).

Start: a random `state` and what the callback will need go into the session (the app's client
secret encrypted, as credentials are at rest); the browser goes to the provider. Callback: the
state must match the one in this session, the provider's own error (`access_denied`) is shown
as it is, the code is exchanged once, and the tokens become a new connection or replace those
of the connection being reconnected (same id, so its flows keep working).

The scopes asked for are the chosen access level's (integrations/access_levels.py), or, for
"Reconnect with this scope", what the connection holds plus what a feature lacks
(`flow_reconnect`); what each one is for is in integrations/scopes.py.
"""

import secrets
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from integrations import sandbox_values
from integrations.crypto import decrypt_credentials, encrypt_credentials
from integrations.providers.base import OAuthParts, Provider
from integrations.providers.registry import get_provider

SESSION_KEY = "oauth_flow"


class OAuthFlowError(Exception):
    """The round trip cannot finish; the message says why in plain words."""

    def __init__(self, message: str, *, provider_error: str = ""):
        super().__init__(message)
        self.provider_error = provider_error


@dataclass(frozen=True)
class OAuthApp:
    """The provider-side app the user installs: its ID and secret, and where it lives."""

    client_id: str
    client_secret: str
    base_url: str = ""
    authorize_url: str = ""
    # Non-secret settings the sandbox publishes for verifying its webhooks (its public keys),
    # saved on the connection so events it sends to this app verify.
    webhook_settings: dict = field(default_factory=dict)
    webhook_credentials: dict = field(default_factory=dict)  # e.g. a signing key: encrypted


def supports_oauth(provider: Provider) -> bool:
    return provider.auth_kind.startswith("oauth2") and provider.oauth is not None


def is_oauth_connection(connection) -> bool:
    return "refresh_token" in connection.get_credentials()


def sandbox_webhook_values(provider: Provider, described: dict | None) -> tuple[dict, dict]:
    """(settings, credentials): the webhook verification values (`webhook_*`) the provider's
    sandbox gives a connection, so the events it signs verify for an OAuth connection too."""
    entry = sandbox_values.sandbox_entry(provider) if described else None
    if entry is None:
        return {}, {}
    credentials, settings = entry.connection_values(described)

    def webhook_only(values: dict) -> dict:
        return {key: value for key, value in values.items() if key.startswith("webhook_")}

    return webhook_only(settings), webhook_only(credentials)


# How the wizard names the two ways of connecting; a provider's OAuth parts may say
# otherwise with `words` (Orderspace: public vs private integrations).
DEFAULT_WORDS = {
    "default_method": "oauth",
    "oauth_tab": "Marketplace app (OAuth)",
    "token_tab": "Credentials",
    "oauth_intro": (
        "Sign in at {provider} and pick the sub-account to connect. You need your "
        "Marketplace app's Client ID and Client secret."
    ),
    "client_id_help": "Marketplace → My Apps → Auth.",
    "app_scopes_help": "",  # where the provider's app lists the scopes it may ask for
}


def oauth_words(provider: Provider) -> dict:
    words = {**DEFAULT_WORDS, **(provider.oauth.words if provider.oauth else {})}
    words["oauth_intro"] = words["oauth_intro"].format(provider=provider.name)
    return words


def app_from_connection(connection) -> OAuthApp:
    credentials = connection.get_credentials()
    return OAuthApp(
        client_id=credentials.get("client_id", ""),
        client_secret=credentials.get("client_secret", ""),
        base_url=connection.settings.get("base_url", ""),
        authorize_url=connection.settings.get("authorize_url", ""),
    )


def callback_url(request, provider_key: str) -> str:
    return request.build_absolute_uri(reverse("integrations:oauth-callback", args=[provider_key]))


def flow_start(
    request,
    *,
    provider: Provider,
    workspace_id: int,
    app: OAuthApp,
    scopes: list[str],
    name: str = "",
    access: str = "",
    connection_id: int | None = None,
    return_to: str = "",
) -> str:
    """Remember the flow in the session and return the provider URL to send the browser to.
    `return_to`: a page of this site to come back to afterwards (the mapping editor)."""
    state = secrets.token_urlsafe(32)
    redirect_uri = callback_url(request, provider.key)
    request.session[SESSION_KEY] = {
        "state": state,
        "provider": provider.key,
        "workspace_id": workspace_id,
        "connection_id": connection_id,
        "name": name,
        "access": access,
        "scopes": list(scopes),
        "redirect_uri": redirect_uri,
        "return_to": safe_return_to(request, return_to),
        "app": encrypt_credentials(
            {
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "base_url": app.base_url,
                "authorize_url": app.authorize_url,
                "webhook_settings": app.webhook_settings,
                "webhook_credentials": app.webhook_credentials,
            }
        ),
    }
    options = {"authorize_url": app.authorize_url} if app.authorize_url else {}
    return provider.oauth.authorization_url(
        client_id=app.client_id,
        redirect_uri=redirect_uri,
        scopes=list(scopes),
        state=state,
        **options,
    )


def safe_return_to(request, url: str) -> str:
    """`url` when it is a path on this site, else "" (never an open redirect)."""
    if url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def flow_reconnect(
    request, *, connection, scopes: list[str], access: str, return_to: str = ""
) -> str:
    """Start the round trip again for an OAuth connection, with its own app (client ID and
    secret), keeping its id: the callback replaces its tokens and granted scopes."""
    return flow_start(
        request,
        provider=get_provider(connection.provider),
        workspace_id=connection.workspace_id,
        app=app_from_connection(connection),
        scopes=scopes,
        name=connection.name,
        access=access,
        connection_id=connection.pk,
        return_to=return_to,
    )


@dataclass(frozen=True)
class FlowResult:
    provider: Provider
    workspace_id: int
    connection_id: int | None
    name: str
    access: str
    credentials: dict
    settings: dict
    scopes: list[str]
    token_expires_at: object
    return_to: str = ""  # where the person started ("" : the wizard's next step)


def flow_pending(request) -> dict | None:
    return request.session.get(SESSION_KEY)


def flow_finish(request, *, provider_key: str, params) -> FlowResult:
    """Check the callback and exchange its code. The pending flow is used up either way: a
    state can never be replayed."""
    pending = request.session.pop(SESSION_KEY, None)
    state = params.get("state", "")
    if pending is None:
        raise OAuthFlowError(
            "This sign-in was not started here, or it was already used. Start again from "
            "Add connection (or Reconnect)."
        )
    # As bytes: compare_digest refuses str with non-ASCII characters (TypeError), and a
    # forged state may hold any.
    expected = str(pending["state"]).encode()
    if not state or not secrets.compare_digest(str(state).encode(), expected):
        raise OAuthFlowError(
            "The answer from the provider does not match the sign-in started here (the "
            "state parameter is missing or different), so it was refused. Start again."
        )
    if pending["provider"] != provider_key:
        raise OAuthFlowError("The answer came back for a different system. Start again.")
    provider = get_provider(provider_key)
    if params.get("error"):
        description = params.get("error_description") or ""
        raise OAuthFlowError(
            f"{provider.name} did not grant access: {params['error']}"
            + (f" ({description})" if description else "")
            + ". Nothing was saved.",
            provider_error=params["error"],
        )
    code = params.get("code")
    if not code:
        raise OAuthFlowError(f"{provider.name} sent no authorization code. Start again.")
    app = OAuthApp(**decrypt_credentials(pending["app"]))
    oauth = provider.oauth
    options = {"base_url": app.base_url} if app.base_url else {}
    grant = oauth.exchange_code(
        client_id=app.client_id,
        client_secret=app.client_secret,
        code=code,
        redirect_uri=pending["redirect_uri"],
        **options,
    )
    credentials = oauth.credentials_from_grant(
        client_id=app.client_id, client_secret=app.client_secret, grant=grant
    )
    settings = {key: value for key, value in _grant_settings(oauth, grant).items() if value}
    if app.base_url:
        settings["base_url"] = app.base_url
    if app.authorize_url:
        settings["authorize_url"] = app.authorize_url
    if pending.get("access"):
        settings["access"] = pending["access"]
    settings.update(app.webhook_settings)
    credentials = {**credentials, **app.webhook_credentials}
    return FlowResult(
        provider=provider,
        workspace_id=pending["workspace_id"],
        connection_id=pending["connection_id"],
        name=pending["name"],
        access=pending.get("access", ""),
        credentials=credentials,
        settings=settings,
        scopes=list(getattr(grant, "scopes", None) or pending["scopes"]),
        token_expires_at=getattr(grant, "expires_at", None),
        return_to=pending.get("return_to", ""),
    )


def _grant_settings(oauth: OAuthParts, grant) -> dict:
    """Non-secret facts of a grant worth keeping (HighLevel: the location it is for)."""
    if oauth.settings_from_grant is not None:
        return oauth.settings_from_grant(grant)
    return {
        "location_id": getattr(grant, "location_id", ""),
        "company_id": getattr(grant, "company_id", ""),
        "user_type": getattr(grant, "user_type", ""),
    }
