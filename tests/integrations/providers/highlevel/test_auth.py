"""OAuth against the sandbox: the consent page driven like a browser would, the code
exchange, encrypted storage, refresh-token rotation, single-flight refresh across threads
and what a refused refresh does to the connection."""

import threading
import time
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connections
from django.utils import timezone

from integrations.errors import AuthError, TransientError
from integrations.models import Connection
from integrations.providers.highlevel import auth
from integrations.providers.highlevel.client import HighLevelClient
from tests.factories import ConnectionFactory
from tests.integrations.providers.highlevel.conftest import READ_WRITE, TIMEOUT, no_sleep

REDIRECT_URI = "https://contactbridge.example.test/connections/oauth/callback/"
WORKERS = 8


class _Form(HTMLParser):
    """The fields a browser would submit from the page's form, and its buttons."""

    def __init__(self, html: str):
        super().__init__()
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "input" and attrs.get("type") == "radio" and "checked" in attrs:
            self.fields[attrs["name"]] = attrs["value"]
        elif tag == "button" and attrs.get("name"):
            self.buttons.setdefault(attrs["name"], []).append(attrs["value"])


def consent(hl: dict, *, scopes: list[str], state: str, decision: str = "approve") -> dict:
    """From authorization_url to the redirect back: choose the location, then approve."""
    url = auth.authorization_url(
        client_id=hl["client_id"],
        redirect_uri=REDIRECT_URI,
        scopes=scopes,
        state=state,
        authorize_url=hl["authorize_url"],
    )
    browser = requests.Session()
    choose = browser.get(url, timeout=TIMEOUT)
    assert choose.status_code == 200 and "Choose a location" in choose.text
    form = _Form(choose.text)
    assert form.fields["location_id"] == hl["location_id"]  # the first one is preselected
    allow = browser.post(url, data=form.fields, timeout=TIMEOUT)
    assert allow.status_code == 200 and "Allow access?" in allow.text
    form = _Form(allow.text)
    assert decision in form.buttons["decision"]
    back = browser.post(
        url, data={**form.fields, "decision": decision}, allow_redirects=False, timeout=TIMEOUT
    )
    assert back.status_code in (302, 303), back.text
    location = back.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
def new_connection(hl, workspace):
    return ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        settings={"base_url": hl["base_url"]},
        credentials={},
    )


def test_the_code_flow_end_to_end(hl, control, new_connection, make_client):
    answer = consent(hl, scopes=READ_WRITE, state="state-123")
    assert answer["state"] == "state-123"

    grant = auth.exchange_code(
        base_url=hl["base_url"],
        client_id=hl["client_id"],
        client_secret=hl["client_secret"],
        code=answer["code"],
        redirect_uri=REDIRECT_URI,
    )
    connection = auth.store_grant(
        new_connection, client_id=hl["client_id"], client_secret=hl["client_secret"], grant=grant
    )

    saved = Connection.objects.get(pk=connection.pk)
    assert saved.status == Connection.Status.CONNECTED and saved.last_error == ""
    assert saved.scopes == READ_WRITE
    assert saved.settings["location_id"] == hl["location_id"]
    expected_expiry = timezone.now() + timedelta(seconds=86_399)
    assert abs(saved.token_expires_at - expected_expiry) < timedelta(seconds=30)
    credentials = saved.get_credentials()
    assert credentials["access_token"] == grant.access_token
    assert credentials["refresh_token"] == grant.refresh_token
    assert credentials["client_secret"] == hl["client_secret"]
    for secret in (grant.access_token, grant.refresh_token, hl["client_secret"]):
        assert secret not in saved.credentials_encrypted  # stored encrypted

    assert grant.access_token not in repr(grant) and grant.refresh_token not in repr(grant)
    info = make_client(saved).check()
    assert info.account_id == hl["location_id"] and info.details["auth"] == "oauth"
    assert control.stats()["tokens_issued"] == 1


def test_a_code_works_once(hl, new_connection):
    answer = consent(hl, scopes=READ_WRITE, state="s")
    arguments = dict(
        base_url=hl["base_url"],
        client_id=hl["client_id"],
        client_secret=hl["client_secret"],
        code=answer["code"],
        redirect_uri=REDIRECT_URI,
    )
    auth.exchange_code(**arguments)
    with pytest.raises(AuthError, match="Authorization code not found"):
        auth.exchange_code(**arguments)


