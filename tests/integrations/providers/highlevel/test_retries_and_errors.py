"""What the client retries (5xx, timeouts) and what it never does (4xx), the scope check
before sending, and `check()`."""

import time

import pytest

from integrations.errors import (
    AuthError,
    ConfigError,
    MissingScopeError,
    NotFoundError,
    TransientError,
    ValidationFailedError,
)
from integrations.models import Connection
from integrations.providers.highlevel.schemas import ContactInput
from tests.factories import ConnectionFactory
from tests.integrations.providers.highlevel.conftest import settings_for, unique_email


class HealOnSleep(list):
    """Records each backoff and switches the fault off at the first one, so exactly one
    attempt meets the fault and the retry must succeed (no waiting for real)."""

    def __init__(self, control, **heal):
        super().__init__()
        self.control, self.heal = control, heal

    def __call__(self, seconds: float) -> None:
        if not self:
            self.control.set(**self.heal)
        self.append(seconds)


def _requests(control) -> int:
    return control.stats()["requests_total"]


def _settle(control, requests: int) -> dict:
    """Wait for stalled requests the client gave up on to finish on the sandbox (it counts
    them when they do), so they neither escape this test's counts nor land in the next's."""
    deadline = time.monotonic() + 5
    while (stats := control.stats())["requests_total"] < requests:
        assert time.monotonic() < deadline, stats
        time.sleep(0.05)
    return stats


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_server_error_is_retried_with_backoff(status, control, pit_connection, make_client):
    sleep = HealOnSleep(control, error_rate=0.0)
    client = make_client(pit_connection(), sleep=sleep)
    control.set(error_rate=1.0, error_status=status)
    assert client.find_duplicate(email="nobody@example.org") is None
    stats = control.stats()
    assert stats["errors_injected"] == 1 and stats["requests_total"] == 2
    assert len(sleep) == 1 and 0 <= sleep[0] <= 0.5  # first backoff: up to BACKOFF_BASE


def test_server_errors_past_the_attempts_are_a_transient_error(
    control, pit_connection, make_client
):
    backoffs = []
    client = make_client(pit_connection(), sleep=backoffs.append, max_attempts=3)
    control.set(error_rate=1.0, error_status=503)
    with pytest.raises(TransientError):
        client.find_duplicate(email="nobody@example.org")
    assert _requests(control) == 3 and len(backoffs) == 2


def test_a_timeout_is_retried(control, pit_connection, make_client):
    sleep = HealOnSleep(control, timeout_rate=0.0)
    client = make_client(pit_connection(), sleep=sleep, timeout=(2, 0.3))
    control.set(timeout_rate=1.0, timeout_ms=1500)
    assert client.find_duplicate(email="nobody@example.org") is None
    assert len(sleep) == 1
    assert _settle(control, 2)["timeouts_injected"] == 1


def test_an_upsert_that_timed_out_is_safe_to_retry(control, pit_connection, make_client, hl_app):
    """The sandbox processes a stalled request after the client gave up: whichever of the
    two attempts lands first creates the contact and the other finds it by e-mail, so the
    retry leaves one contact, not two."""
    sleep = HealOnSleep(control, timeout_rate=0.0)
    client = make_client(pit_connection(), sleep=sleep, timeout=(2, 0.3))
    email = unique_email()
    control.set(timeout_rate=1.0, timeout_ms=800)
    result = client.upsert_contact(ContactInput(firstName="Stalled", email=email))
    assert len(sleep) == 1
    assert _settle(control, 2)["timeouts_injected"] == 1
    same = [c for c in hl_app.data.contacts.values() if c.get("email") == email]
    assert [c["id"] for c in same] == [result.contact.id]


def test_timeouts_past_the_attempts_are_a_transient_error(control, pit_connection, make_client):
    backoffs = []
    client = make_client(pit_connection(), sleep=backoffs.append, timeout=(2, 0.2), max_attempts=2)
    control.set(timeout_rate=1.0, timeout_ms=400)
    with pytest.raises(TransientError, match="did not answer"):
        client.find_duplicate(email="nobody@example.org")
    assert len(backoffs) == 1
    assert _settle(control, 2)["timeouts_injected"] == 2


