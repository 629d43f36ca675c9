"""Issue 15, point 4: a webhook storm. 10,000 signed Ecwid deliveries — 9,000 distinct
events about 1,000 customers (9 each) and 1,000 of them sent twice — in a shuffled (seeded)
order, into the real receiver (gunicorn) from 8 sending threads that retry whatever is not
answered 2xx, while real Celery workers apply the changes to HighLevel. A third of the way
in, the receiver loses its database for a few seconds: those deliveries are answered 503 and
go through on the sender's retry.

The events are a backlog (an hour old, as after an outage the senders retry): each customer
is read once, and its later events are found older than that read. Each change is applied
once and the newest state wins: one HighLevel contact per customer, written once, equal to
what Ecwid holds now; one inbox row per distinct event, every duplicate counted; no delivery
unanswered. STORM_CUSTOMERS=N scales it (10 deliveries per customer)."""

import os
import random
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests

from integrations.models import WebhookEvent
from sandboxes.ecwid.state import CUSTOMER
from sync.models import PendingChange, RecordLink, Run
from tests.reliability.receiver import Receiver, Sender, ecwid_delivery, receiver_cut_off
from tests.reliability.support import store_to_highlevel, wait_for

SEED = 15_04
CUSTOMERS = int(os.environ.get("STORM_CUSTOMERS", 1_000))
EVENTS_PER_CUSTOMER = 9
DUPLICATES = CUSTOMERS
OUTAGE_SECONDS = 3


def _newest_state(boxes, rng: random.Random) -> dict[str, dict]:
    """Every customer renamed "in the Ecwid admin" without a webhook (the storm's events
    announce these changes): what Ecwid holds now, by id."""
    control = boxes.ecwid_described["control_url"]
    with requests.Session() as session:
        for doc in boxes.ecwid.store.all(CUSTOMER):
            answer = session.put(
                f"{control}/customers/{doc['id']}?webhooks=false",
                json={"billingPerson": {"firstName": "Storm", "lastName": f"Last {rng.random()}"}},
                timeout=10,
            )
            assert answer.status_code == 200, answer.text
    return {str(doc["id"]): doc for doc in boxes.ecwid.store.all(CUSTOMER)}


def _deliveries(described: dict, port: int, ids: list[str], rng: random.Random) -> list:
    """EVENTS_PER_CUSTOMER distinct events per customer, a second over their time each,
    DUPLICATES of them again, all shuffled."""
    start = int(time.time()) - 3600
    distinct = [
        ecwid_delivery(described, port, str(uuid.UUID(int=rng.getrandbits(128))), int(i), t)
        for i in ids
        for t in range(start, start + EVENTS_PER_CUSTOMER)
    ]
    everything = distinct + rng.sample(distinct, DUPLICATES)
    rng.shuffle(everything)
    return everything


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_webhook_storm(workers, sandboxes_factory, workspace, owner, tmp_path: Path):
    print(f"seed {SEED}")
    rng = random.Random(SEED)
    boxes = sandboxes_factory(customers=CUSTOMERS)
    flow = store_to_highlevel(
        workspace,
        owner,
        boxes.ecwid_connection(workspace),
        boxes.highlevel_connection(workspace),
        trigger_webhook=True,
    )
    newest = _newest_state(boxes, rng)
    assert len(newest) == CUSTOMERS
    receiver = Receiver(tmp_path, workers=4)
    try:
        deliveries = _deliveries(boxes.ecwid_described, receiver.port, sorted(newest), rng)
        distinct_ids = {d.event_id for d in deliveries}
        assert (len(deliveries), len(distinct_ids)) == (CUSTOMERS * 10, CUSTOMERS * 9)
        assert boxes.highlevel_writes() == {}

        # The workers apply changes while the storm is still coming in, as in production.
        workers.start(pool="prefork", concurrency=3, queues="realtime,celery")
        sender = Sender(receiver.port, deliveries, clients=8)
        started = time.monotonic()
        sender.start(give_up=300)
        wait_for(lambda: sender.accepted >= len(deliveries) // 3, "a third accepted", 300)
        with receiver_cut_off() as ended:
            time.sleep(OUTAGE_SECONDS)
        sent = sender.join()
        ingress = time.monotonic() - started
        print(f"receiver: {ended} connections ended; sender: {sent.statuses}, {sent.answers}")
    finally:
        receiver.stop()
        print(receiver.output())

    # The receiver answered every delivery 2xx in the end; the outage's got 503 first.
    assert Counter(sent.final) == {200: len(deliveries)}, Counter(sent.final)
    assert sent.statuses[503] >= 1, "the outage was not seen: nothing tested"
    assert set(sent.statuses) <= {200, 503}, sent.statuses  # never a 500 or a 4xx
    assert sent.answers == {"received": len(distinct_ids), "duplicate": DUPLICATES}

    # Stored once each, every duplicate counted.
    events = WebhookEvent.objects.filter(provider="ecwid")
    assert set(events.values_list("event_id", flat=True)) == distinct_ids
    assert sum(events.values_list("duplicates", flat=True)) == DUPLICATES

    def settled():
        open_events = events.filter(status=WebhookEvent.Status.PENDING).count()
        open_changes = PendingChange.objects.filter(
            flow=flow, status=PendingChange.Status.PENDING
        ).count()
        running = Run.objects.filter(flow=flow, status__in=["queued", "running"]).count()
        return not (open_events or open_changes or running)

    wait_for(settled, "every event and change applied", 600, every=1)
    applied = time.monotonic() - started
    rate = len(deliveries) / ingress
    print(f"ingress {ingress:.1f} s ({rate:.0f}/s), all applied {applied:.1f} s")
    assert events.exclude(status=WebhookEvent.Status.PROCESSED).count() == 0

    # Each change applied once, the newest state won.
    contacts = boxes.highlevel_contacts()
    emails = [c["email"] for c in contacts]
    assert len(contacts) == CUSTOMERS and len(set(emails)) == CUSTOMERS
    by_email = {c["email"]: c for c in contacts}
    for doc in newest.values():
        contact = by_email[doc["email"].lower()]
        person = doc["billingPerson"]
        assert (contact["firstName"], contact["lastName"]) == (
            person["firstName"],
            person["lastName"],
        ), doc["id"]
    # Written once each: a contact per customer, its note once; every later event of a
    # customer re-read it and found nothing new to write.
    writes = boxes.highlevel_writes()
    assert writes == {
        "POST /contacts/upsert": CUSTOMERS,
        "POST /contacts/{contactId}/notes": boxes.ecwid_notes(),
    }, writes
    assert RecordLink.objects.filter(flow=flow).count() == CUSTOMERS
    assert not PendingChange.objects.filter(flow=flow, status="dead").exists()
    print(f"HighLevel writes {writes}, runs {Run.objects.filter(flow=flow).count()}")
