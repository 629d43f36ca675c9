"""The issue's "done when" for Ecwid: with `--seed 500` the client pages through all 500
customers, reads only what changed since a cursor, writes and deletes, and survives the
rate limit (Ecwid's 600/min scaled down to 5/s so the test takes seconds, not minutes)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from integrations.providers.ecwid.schemas import CustomerInput, PersonInput
from sandboxes.kit.server import SandboxOptions
from tests.integrations.providers.ecwid.conftest import stored_customers
from tests.sandboxes.ecwid.conftest import start


@pytest.fixture(scope="module")
def sandbox():
    app, stop_server = start(
        SandboxOptions(seed=500, random_seed=1), rate_limit=5, rate_window_seconds=1
    )
    yield app
    stop_server()


def test_seed_500_full_read_incremental_writes_deletes_under_the_rate_limit(
    ecwid_client, sandbox, control
):
    started = datetime.now(UTC) - timedelta(seconds=1)
    everyone = list(ecwid_client.iter_customers())
    assert len(everyone) == len({c.id for c in everyone}) == 500
    assert {c.email for c in everyone} == {c["email"] for c in stored_customers(sandbox).values()}

    cursor = max(c.updated_at for c in everyone)
    assert list(ecwid_client.iter_customers(updated_since=cursor + timedelta(seconds=2))) == []
    for customer in everyone[:3]:
        control.admin("PUT", f"/{customer.id}", json={"privateAdminNotes": "changed in admin"})
    changed = list(ecwid_client.iter_customers(updated_since=cursor))
    changed_ids = {c.id for c in changed}
    assert {c.id for c in everyone[:3]} <= changed_ids
    boundary = {c.id for c in everyone if c.updated_at >= cursor - timedelta(seconds=1)}
    assert changed_ids - {c.id for c in everyone[:3]} <= boundary  # only the overlap

    new_id = ecwid_client.create_customer(
        CustomerInput(email=f"{uuid.uuid4().hex}@example.org", billingPerson=PersonInput(name="N"))
    )
    ecwid_client.update_customer(new_id, CustomerInput(lang="nl"))
    assert ecwid_client.get_customer(new_id).lang == "nl"
    ecwid_client.delete_customer(everyone[-1].id)
    deleted = [d.id for d in ecwid_client.iter_deleted_customers(started)]
    assert deleted == [everyone[-1].id]
    assert len(list(ecwid_client.iter_customers())) == 500  # one added, one deleted

    assert control.stats()["rate_limited"] >= 1
