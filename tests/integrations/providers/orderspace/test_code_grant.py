"""Public integrations: the authorization-code grant end to end over HTTP against the
sandbox, refreshes (rotated, single-flight, refused), and client credentials left as they
were for Private Integration connections."""

import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connections
from django.utils import timezone

from integrations import token_health
from integrations.errors import AuthError
from integrations.models import Connection
from integrations.providers.orderspace import auth
from integrations.providers.orderspace.client import OrderspaceClient
from integrations.providers.orderspace.transport import OrderspaceTransport
from tests.factories import ConnectionFactory
from tests.integrations.providers.orderspace.conftest import FAST
from tests.integrations.providers.orderspace.consent import consent
from tests.sandboxes.support import TIMEOUT

REDIRECT = "http://testserver/oauth/orderspace/callback/"


def start(described: dict, state: str = "state-abc", scopes=("read", "write")) -> str:
    return auth.authorization_url(
        client_id=described["client_id"],
        redirect_uri=REDIRECT,
        scopes=list(scopes),
        state=state,
        authorize_url=described["authorize_url"],
    )


def exchange(described: dict, code: str, base_url: str | None = None) -> auth.TokenGrant:
    return auth.exchange_code(
        client_id=described["client_id"],
        client_secret=described["client_secret"],
        code=code,
        redirect_uri=REDIRECT,
        base_url=described["base_url"] if base_url is None else base_url,
    )


def granted(described: dict, **start_options) -> auth.TokenGrant:
    back = consent(start(described, **start_options))
    return exchange(described, back["query"]["code"])


def connection_from(described: dict, grant: auth.TokenGrant) -> Connection:
    """What the wizard saves after the redirect (integrations/oauth_flow.py)."""
    credentials = auth.credentials_from_grant(
        client_id=described["client_id"], client_secret=described["client_secret"], grant=grant
    )
    return ConnectionFactory(
        provider="orderspace",
        settings={"base_url": described["base_url"], **auth.settings_from_grant(grant)},
        credentials=credentials,
        scopes=grant.scopes,
        token_expires_at=grant.expires_at,
    )


@pytest.fixture
def code_connection(db, described) -> Connection:
    return connection_from(described, granted(described))


def issued(control, grant_type: str) -> int:
    return control.stats().get(f"tokens_issued_by_{grant_type}", 0)


def expire_locally(connection: Connection) -> None:
    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=30)
    )
    connection.refresh_from_db()


def test_the_authorization_url_asks_for_a_code_with_scopes_and_state(described):
    url = start(described, scopes=("read",))

    assert url.startswith(described["authorize_url"] + "?")
    assert parse_qs(urlsplit(url).query) == {
        "client_id": [described["client_id"]],
        "redirect_uri": [REDIRECT],
        "response_type": ["code"],
        "scope": ["read"],
        "state": ["state-abc"],
    }


def test_the_real_authorize_url_is_beside_the_token_url():
    url = auth.authorization_url(
        client_id="app", redirect_uri=REDIRECT, scopes=["read", "write"], state="s"
    )

    assert url.startswith("https://identity.orderspace.com/oauth/authorize?client_id=app&")
    assert "scope=read+write" in url


def test_the_code_flow_end_to_end(db, described, control):
    back = consent(start(described))
    assert back["url"].startswith(REDIRECT)
    assert back["query"]["state"] == "state-abc"

    grant = exchange(described, back["query"]["code"])
    connection = connection_from(described, grant)
    info = OrderspaceClient(connection, limit=FAST).check()

    assert grant.scopes == ["read", "write"] and grant.refresh_token
    assert timedelta(minutes=29) < grant.expires_at - timezone.now() <= timedelta(minutes=30)
    assert "refresh_token" not in repr(grant) and grant.access_token not in repr(grant)
    assert info.details["has_customers"] is True
    assert auth.is_code_grant(connection)
    # The API call went out with the code grant's token: no client-credentials token bought.
    assert issued(control, "client_credentials") == 0
    assert issued(control, "authorization_code") == 1
    connection.refresh_from_db()
    assert connection.get_credentials()["access_token"] == grant.access_token


def test_the_state_comes_back_exactly_as_sent(described):
    state = "a b/c+d=e&f?g"

    back = consent(start(described, state=state))

    assert back["query"]["state"] == state


def test_the_token_endpoint_is_also_found_from_the_api_url(described):
    code = consent(start(described))["query"]["code"]

    assert exchange(described, code, base_url=described["api_url"]).refresh_token


def test_denied_consent_comes_back_as_access_denied_with_no_code(described, control):
    back = consent(start(described), "deny")

    assert back["query"]["error"] == "access_denied"
    assert back["query"]["state"] == "state-abc"
    assert "code" not in back["query"]
    assert issued(control, "authorization_code") == 0


def test_a_reused_code_is_refused_in_orderspaces_words(described):
    code = consent(start(described))["query"]["code"]
    exchange(described, code)

    with pytest.raises(AuthError) as caught:
        exchange(described, code)

    assert str(caught.value).startswith(
        "Orderspace refused the authorization code (400): The provided authorization grant is "
        "invalid, expired, revoked"
    )
    assert caught.value.status == 400