def test_a_wrong_client_secret_is_refused(hl):
    answer = consent(hl, scopes=READ_WRITE, state="s")
    with pytest.raises(AuthError, match="Invalid client credentials"):
        auth.exchange_code(
            base_url=hl["base_url"],
            client_id=hl["client_id"],
            client_secret="not-the-secret",
            code=answer["code"],
            redirect_uri=REDIRECT_URI,
        )


def test_a_denied_consent_comes_back_without_a_code(hl):
    answer = consent(hl, scopes=READ_WRITE, state="s", decision="deny")
    assert answer["error"] == "access_denied" and "code" not in answer


def _expire_locally(connection: Connection) -> None:
    connection.token_expires_at = timezone.now() - timedelta(minutes=1)
    connection.save(update_fields=["token_expires_at"])


def test_refresh_rotates_the_refresh_token(hl, control, oauth_connection, make_client):
    connection = oauth_connection()
    old = connection.get_credentials()
    _expire_locally(connection)

    client = make_client(connection)
    contact_count = client.check().details["contacts"]

    saved = Connection.objects.get(pk=connection.pk)
    new = saved.get_credentials()
    assert new["refresh_token"] != old["refresh_token"]
    assert new["access_token"] != old["access_token"]
    assert saved.token_expires_at > timezone.now() + timedelta(hours=23)
    assert "last_refreshed_at" in saved.settings
    assert control.stats()["token_refreshes"] == 1

    # The old refresh token is dead: single-use rotation.
    reused = requests.post(
        hl["token_url"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": old["refresh_token"],
            "client_id": hl["client_id"],
            "client_secret": hl["client_secret"],
        },
        timeout=TIMEOUT,
    )
    assert reused.status_code == 401 and "already been used" in reused.text

    # And the connection keeps working, on the new pair, through a second rotation.
    _expire_locally(saved)
    assert make_client(saved).check().details["contacts"] == contact_count
    assert control.stats()["token_refreshes"] == 2
    assert Connection.objects.get(pk=connection.pk).get_credentials()["refresh_token"] not in (
        old["refresh_token"],
        new["refresh_token"],
    )


def test_a_token_revoked_early_is_refreshed_once_and_the_call_retried(
    control, oauth_connection, make_client
):
    connection = oauth_connection()
    control.set(revoke_tokens=connection.get_credentials()["access_token"])
    client = make_client(connection)
    assert client.check().account_id == connection.settings["location_id"]
    assert control.stats()["token_refreshes"] == 1


def test_a_refused_refresh_marks_the_connection_for_reconnecting(
    control, oauth_connection, make_client
):
    connection = oauth_connection()
    credentials = connection.get_credentials()
    control.set(revoke_tokens=[credentials["access_token"], credentials["refresh_token"]])
    client = make_client(connection)
    with pytest.raises(AuthError, match="Reconnect"):
        client.check()

    saved = Connection.objects.get(pk=connection.pk)
    assert saved.status == Connection.Status.NEEDS_RECONNECT
    assert "Refresh token has been revoked" in saved.last_error
    assert "Reconnect it to HighLevel" in saved.last_error
    assert ". Reconnect" in saved.last_error and ".." not in saved.last_error  # one sentence each
    stats = control.stats()
    assert stats["token_refresh_failures"] == 1 and stats["token_refreshes"] == 0
    # One refresh attempt only, and the refused call was not repeated after it.
    assert stats["requests_by_route"]["POST /contacts/search"] == 1


def _token_requests_done(control, count: int) -> dict:
    """The sandbox's counters once `count` token requests have finished there (a request the
    client gave up on is counted when the sandbox is done with it)."""
    deadline = time.monotonic() + 5
    while (stats := control.stats())["requests_by_route"].get("POST /oauth/token", 0) < count:
        assert time.monotonic() < deadline, stats
        time.sleep(0.05)
    return stats


