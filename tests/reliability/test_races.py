"""Issue 15, point 3: races, with real worker processes and the whole product path.

- Eight prefork processes find one OAuth token expired at once: one refresh at HighLevel.
- Two processes start a run of one flow at the same instant: one runs, one is refused.
- A webhook and a poll deliver the same changes at once: one write per change."""

import os
import subprocess
import sys
import textwrap
import time
from collections import Counter

from django.utils import timezone

from integrations.models import Connection
from sync.models import PendingChange, RecordLink, Run
from sync.runs import run_start
from sync.tasks import run_flow
from tests.reliability.support import ROOT, store_to_highlevel, wait_for
from tests.support import worker_database_url

REFUSED = "Another run of this flow is in progress"


def _finished(run_ids) -> bool:
    return not Run.objects.filter(pk__in=run_ids, status__in=("queued", "running")).exists()


def _writes(stats: dict) -> Counter:
    """HighLevel's write requests by route (a search is a POST that only reads)."""
    return Counter(
        {
            route: count
            for route, count in stats["requests_by_route"].items()
            if route.split()[0] in ("POST", "PUT", "DELETE") and route != "POST /contacts/search"
        }
    )


def test_eight_processes_refresh_an_expired_token_once(
    workers, sandboxes_factory, workspace, owner
):
    """Eight flows share one HighLevel OAuth connection whose token has expired; eight
    prefork processes run them at once. Every token call is slowed (300 ms) so the eight
    meet at the refresh: the connection's row lock lets one refresh and the others use the
    new token."""
    boxes = sandboxes_factory(customers=10)
    hl = boxes.highlevel
    target = boxes.highlevel_oauth_connection(workspace, expires_in=1)
    old_token = target.get_credentials()["access_token"]
    source = boxes.ecwid_connection(workspace)
    flows = [
        store_to_highlevel(workspace, owner, source, target, mapping_name=f"Race {n}")
        for n in range(8)
    ]
    time.sleep(1.1)  # expired at HighLevel too, not only by our refresh margin
    boxes.knobs(hl, latency_ms=300)
    workers.start(concurrency=8)
    runs = [run_start(flow=flow, trigger="manual") for flow in flows]
    for run in runs:
        run_flow.delay(run.pk)
    run_ids = [run.pk for run in runs]
    wait_for(lambda: _finished(run_ids), "the eight runs", 120)

    runs = list(Run.objects.filter(pk__in=run_ids))
    assert [run.status for run in runs] == ["succeeded"] * 8, [r.message for r in runs]
    # All eight were running together (each started before any finished).
    assert max(run.started_at for run in runs) < min(run.finished_at for run in runs)
    stats = boxes.stats(hl)
    assert stats["token_refreshes"] == 1, stats
    assert stats["token_refresh_failures"] == 0, stats
    assert stats["requests_by_route"].get("POST /oauth/token") == 1, stats
    assert stats["responses_by_status"].get("401", 0) == 0, stats  # nobody sent the old one
    target.refresh_from_db()
    assert target.status == Connection.Status.CONNECTED
    assert target.get_credentials()["access_token"] != old_token
    assert target.token_expires_at > timezone.now()
    assert len(boxes.highlevel_contacts()) == 10
    print("race (i): 8 runs at once on one expired token: 1 refresh, 0 failures, 0 401s")


_START_AT = textwrap.dedent(
    """
    import sys, time
    import django
    django.setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError
    start_at = float(sys.argv[2])
    time.sleep(max(0.0, start_at - time.time()))
    try:
        call_command("sync", "run", sys.argv[1])
    except CommandError as error:
        print("REFUSED:", error)
        sys.exit(3)
    """
)


