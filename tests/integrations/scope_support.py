"""What the scope tests share: a HighLevel connection holding an OAuth token pair the
sandbox granted with chosen scopes (no consent dance), or a Private Integration Token made
with chosen scopes; and a URL conf with "Reconnect with this scope" in it."""

from datetime import timedelta

import requests
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
