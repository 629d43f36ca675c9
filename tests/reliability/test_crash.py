"""Issue 15, point 1 — crashes: a worker SIGKILLed in the middle of a 5,000-contact sync, and
one killed while a token refresh is in flight.

A killed worker leaves its run `running` with no heartbeat; the stale-run beat requeues it
and a fresh worker resumes it from the cursor saved with its last committed batch. What the
killed worker had written to HighLevel without committing its batch is found again (HighLevel's
upsert matches by e-mail), never doubled.

The kill points come from a seeded RNG: `CRASH_SEED=<n>` replays (or varies) them; the seed
is printed."""

from __future__ import annotations

import itertools
import math
import os
import random
import time

import pytest
from django.db import OperationalError, transaction

from integrations.models import Connection
from sandboxes.ecwid.state import CUSTOMER
from sync.models import RecordLink, Run, RunItem, SyncCursor
from sync.runner import BATCH
from sync.runs import run_start
from sync.tasks import run_flow
from tests.reliability.support import beat_requeue_stale, store_to_highlevel, wait_for

SEED = int(os.environ.get("CRASH_SEED", "1515"))
CUSTOMERS = 5_000
KILLS = 5
PAGE = 100  # Ecwid customers per page (the client's page size)
DONE = (Run.Status.QUEUED, Run.Status.RUNNING)


# --- helpers ------------------------------------------------------------------------------------
def _progress(run_id: int) -> tuple[int, str]:
    return Run.objects.filter(pk=run_id).values_list("processed", "status").get()


def _finished(run_id: int, timeout: float = 120) -> Run:
    wait_for(lambda: _progress(run_id)[1] not in DONE, f"run {run_id} to finish", timeout)
    return Run.objects.get(pk=run_id)


def _run(flow, trigger: str = Run.Trigger.MANUAL, timeout: float = 120) -> Run:
    run = run_start(flow=flow, trigger=trigger)
    run_flow.delay(run.pk)
    return _finished(run.pk, timeout)