def test_two_processes_starting_one_flow_at_once(workers, sandboxes_factory, workspace, owner):
    """`manage.py sync run FLOW` in two processes, both released at the same instant (a
    wall-clock barrier, after Django has started in each): the unique in-flight run decides
    in the database, so one run exists and the other process is told why it was refused."""
    boxes = sandboxes_factory(customers=40)
    flow = store_to_highlevel(
        workspace, owner, boxes.ecwid_connection(workspace), boxes.highlevel_connection(workspace)
    )
    boxes.knobs(boxes.highlevel, latency_ms=20)  # the winner runs for about a second
    env = {"DATABASE_URL": worker_database_url(), "DJANGO_SETTINGS_MODULE": "config.settings"}
    start_at = f"{time.time() + 6:.3f}"  # both have started Django by then
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _START_AT, str(flow.pk), start_at],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    codes = sorted(process.returncode for process in processes)
    assert codes == [0, 3], outputs
    refused = next(out for out, p in zip(outputs, processes, strict=True) if p.returncode == 3)
    assert f"REFUSED: {REFUSED}" in refused, refused
    runs = list(Run.objects.filter(flow=flow))
    assert len(runs) == 1
    assert runs[0].status == "succeeded" and runs[0].processed == 40, runs[0].message
    assert RecordLink.objects.filter(flow=flow).count() == 40
    print("race (ii): 2 processes, 1 run created and succeeded, 1 refused:", REFUSED)


def test_webhook_and_poll_deliver_the_same_changes_once(
    workers, sandboxes_factory, live_server, workspace, owner
):
    """Twenty Ecwid customers change; their webhooks reach the receiver (a live server) and
    become pending changes, and a poll run of the same flow starts the moment they are
    queued: both read the changes at once, each change is written to HighLevel once."""
    boxes = sandboxes_factory(customers=60, webhook_base=live_server.url)
    source = boxes.ecwid_connection(workspace)
    flow = store_to_highlevel(
        workspace, owner, source, boxes.highlevel_connection(workspace), trigger_webhook=True
    )
    workers.start(concurrency=4)
    first = run_start(flow=flow, trigger="manual")
    run_flow.delay(first.pk)
    wait_for(lambda: _finished([first.pk]), "the first sync", 120)
    first.refresh_from_db()
    assert first.status == "succeeded", first.message
    before_links = dict(RecordLink.objects.filter(flow=flow).values_list("source_id", "target_id"))
    before = _writes(boxes.stats(boxes.highlevel))

    # Each HighLevel call takes 50 ms: a read and the write after it are far enough apart
    # for the other path's read to fall between them, as it would against the real API.
    boxes.knobs(boxes.highlevel, latency_ms=50)
    customers = sorted(boxes.ecwid.state.store.all("customer"), key=lambda c: c["id"])[:20]
    for customer in customers:
        billing = {**customer["billingPerson"], "city": f"Raceton {customer['id']}"}
        boxes.control(
            boxes.ecwid, "PUT", f"/customers/{customer['id']}", json={"billingPerson": billing}
        )
    # The webhooks' pending changes are being applied now: start the poll at once.
    wait_for(
        lambda: PendingChange.objects.filter(flow=flow).exists(), "the first webhook", 30, 0.01
    )
    poll = run_start(flow=flow, trigger="poll")
    run_flow.delay(poll.pk)
    changed = {str(c["id"]) for c in customers}
    wait_for(
        lambda: (
            _finished([poll.pk])
            and PendingChange.objects.filter(
                flow=flow, source_id__in=changed, status="done"
            ).count()
            == len(changed)
            and not PendingChange.objects.filter(flow=flow).exclude(status="done").exists()
        ),
        "the poll and the webhook changes",
        120,
    )
    wait_for(lambda: _finished(Run.objects.filter(flow=flow).values_list("pk", flat=True)), "", 60)

    poll.refresh_from_db()
    assert poll.status == "succeeded", poll.message
    writes = _writes(boxes.stats(boxes.highlevel)) - before
    assert sum(writes.values()) == len(customers), writes
    cities = {c["city"] for c in boxes.highlevel_contacts()}
    assert {f"Raceton {c['id']}" for c in customers} <= cities
    links = dict(RecordLink.objects.filter(flow=flow).values_list("source_id", "target_id"))
    assert links == before_links  # the same 60 links, the same contacts
    webhook_runs = Run.objects.filter(flow=flow, trigger="webhook")
    print(
        f"race (iii): {len(customers)} changes by webhook ({webhook_runs.count()} run(s)) and "
        f"poll ({poll.processed} read) at once: {sum(writes.values())} writes {dict(writes)}"
    )