@pytest.mark.parametrize("how", ["expiry-known", "revoked-early"])
def test_a_refresh_that_fails_for_now_is_tried_again_within_the_call(
    how, control, oauth_connection, make_client
):
    """The token endpoint answers 503 twice: like any transient error, the refresh is tried
    again after a backoff, and the call succeeds without a reconnect or a failed record. Both
    ways a refresh starts: before sending (expiry known), or after a 401 (revoked early)."""
    connection = oauth_connection()
    old = connection.get_credentials()
    if how == "expiry-known":
        _expire_locally(connection)
    else:
        control.set(revoke_tokens=old["access_token"])
    control.set(token_faults=["error", "error"], error_status=503)
    backoffs = []
    client = make_client(connection, sleep=backoffs.append)

    assert client.check().account_id == connection.settings["location_id"]

    stats = control.stats()
    assert stats["token_errors_injected"] == 2 and stats["token_refreshes"] == 1, stats
    assert stats["errors_injected"] == 0  # the API itself answered every call
    assert len(backoffs) == 2
    saved = Connection.objects.get(pk=connection.pk)
    assert saved.status == Connection.Status.CONNECTED
    assert saved.get_credentials()["refresh_token"] != old["refresh_token"]


def test_a_refresh_failing_past_the_attempts_is_transient_not_a_reconnect(
    control, oauth_connection, make_client
):
    connection = oauth_connection()
    _expire_locally(connection)
    control.set(token_faults=["error"] * 3, error_status=503)
    client = make_client(connection, max_attempts=3)
    with pytest.raises(TransientError, match="503"):
        client.check()
    assert control.stats()["requests_by_route"] == {"POST /oauth/token": 3}
    saved = Connection.objects.get(pk=connection.pk)
    assert saved.status == Connection.Status.CONNECTED  # the next run tries again
    assert saved.get_credentials() == connection.get_credentials()


@pytest.mark.parametrize("grace", [30, 0], ids=["with-grace", "single-use"])
def test_a_refresh_whose_answer_is_lost(grace, control, oauth_connection, make_client, settings):
    """The token endpoint rotates the refresh token, but its answer never arrives (a read
    timeout). With a grace period for a used refresh token, the retried refresh succeeds;
    with single-use tokens the retry is refused, and the connection asks to be reconnected:
    nothing the client can do recovers the token it never received."""
    settings.INTEGRATIONS_READ_TIMEOUT = 0.3
    connection = oauth_connection()
    _expire_locally(connection)
    control.set(token_faults=["timeout"], timeout_ms=1000, refresh_token_grace_seconds=grace)
    client = make_client(connection)
    if grace:
        assert client.check().account_id == connection.settings["location_id"]
    else:
        with pytest.raises(AuthError, match="Reconnect"):
            client.check()

    stats = _token_requests_done(control, 2)
    assert stats["token_timeouts_injected"] == 1
    saved = Connection.objects.get(pk=connection.pk)
    if grace:
        assert stats["token_refreshes"] == 2 and stats["token_refresh_failures"] == 0, stats
        assert saved.status == Connection.Status.CONNECTED
    else:
        assert stats["token_refreshes"] == 1 and stats["token_refresh_failures"] == 1, stats
        assert saved.status == Connection.Status.NEEDS_RECONNECT


def _run_workers(connection_id: int, contact_id: str) -> tuple[list, list]:
    barrier = threading.Barrier(WORKERS)
    results, failures = [], []

    def work():
        try:
            connection = Connection.objects.get(pk=connection_id)
            client = HighLevelClient(connection, sleep=no_sleep)
            barrier.wait(timeout=10)
            results.append(client.get_contact(contact_id).id)
        except Exception as error:
            failures.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, failures


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("known", [True, False], ids=["expiry-known", "expiry-surprise"])
def test_concurrent_workers_refresh_exactly_once(known, hl, control, oauth_connection):
    """8 workers find the token expired at once: by its saved expiry (each would refresh
    before sending), or only by the 401 the sandbox answers (each would refresh after it).
    Either way one of them refreshes and the others use its token."""
    connection = oauth_connection()
    contact_id = next(
        iter(HighLevelClient(connection, sleep=no_sleep).search_contacts(page_size=1))
    ).id
    old_refresh = connection.get_credentials()["refresh_token"]
    control.set(expire_access_tokens=True)
    if known:
        _expire_locally(connection)

    results, failures = _run_workers(connection.pk, contact_id)

    assert failures == []
    assert results == [contact_id] * WORKERS
    stats = control.stats()
    assert stats["token_refreshes"] == 1, stats
    assert stats["token_refresh_failures"] == 0
    saved = Connection.objects.get(pk=connection.pk)
    assert saved.status == Connection.Status.CONNECTED
    assert saved.get_credentials()["refresh_token"] != old_refresh
