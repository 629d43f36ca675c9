"""Client-credentials tokens: bought once, reused, renewed before expiry, single-flight."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from integrations.errors import AuthError
from integrations.models import Connection
from integrations.providers.orderspace import auth
from integrations.providers.orderspace.client import OrderspaceClient
from tests.integrations.providers.orderspace.conftest import FAST


def issued(control) -> int:
    return control.stats().get("tokens_issued", 0)


def test_check_proves_the_credentials_and_names_the_site(client, connection, control):
    info = client.check()

    connection.refresh_from_db()
    assert info.name == "Sandbox Wholesale Ltd"
    assert info.account_id == connection.get_credentials()["client_id"]
    assert info.details["has_customers"] is True
    assert connection.scopes == ["read", "write"]
    assert connection.get_credentials()["access_token"]
    lifetime = connection.token_expires_at - timezone.now()
    assert timedelta(minutes=29) < lifetime <= timedelta(minutes=30)
    assert issued(control) == 1


def test_the_token_is_reused_until_shortly_before_it_expires(client, connection, control):
    client.check()
    client.check()
    assert issued(control) == 1

    Connection.objects.filter(pk=connection.pk).update(
        token_expires_at=timezone.now() + timedelta(seconds=30)
    )
    connection.refresh_from_db()
    client.check()

    assert issued(control) == 2
    assert control.stats()["responses_by_status"].get("401", 0) == 0


def test_a_401_for_an_expired_token_buys_one_new_token_and_retries(client, connection, control):
    client.check()
    old = connection.get_credentials()["access_token"]
    control.act("expire_tokens", True)

    client.check()

    assert issued(control) == 2
    assert control.stats()["responses_by_status"]["401"] == 1
    connection.refresh_from_db()
    assert connection.get_credentials()["access_token"] != old


def test_a_wrong_secret_is_an_auth_error_in_orderspaces_words(make_connection, control):
    connection = make_connection(credentials={"client_secret": "wrong"})

    with pytest.raises(AuthError) as caught:
        OrderspaceClient(connection, limit=FAST).check()

    assert "Client authentication failed due to unknown client" in str(caught.value)
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_RECONNECT
    assert "Client authentication failed" in connection.last_error
    assert control.stats()["requests_by_route"].get("GET /v1/customers", 0) == 0


def test_a_token_refused_again_after_renewal_fails_once_not_forever(
    client, connection, control, orderspace
):
    client.check()
    control.act("expire_tokens", True)
    control.act("rotate_client_secret", True)
    try:
        with pytest.raises(AuthError, match="Client authentication failed"):
            client.check()
    finally:
        orderspace.credentials = {
            **orderspace.credentials,
            "client_secret": connection.get_credentials()["client_secret"],
        }

    assert control.stats()["responses_by_status"]["401"] == 2  # the API's 401, the grant's
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_RECONNECT


def test_missing_credentials_are_an_auth_error_before_any_request(make_connection, control):
    connection = make_connection(credentials={"client_secret": ""})

    with pytest.raises(AuthError, match="no Orderspace Client ID and secret"):
        OrderspaceClient(connection, limit=FAST).check()
    assert control.stats()["requests_total"] == 0


def test_token_url_defaults_and_sandbox_form():
    real = Connection(settings={})
    sandbox = Connection(settings={"base_url": "http://127.0.0.1:9/orderspace/v1"})
    bare = Connection(settings={"base_url": "http://127.0.0.1:9/orderspace"})

    assert auth.api_url(real) == "https://api.orderspace.com/v1"
    assert auth.token_url(real) == "https://identity.orderspace.com/oauth/token"
    assert auth.token_url(sandbox) == "http://127.0.0.1:9/orderspace/oauth/token"
    assert auth.api_url(bare) == "http://127.0.0.1:9/orderspace/v1"
    assert auth.token_url(bare) == "http://127.0.0.1:9/orderspace/oauth/token"


@pytest.mark.django_db(transaction=True)
def test_many_workers_finding_no_token_buy_exactly_one(make_connection, control):
    connection = make_connection()
    tokens, errors = [], []
    barrier = threading.Barrier(4)

    def worker():
        try:
            mine = Connection.objects.get(pk=connection.pk)  # each worker its own copy
            barrier.wait()
            tokens.append(auth.access_token(mine))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(tokens)) == 1
    assert issued(control) == 1
