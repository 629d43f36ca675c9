"""EcwidClient against the sandbox: auth, reads, writes, Ecwid's quirks and its refusals."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from integrations.errors import (
    AuthError,
    ConfigError,
    MissingScopeError,
    NotFoundError,
    TransientError,
    ValidationFailedError,
)
from integrations.providers.ecwid.client import EcwidClient
from integrations.providers.ecwid.schemas import ContactInput, CustomerInput, PersonInput
from tests.factories import ConnectionFactory
from tests.integrations.providers.ecwid.conftest import stored_customers


def _email() -> str:
    return f"client.{uuid.uuid4().hex[:12]}@example.org"


# --- auth --------------------------------------------------------------------------------------
def test_check_names_the_store_and_proves_customer_access(ecwid_client, described, sandbox):
    info = ecwid_client.check()
    assert info.name == described["store_name"]
    assert info.account_id == str(described["store_id"])
    assert info.details["customers"] == len(stored_customers(sandbox))


def test_a_wrong_token_is_an_auth_error_in_ecwids_words(make_connection):
    ecwid_client = EcwidClient(make_connection(secret_token="secret_nope"))
    with pytest.raises(AuthError) as caught:
        ecwid_client.check()
    assert caught.value.status == 403
    assert "Invalid API token (INVALID_API_TOKEN)" in str(caught.value)


def test_the_public_token_is_refused_before_anything_is_sent(make_connection, described, control):
    ecwid_client = EcwidClient(make_connection(secret_token=described["public_token"]))
    with pytest.raises(AuthError, match="public token"):
        ecwid_client.check()
    assert control.stats()["requests_total"] == 0


def test_a_connection_without_a_store_id_is_a_config_error(db, described):
    connection = ConnectionFactory(
        provider="ecwid",
        settings={"base_url": described["base_url"]},
        credentials={"secret_token": described["secret_token"]},
    )
    with pytest.raises(ConfigError, match="Store ID"):
        EcwidClient(connection).check()


def test_a_missing_scope_is_its_own_error(make_connection, control):
    ecwid_client = EcwidClient(make_connection(secret_token=control.issue_token("read_customers")))
    assert next(ecwid_client.iter_customers()).id
    with pytest.raises(MissingScopeError, match="create_customers"):
        ecwid_client.create_customer(CustomerInput(email=_email()))


# --- reads -------------------------------------------------------------------------------------
def test_iter_customers_reads_everyone_once_across_pages(ecwid_client, sandbox):
    customers = list(ecwid_client.iter_customers(page_size=7))
    ids = [c.id for c in customers]
    assert len(ids) == len(set(ids)) == len(stored_customers(sandbox))
    stamps = [c.updated_at for c in customers]
    assert stamps == sorted(stamps) and stamps[0].tzinfo is not None


def test_paging_survives_records_changing_between_pages(ecwid_client, sandbox, control):
    before = stored_customers(sandbox)
    pages = ecwid_client.iter_customers(page_size=5)
    first = [next(pages) for _ in range(5)]
    not_yet = sorted(set(before) - {c.id for c in first})
    # Changes in the admin while we page: a seen record moves to the end (Ecwid re-sorts
    # by updated), one ahead changes, one ahead is deleted and a new one appears.
    control.admin("PUT", f"/{first[1].id}", json={"lang": "es"})
    control.admin("PUT", f"/{not_yet[3]}", json={"lang": "it"})
    control.admin("DELETE", f"/{not_yet[10]}")
    new_id = control.admin("POST", json={"email": _email()}).json()["id"]
    rest = list(pages)
    seen = [c.id for c in first + rest]
    after = stored_customers(sandbox)
    assert set(after) <= set(seen)  # nothing skipped
    unchanged = set(before) - {first[1].id, not_yet[3], not_yet[10]}
    assert all(seen.count(i) == 1 for i in unchanged)  # nothing repeated by our paging
    assert seen.count(first[1].id) == 2  # read again with its change
    assert new_id in seen
    assert next(c for c in rest if c.id == not_yet[3]).lang == "it"


def test_plain_offset_paging_would_have_skipped_a_record(described, sandbox, control):
    """Why iter_customers re-anchors: the same change makes naive offset paging miss one."""
    import requests

    url = described["api_url"] + "/customers"
    headers = {"Authorization": f"Bearer {described['secret_token']}"}
    params = {"sortBy": "UPDATED_DATE_ASC", "limit": 5}
    first = requests.get(url, params={**params, "offset": 0}, headers=headers, timeout=10)
    first_ids = [c["id"] for c in first.json()["items"]]
    control.admin("PUT", f"/{first_ids[1]}", json={"lang": "es"})
    second = requests.get(url, params={**params, "offset": 5}, headers=headers, timeout=10)
    ordered = sorted(stored_customers(sandbox).values(), key=lambda c: (c["_updated"], c["id"]))
    skipped = ordered[4]["id"]  # was 6th before the change, now 5th: offset 5 misses it
    assert skipped not in first_ids + [c["id"] for c in second.json()["items"]]


def test_incremental_reads_return_only_what_changed_since_the_cursor(ecwid_client, control):
    cursor = datetime.now(UTC)
    old = next(ecwid_client.iter_customers(page_size=1))
    control.admin("PUT", f"/{old.id}", json={"privateAdminNotes": "called"})
    new_id = control.admin("POST", json={"email": _email()}).json()["id"]
    changed = list(ecwid_client.iter_customers(updated_since=cursor))
    ids = [c.id for c in changed]
    assert old.id in ids and new_id in ids
    assert all(c.updated_at >= cursor - timedelta(seconds=2) for c in changed)
    assert len(changed) < 20  # not the whole store
    later = max(c.updated_at for c in changed) + timedelta(seconds=2)
    assert [c.id for c in ecwid_client.iter_customers(updated_since=later)] == []


def test_a_cursor_inside_a_second_still_finds_that_seconds_changes(ecwid_client, control):
    customer_id = control.admin("POST", json={"email": _email()}).json()["id"]
    updated = ecwid_client.get_customer(customer_id).updated_at
    # Ecwid's `updated` drops the fraction: a cursor at .9 of the same second must not skip it,
    # even if Ecwid's updatedFrom bound were exclusive.
    control.set(date_filters_inclusive=False)
    cursor = updated + timedelta(milliseconds=900)
    assert customer_id in [c.id for c in ecwid_client.iter_customers(updated_since=cursor)]


def test_updated_since_must_be_timezone_aware(ecwid_client):
    with pytest.raises(ConfigError, match="timezone-aware"):
        next(ecwid_client.iter_customers(updated_since=datetime(2025, 1, 1)))


# --- writes ------------------------------------------------------------------------------------
def test_create_update_delete_round_trip(ecwid_client):
    email = _email()
    started = datetime.now(UTC) - timedelta(seconds=1)
    customer_id = ecwid_client.create_customer(
        CustomerInput(
            email=email,
            billingPerson=PersonInput(firstName="Mira", lastName="Sol", phone="+15550100"),
            contacts=[ContactInput(type="EMAIL", contact=email, default=True)],
            privateAdminNotes="from the CRM",
        )
    )
    created = ecwid_client.get_customer(customer_id)
    assert created.email == email and created.name == "Mira Sol"
    assert created.billingPerson.phone == "+15550100"
    assert created.privateAdminNotes == "from the CRM" and created.customerGroupName == "General"
    ecwid_client.update_customer(
        customer_id,
        CustomerInput(contacts=[ContactInput(type="PHONE", contact="+15550199")], lang="fr"),
    )
    updated = ecwid_client.get_customer(customer_id)
    assert [(c.type, c.contact) for c in updated.contacts] == [("PHONE", "+15550199")]
    assert updated.lang == "fr" and updated.email == email
    ecwid_client.delete_customer(customer_id)
    with pytest.raises(NotFoundError):
        ecwid_client.get_customer(customer_id)
    deleted = [d for d in ecwid_client.iter_deleted_customers(started) if d.id == customer_id]
    assert len(deleted) == 1 and deleted[0].deleted_at >= started


def test_a_taken_email_is_a_validation_error_with_ecwids_message(ecwid_client):
    email = _email()
    ecwid_client.create_customer(CustomerInput(email=email))
    with pytest.raises(ValidationFailedError) as caught:
        ecwid_client.create_customer(CustomerInput(email=email.upper()))
    assert caught.value.status == 409
    assert caught.value.messages == ["The customer with the given email already exists"]


def test_create_without_email_is_refused_before_sending(ecwid_client, control):
    with pytest.raises(ConfigError, match="e-mail"):
        ecwid_client.create_customer(CustomerInput(billingPerson=PersonInput(name="No Mail")))
    assert control.stats()["requests_total"] == 0


def test_unknown_input_fields_are_refused_here():
    with pytest.raises(ValueError):
        CustomerInput(email="a@example.org", emial="typo")


def test_customer_groups(ecwid_client):
    groups = {g.id: g.name for g in ecwid_client.iter_customer_groups()}
    assert groups[0] == "General" and "Wholesale" in groups.values()
    group_id = ecwid_client.create_customer_group("Trade")
    ecwid_client.rename_customer_group(group_id, "Trade+")
    assert ecwid_client.get_customer_group(group_id).name == "Trade+"
    customer_id = ecwid_client.create_customer(
        CustomerInput(email=_email(), customerGroupId=group_id)
    )
    assert ecwid_client.get_customer(customer_id).customerGroupName == "Trade+"
    ecwid_client.delete_customer_group(group_id)
    assert ecwid_client.get_customer(customer_id).customerGroupId == 0


# --- refusals, retries -------------------------------------------------------------------------
def test_the_rate_limit_is_waited_out_not_failed(ecwid_client, control, sandbox):
    control.set(rate_limit=3, rate_window_seconds=1)
    started = time.monotonic()
    customers = list(ecwid_client.iter_customers(page_size=10))
    assert len(customers) == len(stored_customers(sandbox))
    assert control.stats()["rate_limited"] >= 1
    assert time.monotonic() - started < 15


def test_a_5xx_is_retried(connection, control):
    waits = []

    def sleep(seconds):  # the backoff: by the time we retry, Ecwid has recovered
        waits.append(seconds)
        control.set(error_rate=0)

    control.set(error_rate=1, error_status=503)
    ecwid_client = EcwidClient(connection, sleep=sleep)
    assert ecwid_client.check().name
    assert control.stats()["errors_injected"] == 1 and len(waits) == 1


def test_a_5xx_that_persists_fails_after_five_tries(connection, control):
    control.set(error_rate=1, error_status=500)
    with pytest.raises(TransientError):
        EcwidClient(connection, sleep=lambda s: None).get_customer(1)
    assert control.stats()["requests_total"] == 5


def test_a_4xx_is_not_retried(connection, control):
    control.set(error_rate=1, error_status=400)
    with pytest.raises(ValidationFailedError, match="Bad Request"):
        EcwidClient(connection, sleep=lambda s: None).get_customer(1)
    assert control.stats()["requests_total"] == 1
