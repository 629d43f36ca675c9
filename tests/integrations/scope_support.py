"""What the scope tests share: a HighLevel connection holding an OAuth token pair the
sandbox granted with chosen scopes (no consent dance), or a Private Integration Token made
with chosen scopes; and a URL conf with "Reconnect with this scope" in it."""

from datetime import timedelta

import requests
from django.urls import include, path
from django.utils import timezone

from integrations.models import Connection
from integrations.providers.highlevel import auth
from tests.factories import ConnectionFactory

TIMEOUT = 10
CONTACTS_ONLY = ["contacts.readonly", "contacts.write"]


def issue(described: dict, **spec) -> dict:
    response = requests.post(described["control_url"], json={"issue_token": spec}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()["result"]["issued"]


def _settings(described: dict) -> dict:
    return {
        "base_url": described["base_url"],
        "authorize_url": described["authorize_url"],
        "location_id": described["location_id"],
    }


def oauth_connection(workspace, described: dict, scopes, **fields) -> Connection:
    issued = issue(described, kind="oauth", scopes=list(scopes))
    grant = auth.TokenGrant(
        access_token=issued["access_token"],
        refresh_token=issued["refresh_token"],
        expires_at=timezone.now() + timedelta(seconds=issued["expires_in"]),
        scopes=issued["scope"].split(),
        location_id=issued["locationId"],
        company_id="",
        user_type=issued["userType"],
        user_id="",
    )
    connection = ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        settings=_settings(described),
        credentials={},
        **fields,
    )
    return auth.store_grant(
        connection,
        client_id=described["client_id"],
        client_secret=described["client_secret"],
        grant=grant,
    )


def pit_connection(workspace, described: dict, token_scopes, recorded=None) -> Connection:
    """A PIT made in HighLevel with `token_scopes`; `recorded` is what the person said."""
    token = issue(described, kind="pit", scopes=list(token_scopes))["access_token"]
    return ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        settings=_settings(described),
        credentials={"private_integration_token": token},
        scopes=list(token_scopes if recorded is None else recorded),
        status=Connection.Status.CONNECTED,
    )


STAND_IN = """{% extends "base.html" %}{% block content %}
<h1>Editor stand-in</h1>
{% if notice %}{% include "integrations/_missing_scope.html" %}
{% else %}<p>No scope missing.</p>{% endif %}
{% endblock %}"""


def notice_page(request, workspace_id, connection_id):
    """A page showing the notice as a page would (browser tests): the editor includes it."""
    from django.http import HttpResponse
    from django.template import engines

    from accounts.access import workspace_access
    from accounts.models import Role
    from integrations import scopes
    from integrations.selectors import connection_for_workspace

    membership = workspace_access(request, workspace_id)
    connection = connection_for_workspace(
        workspace=membership.workspace, connection_id=connection_id
    )
    context = {
        "notice": scopes.notice_for(connection, scopes.CUSTOM_FIELDS),
        "can_edit": membership.has_role(Role.EDITOR),
    }
    template = engines["django"].from_string(STAND_IN)
    return HttpResponse(template.render(context, request))


def urlconf_with_scope_view():
    """The project's URLs, with the scope view added to the integrations namespace unless
    integrations/urls.py lists it already."""
    from config.urls import urlpatterns as project
    from integrations import scope_views
    from integrations import urls as integrations_urls

    own = list(integrations_urls.urlpatterns)
    if not any(p.name == "connection-reconnect-scope" for p in own):
        own.append(
            path(
                f"{integrations_urls.C}/reconnect-scope/",
                scope_views.connection_reconnect_scope,
                name="connection-reconnect-scope",
            )
        )
    own.append(path(f"{integrations_urls.C}/scope-notice/", notice_page))
    return [
        path("", include((own, "integrations")))
        if getattr(p, "namespace", None) == "integrations"
        else p
        for p in project
    ]


urlpatterns = urlconf_with_scope_view()