@pytest.mark.parametrize(
    "not_found_status", [400, 404], ids=["not-found-as-400", "not-found-as-404"]
)
def test_not_found_is_never_retried(not_found_status, control, pit_connection, make_client):
    control.set(not_found_status=not_found_status)
    backoffs = []
    client = make_client(pit_connection(), sleep=backoffs.append)
    with pytest.raises(NotFoundError) as caught:
        client.get_contact("x" * 20)
    assert caught.value.status == not_found_status
    assert _requests(control) == 1 and backoffs == []


def test_a_422_is_never_retried_and_carries_the_messages(control, pit_connection, make_client):
    backoffs = []
    client = make_client(pit_connection(), sleep=backoffs.append)
    with pytest.raises(ValidationFailedError) as caught:
        client.create_contact(ContactInput(email="not an e-mail"))
    assert caught.value.status == 422
    assert any("email" in message for message in caught.value.messages)
    assert _requests(control) == 1 and backoffs == []


def test_an_injected_400_is_never_retried(control, pit_connection, make_client):
    backoffs = []
    client = make_client(pit_connection(), sleep=backoffs.append)
    control.set(error_rate=1.0, error_status=400)
    with pytest.raises(ValidationFailedError):
        client.find_duplicate(email="nobody@example.org")
    assert _requests(control) == 1 and backoffs == []


def test_a_write_without_the_write_scope_is_refused_before_sending(
    control, oauth_connection, make_client
):
    client = make_client(oauth_connection(scopes=["contacts.readonly"]))
    before = _requests(control)
    with pytest.raises(MissingScopeError, match=r"contacts\.write"):
        client.create_contact(ContactInput(email=unique_email()))
    with pytest.raises(MissingScopeError, match=r"contacts\.write"):
        client.add_tags("x" * 20, ["vip"])
    assert _requests(control) == before == 0
    assert client.find_duplicate(email="nobody@example.org") is None  # reading is allowed
    assert _requests(control) == 1


def test_a_revoked_pit_is_an_auth_error_without_refreshing(control, hl, workspace, make_client):
    pit = control.issue_token(kind="pit")["access_token"]
    connection = ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        settings=settings_for(hl),
        credentials={"private_integration_token": pit},
    )
    control.set(revoke_tokens=pit)
    with pytest.raises(AuthError, match="Invalid JWT"):
        make_client(connection).check()
    assert _requests(control) == 1 and control.stats()["token_refreshes"] == 0


# check() ---------------------------------------------------------------------------------


def test_check_with_the_pit(hl, pit_connection, make_client):
    info = make_client(pit_connection(location_name="Demo Store")).check()
    assert info.name == "Demo Store" and info.account_id == hl["location_id"]
    assert info.details["auth"] == "private_integration_token"
    assert info.details["api_version"] == "2021-07-28"
    assert info.details["contacts"] > 0


def test_check_with_oauth_under_v3(hl, oauth_connection, make_client):
    info = make_client(oauth_connection(api_version="v3")).check()
    assert info.account_id == hl["location_id"] and info.name.endswith(hl["location_id"])
    assert info.details["auth"] == "oauth" and info.details["api_version"] == "v3"
    assert "contacts.write" in info.details["scopes"]


def test_check_with_a_bad_token_is_an_auth_error(hl, workspace, make_client):
    connection = ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        settings=settings_for(hl),
        credentials={"private_integration_token": "pit-00000000-0000-0000-0000-000000000000"},
    )
    with pytest.raises(AuthError, match="401"):
        make_client(connection).check()


def test_check_with_the_wrong_location_names_the_setting(hl, workspace, make_client):
    other = hl["location_ids"][1]
    connection = ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        settings=settings_for(hl, location_id=other),
        credentials={"private_integration_token": hl["private_integration_token"]},
    )
    with pytest.raises(ConfigError) as caught:
        make_client(connection).check()
    message = str(caught.value)
    assert "does not have access to this location" in message
    assert other in message and "Location ID" in message


def test_check_without_a_location_id_says_so(hl, workspace, make_client):
    connection = ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        settings={"base_url": hl["base_url"]},
        credentials={"private_integration_token": hl["private_integration_token"]},
    )
    with pytest.raises(AuthError, match="no HighLevel location ID"):
        make_client(connection).check()
    assert Connection.objects.get(pk=connection.pk).status == Connection.Status.NEW