def test_a_token_near_expiry_is_refreshed_rotated_and_saved_before_use(
    code_connection, described, control
):
    old = code_connection.get_credentials()
    expire_locally(code_connection)

    OrderspaceClient(code_connection, limit=FAST).check()

    assert issued(control, "refresh_token") == 1
    assert control.stats()["responses_by_status"].get("401", 0) == 0
    code_connection.refresh_from_db()
    new = code_connection.get_credentials()
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert code_connection.token_expires_at - timezone.now() > timedelta(minutes=29)
    assert code_connection.settings["last_refreshed_at"]
    # The spent refresh token is dead at Orderspace: only the saved one can refresh now.
    spent = requests.post(
        described["token_url"],
        data={
            "client_id": described["client_id"],
            "client_secret": described["client_secret"],
            "grant_type": "refresh_token",
            "refresh_token": old["refresh_token"],
        },
        timeout=TIMEOUT,
    )
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"


def test_without_rotation_the_refresh_token_is_kept(code_connection, control):
    control.set(refresh_token_rotation=False)
    old = code_connection.get_credentials()
    expire_locally(code_connection)

    OrderspaceClient(code_connection, limit=FAST).check()

    code_connection.refresh_from_db()
    new = code_connection.get_credentials()
    assert new["refresh_token"] == old["refresh_token"]
    assert new["access_token"] != old["access_token"]


def test_a_401_refreshes_once_and_retries(code_connection, control):
    client = OrderspaceClient(code_connection, limit=FAST)
    client.check()
    control.act("expire_tokens", True)

    client.check()

    assert issued(control, "refresh_token") == 1
    assert issued(control, "client_credentials") == 0
    assert control.stats()["responses_by_status"]["401"] == 1


def test_a_refused_refresh_needs_a_reconnect_and_buys_nothing_else(code_connection, control):
    control.act("revoke_grants", True)

    with pytest.raises(AuthError) as caught:
        OrderspaceClient(code_connection, limit=FAST).check()

    message = str(caught.value)
    assert message.startswith("Orderspace refused to refresh the access token (400): ")
    assert message.endswith("Reconnect it to Orderspace.")
    code_connection.refresh_from_db()
    assert code_connection.status == Connection.Status.NEEDS_RECONNECT
    assert code_connection.last_error == message
    assert issued(control, "client_credentials") == 0
    assert control.stats()["responses_by_status"]["401"] == 1  # once, not forever


def run_workers(count: int, work) -> tuple[list, list]:
    results, errors = [], []
    barrier = threading.Barrier(count)

    def worker():
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_many_workers_finding_the_token_expired_refresh_exactly_once(described, control):
    connection = connection_from(described, granted(described))
    Connection.objects.filter(pk=connection.pk).update(token_expires_at=timezone.now())

    # Each worker its own copy of the row; with rotation a second refresh would be refused.
    tokens, errors = run_workers(
        5, lambda: auth.access_token(Connection.objects.get(pk=connection.pk))
    )

    assert errors == []
    assert len(set(tokens)) == 1
    assert issued(control, "refresh_token") == 1
    connection.refresh_from_db()
    assert connection.get_credentials()["access_token"] == tokens[0]
    assert connection.status != Connection.Status.NEEDS_RECONNECT


@pytest.mark.django_db(transaction=True)
def test_many_workers_refused_with_one_token_refresh_exactly_once(described, control):
    connection = connection_from(described, granted(described))
    rejected = connection.get_credentials()["access_token"]

    def work():
        mine = Connection.objects.get(pk=connection.pk)
        return auth.renew_access_token(mine, rejected_token=rejected)

    tokens, errors = run_workers(5, work)

    assert errors == []
    assert len(set(tokens)) == 1 and tokens[0] != rejected
    assert issued(control, "refresh_token") == 1


def test_token_health_refreshes_code_grants_and_skips_client_credentials(
    code_connection, connection, control
):
    old = code_connection.get_credentials()["access_token"]

    assert token_health.connection_token_refresh(connection_id=code_connection.pk) == "refreshed"
    assert token_health.connection_token_refresh(connection_id=connection.pk) == "skipped"

    code_connection.refresh_from_db()
    assert code_connection.get_credentials()["access_token"] != old
    assert code_connection.token_refreshed_at is not None
    assert issued(control, "refresh_token") == 1


def test_client_credentials_connections_are_unaffected(connection, code_connection, control):
    OrderspaceClient(connection, limit=FAST).check()
    rejected = connection.get_credentials()["access_token"]
    auth.renew_access_token(connection, rejected_token=rejected)

    assert not auth.is_code_grant(connection)
    assert "refresh_token" not in connection.get_credentials()
    assert issued(control, "client_credentials") == 2
    assert issued(control, "refresh_token") == 0


def test_a_code_grant_connection_has_a_rate_budget_of_its_own(connection, code_connection):
    private = OrderspaceTransport(connection).budget_key
    public = OrderspaceTransport(code_connection).budget_key

    assert private == f"orderspace:{connection.get_credentials()['client_id']}"
    assert public == f"{private}:connection-{code_connection.pk}"
