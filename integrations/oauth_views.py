"""Where a provider's consent screen sends the browser back (the wizard's OAuth step, and
Reconnect): the code is exchanged for tokens, which go into a wizard draft (or, on
reconnect, into the same connection), and the wizard continues at its test step."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.access import workspace_access
from accounts.models import Role
from integrations import oauth_flow
from integrations.errors import IntegrationError
from integrations.providers.base import UnknownProvider
from integrations.providers.registry import get_provider
from integrations.selectors import connection_for_workspace
from integrations.services import connection_create, connection_reconnect
from integrations.wizard import setup_url


@login_required
def oauth_callback(request, provider):
    """The provider sends the browser back here with `code` and `state` (or `error`)."""
    try:
        info = get_provider(provider)
    except UnknownProvider:
        raise Http404("No such provider.") from None
    pending = oauth_flow.flow_pending(request)
    if pending is not None:
        # Still allowed to change that workspace? (404 / 403 otherwise, as everywhere.)
        workspace_access(request, pending["workspace_id"], Role.EDITOR)
    try:
        result = oauth_flow.flow_finish(request, provider_key=provider, params=request.GET)
    except oauth_flow.OAuthFlowError as error:
        return _oauth_failed(request, pending, str(error), error.provider_error)
    except IntegrationError as error:
        return _oauth_failed(
            request, pending, f"The code could not be exchanged for a token: {error}", ""
        )
    if result.connection_id:
        connection = connection_for_workspace(
            workspace=request.membership.workspace, connection_id=result.connection_id
        )
        connection = connection_reconnect(
            connection=connection,
            credentials=result.credentials,
            scopes=result.scopes,
            token_expires_at=result.token_expires_at,
            settings=result.settings,
            actor=request.user,
        )
        if connection.is_draft:
            messages.success(request, f"Signed in to {info.name} again. Test it, then save it.")
        else:
            messages.success(request, f"“{connection.name}” is reconnected. Test it to be sure.")
            # Reconnected from another page ("Reconnect with this scope"): back to it.
            if result.return_to:
                return redirect(result.return_to)
    else:
        try:
            connection = connection_create(
                workspace=request.membership.workspace,
                provider=provider,
                name=result.name,
                settings=result.settings,
                credentials=result.credentials,
                scopes=result.scopes,
                token_expires_at=result.token_expires_at,
                actor=request.user,
                is_draft=True,
            )
        except ValidationError as error:
            message = "; ".join(m for ms in error.message_dict.values() for m in ms)
            return _oauth_failed(request, pending, f"Nothing was saved: {message}", "")
        messages.success(request, f"Signed in to {info.name}. Test the connection, then save it.")
    return redirect(setup_url(connection.workspace_id, connection.pk, "test"))


def _oauth_failed(request, pending: dict | None, message: str, provider_error: str):
    context = {
        "message": message,
        "provider_error": provider_error,
        "workspace_id": (pending or {}).get("workspace_id"),
        "connection_id": (pending or {}).get("connection_id"),
    }
    return render(request, "integrations/oauth_error.html", context, status=400)
