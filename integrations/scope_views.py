""" "Reconnect with this scope": the button of templates/integrations/_missing_scope.html.

An OAuth connection goes back through the provider's consent screen asking for the scopes
it holds plus those the feature lacks, and keeps its id (and so its flows). A connection
with typed credentials (a Private Integration Token, a store token) cannot gain a scope from
here: the scope is added where the token was made, so the person is sent to enter the new one.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.access import workspace_access
from accounts.models import Role
from integrations import access_levels, oauth_flow, scopes
from integrations.providers.registry import get_provider
from integrations.selectors import connection_for_workspace
from integrations.wizard import redirect_browser


@login_required
@require_POST
def connection_reconnect_scope(request, workspace_id, connection_id):
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    connection = connection_for_workspace(
        workspace=membership.workspace, connection_id=connection_id
    )
    provider = get_provider(connection.provider)
    wanted = scopes.feature(connection.provider, request.POST.get("feature", ""))
    if wanted is None:
        messages.error(request, f"{provider.name} has no such feature to ask a scope for.")
        return redirect("integrations:connection-detail", workspace_id, connection.pk)
    if not (oauth_flow.supports_oauth(provider) and oauth_flow.is_oauth_connection(connection)):
        messages.info(request, scopes.token_instructions(connection, wanted))
        return redirect("integrations:connection-edit", workspace_id, connection.pk)
    asked, access = access_levels.reconnect_scopes(connection, add=wanted.scopes)
    url = oauth_flow.flow_reconnect(
        request,
        connection=connection,
        scopes=asked,
        access=access,
        return_to=request.POST.get("next", ""),
    )
    return redirect_browser(request, url)