def _kill_points(rng: random.Random, total: int, kills: int) -> list[int]:
    """`kills` thresholds of the run's committed count, spread over the sync (5 to 95 %), at
    least 6 batches apart so each restarted worker gets going before the next kill."""
    gap = 6 * BATCH
    while True:
        points = sorted(rng.sample(range(total // 20, total * 19 // 20), kills))
        if all(b - a >= gap for a, b in itertools.pairwise(points)):
            return points


def _ecwid_customers(boxes) -> dict[str, str]:
    """Source customer id -> e-mail, straight from the sandbox's memory."""
    with boxes.ecwid.state.lock:
        return {str(doc["id"]): doc["email"].lower() for doc in boxes.ecwid.store.all(CUSTOMER)}


def _customer_pages(boxes) -> int:
    """GET /customers requests Ecwid answered (the change feed's pages)."""
    routes = boxes.stats(boxes.ecwid)["requests_by_route"]
    return sum(
        n
        for route, n in routes.items()
        if route.startswith("GET ") and route.endswith("/customers")
    )


def _assert_every_contact_once(boxes, flow, customers: dict[str, str]) -> None:
    """Every source customer in HighLevel exactly once, and the link table agrees with it."""
    contacts = {c["id"]: c for c in boxes.highlevel_contacts()}
    emails = [(c.get("email") or "").lower() for c in contacts.values()]
    assert len(contacts) == len(customers), (len(contacts), len(customers))
    assert len(set(emails)) == len(emails) == len(customers)
    assert set(emails) == set(customers.values())
    links = list(RecordLink.objects.filter(flow=flow).values_list("source_id", "target_id"))
    assert len(links) == len(customers)
    assert {source for source, _ in links} == customers.keys()
    assert len({target for _, target in links}) == len(links), "two links to one contact"
    for source_id, target_id in links:
        assert target_id in contacts, f"link {source_id} -> {target_id}: no such contact"
        assert contacts[target_id]["email"].lower() == customers[source_id]
    # The notes written after each contact: one per customer with a note, none twice.
    with boxes.highlevel.lock:
        notes = [(n["contactId"], n["body"]) for n in boxes.highlevel.data.notes.values()]
    assert len(notes) == len(set(notes)) == boxes.ecwid_notes()


def _assert_one_item_per_record(runs: list[Run], customers: dict[str, str]) -> None:
    items = list(RunItem.objects.filter(run__in=runs).values_list("source_id", flat=True))
    assert len(items) == len(set(items)) == len(customers), (len(items), len(set(items)))
    assert set(items) == customers.keys()


# --- a) five SIGKILLs in a 5,000-contact sync ---------------------------------------------------
@pytest.mark.slow
@pytest.mark.timeout(360)
def test_five_kills_in_a_5000_contact_sync_resume_one_run(
    workers, sandboxes_factory, workspace, owner
):
    rng = random.Random(SEED)
    points = _kill_points(rng, CUSTOMERS, KILLS)
    print(f"CRASH_SEED={SEED}: SIGKILL once the run has committed {points} of {CUSTOMERS}")
    boxes = sandboxes_factory(customers=CUSTOMERS)
    customers = _ecwid_customers(boxes)
    assert len(customers) == CUSTOMERS
    flow = store_to_highlevel(
        workspace, owner, boxes.ecwid_connection(workspace), boxes.highlevel_connection(workspace)
    )
    worker = workers.start(concurrency=1)
    run = run_start(flow=flow, trigger=Run.Trigger.MANUAL)
    run_flow.delay(run.pk)
    started_at, killed_at = time.monotonic(), []
    for point in points:
        wait_for(
            lambda point=point: _progress(run.pk)[0] >= point,
            f"the run to pass {point}",
            timeout=120,
            every=0.05,
        )
        time.sleep(rng.uniform(0, 0.4))  # anywhere in the next batch: a write, a commit...
        worker.kill()
        processed, status = _progress(run.pk)
        assert status == Run.Status.RUNNING, status  # the killed worker could not say more
        killed_at.append(processed)
        worker = workers.start(concurrency=1)
        assert beat_requeue_stale() == [run.pk]
    run = _finished(run.pk, timeout=300)
    took = time.monotonic() - started_at
    pages = _customer_pages(boxes)
    writes = boxes.highlevel_writes()
    print(
        f"killed at {killed_at} committed; {took:.0f} s; {pages} customer pages; "
        f"HighLevel writes {writes}; run: created {run.created}, updated {run.updated}"
    )

    # One run, resumed: it ends succeeded and holds each record once, no more.
    assert run.status == Run.Status.SUCCEEDED, run.message
    assert not run.in_flight and Run.objects.filter(flow=flow).count() == 1
    assert run.processed == CUSTOMERS and run.failed == 0
    _assert_one_item_per_record([run], customers)
    # Only what a killed worker had not committed was written again: HighLevel's upsert
    # found those contacts by e-mail (run.updated), at most a batch (and its write in
    # flight) per kill.
    assert run.created + run.updated == CUSTOMERS
    assert run.updated <= KILLS * (BATCH + 1)
    # A note is added only when the contact lacks it: a note written before a kill is found
    # on the resumed write and not added again.
    notes = boxes.ecwid_notes()
    assert writes == {
        "POST /contacts/upsert": CUSTOMERS + run.updated,
        "POST /contacts/{contactId}/notes": notes,
    }
    # Close to one pass over the source: 1 count request + 50 pages + 1 short last page,
    # and at most two more per kill (the page the killed worker was in, read again).
    full_pass = 1 + math.ceil(CUSTOMERS / PAGE) + 1
    assert pages <= full_pass + 2 * KILLS, (pages, full_pass)
    _assert_every_contact_once(boxes, flow, customers)

    # The cursor is right: the next poll reads nothing new and writes nothing.
    poll = _run(flow, Run.Trigger.POLL)
    print(f"next poll: processed {poll.processed}, {_customer_pages(boxes) - pages} pages")
    assert poll.status == Run.Status.SUCCEEDED, poll.message
    assert poll.processed == poll.unchanged, (poll.processed, poll.unchanged)
    assert boxes.highlevel_writes() == writes
    # A change made in Ecwid afterwards is carried over once.
    changed_id = rng.choice(sorted(customers))
    boxes.control(
        boxes.ecwid,
        "PUT",
        f"/customers/{changed_id}",
        json={"billingPerson": {"firstName": "Resumed"}},
    )
    change = _run(flow, Run.Trigger.POLL)
    assert change.status == Run.Status.SUCCEEDED, change.message
    assert change.updated == 1 and change.created == 0
    assert list(
        RunItem.objects.filter(run=change, outcome="updated").values_list("source_id", flat=True)
    ) == [changed_id]
    target_id = RecordLink.objects.get(flow=flow, source_id=changed_id).target_id
    assert {c["id"]: c for c in boxes.highlevel_contacts()}[target_id]["firstName"] == "Resumed"
    after_change = boxes.highlevel_writes()
    again = _run(flow, Run.Trigger.POLL)
    assert again.created == again.updated == again.failed == 0
    assert boxes.highlevel_writes() == after_change
    _assert_every_contact_once(boxes, flow, customers)


# --- b) a kill while a token refresh is in flight -----------------------------------------------
REFRESH_CUSTOMERS = 400


def _connection_row_locked(connection: Connection) -> bool:
    """Whether another transaction holds the connection's row lock (a refresh in flight)."""
    try:
        with transaction.atomic():
            Connection.objects.select_for_update(nowait=True).get(pk=connection.pk)
    except OperationalError:
        return True
    return False


@pytest.mark.timeout(180)
@pytest.mark.parametrize("grace", [30, 0], ids=["refresh-grace-30s", "no-refresh-grace"])
def test_a_kill_during_a_token_refresh(grace, workers, sandboxes_factory, workspace, owner):
    """The access token expires mid-run; the worker is SIGKILLed while its refresh is in
    flight, after HighLevel rotated the refresh token but before the answer arrived."""
    boxes = sandboxes_factory(customers=REFRESH_CUSTOMERS)
    highlevel = boxes.highlevel
    boxes.knobs(highlevel, refresh_token_grace_seconds=grace)
    target = boxes.highlevel_oauth_connection(workspace)
    issued = target.get_credentials()
    customers = _ecwid_customers(boxes)
    flow = store_to_highlevel(workspace, owner, boxes.ecwid_connection(workspace), target)
    worker = workers.start(concurrency=1)
    run = run_start(flow=flow, trigger=Run.Trigger.MANUAL)
    run_flow.delay(run.pk)
    wait_for(lambda: _progress(run.pk)[0] >= 3 * BATCH, "the run to get going", every=0.05)

    # Every access token dies now; the token endpoint rotates at once but answers late.
    boxes.knobs(highlevel, token_latency_ms=20_000, expire_access_tokens=True)
    wait_for(
        lambda: boxes.stats(highlevel)["token_refreshes"] == 1,
        "the worker's refresh to reach HighLevel",
        timeout=30,
        every=0.05,
    )
    assert _connection_row_locked(target), "the refresh should hold the connection's row lock"
    worker.kill()
    boxes.knobs(highlevel, token_latency_ms=0)
    # The killed transaction let go of the lock and saved nothing: the old pair is kept.
    wait_for(lambda: not _connection_row_locked(target), "the row lock to be released", 30)
    saved = Connection.objects.get(pk=target.pk)
    assert saved.get_credentials() == issued
    assert saved.status == Connection.Status.CONNECTED

    worker = workers.start(concurrency=1)
    assert beat_requeue_stale() == [run.pk]
    run = _finished(run.pk)
    stats = boxes.stats(highlevel)
    connections = Connection.objects.filter(workspace=workspace, provider="highlevel")
    print(
        f"grace {grace} s: run {run.status} ({run.message!r}), processed {run.processed}; "
        f"token refreshes {stats['token_refreshes']}, refused {stats['token_refresh_failures']}"
    )
    assert connections.count() == 1

    if grace:
        # The old refresh token still works within the grace: the resumed run completes.
        assert run.status == Run.Status.SUCCEEDED, run.message
        assert stats["token_refreshes"] == 2 and stats["token_refresh_failures"] == 0
        saved = connections.get()
        assert saved.status == Connection.Status.CONNECTED and saved.last_error == ""
        assert saved.get_credentials()["refresh_token"] != issued["refresh_token"]
        _assert_one_item_per_record([run], customers)
        _assert_every_contact_once(boxes, flow, customers)
        return

    # No grace: the rotated pair was lost with the worker, and the old one is refused. The
    # connection says to reconnect, the run stops saying so, nothing was half-written.
    saved = connections.get()
    assert saved.status == Connection.Status.NEEDS_RECONNECT
    assert "already been used" in saved.last_error
    assert "Reconnect it to HighLevel" in saved.last_error
    assert saved.get_credentials() == issued
    assert run.status == Run.Status.FAILED and "Reconnect" in run.message, run.message
    assert stats["token_refreshes"] == 1 and stats["token_refresh_failures"] == 1
    assert run.processed < REFRESH_CUSTOMERS and run.failed == 0
    contacts = boxes.highlevel_contacts()
    assert len({c["email"] for c in contacts}) == len(contacts) <= REFRESH_CUSTOMERS

    # Reconnect (a fresh grant the sandbox issues, stored as the wizard stores it): the next
    # run goes on from the cursor and every contact ends in HighLevel once.
    boxes.highlevel_grant_store(saved)
    assert SyncCursor.objects.filter(flow=flow).exists()
    second = _run(flow)
    assert second.status == Run.Status.SUCCEEDED, second.message
    assert run.processed + second.processed == REFRESH_CUSTOMERS
    _assert_one_item_per_record([run, second], customers)
    _assert_every_contact_once(boxes, flow, customers)
    assert connections.get().status == Connection.Status.CONNECTED
