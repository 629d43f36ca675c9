"""Issue 15, point 2: a fault storm. Four Ecwid stores (250 customers each, 1,000 in all) sync
into one HighLevel location through one OAuth connection, four runs at once on a worker with
four prefork processes, while the sandboxes inject 20 % 5xx and 5 % timeouts (a timed-out
request is still carried out by the sandbox), a burst of 429s, a real burst limit for the
first part of the run and an access-token expiry mid-run, whose refresh meets a 503 and then
a lost answer (the refresh token rotated, the new pair never received).

The sync must complete (every contact exactly once, every note once), every request within
the transport's retry cap and every failed record within the slow schedule, no 429 that the
shared budget brought on itself, and the Diagnostics call log must agree with the sandboxes'
own counters."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from diagnostics.models import ApiCall
from integrations.ratelimit import get_budget
from integrations.transport import ApiTransport
from sync.engine.schedule import RETRY_DELAYS
from sync.models import PendingChange, RecordLink, Run, RunItem
from sync.runs import run_start
from sync.tasks import retries_due, run_flow
from tests.reliability.support import store_to_highlevel, wait_for

STORE_SEEDS = (7, 8, 11, 23)  # one Ecwid store each; seeds whose customers share no e-mail or phone
PER_STORE = 250
READ_TIMEOUT = 0.75  # the workers' INTEGRATIONS_READ_TIMEOUT, seconds
FAULTS = {"error_rate": 0.2, "error_status": 503, "timeout_rate": 0.05, "timeout_ms": 1200}
STORM = 12  # 429s in one burst
BURST = {"burst_limit": 60, "burst_window_ms": 1000}  # a real limit for the first phase
NO_LIMIT = {"burst_limit": 1_000_000, "burst_window_ms": 1000}
MAX_ATTEMPTS = ApiTransport.__init__.__kwdefaults__["max_attempts"]  # the transport's cap
TOKEN_FAULTS = ["error", "timeout"]  # the refresh: a 503, then the rotation's answer lost
REFRESH_GRACE = {"refresh_token_grace_seconds": 60}


def _upserts(hl_stats: dict) -> int:
    return hl_stats["requests_by_route"].get("POST /contacts/upsert", 0)


def _done(run_ids) -> bool:
    return not Run.objects.filter(pk__in=run_ids, status__in=("queued", "running")).exists()


def _drive_phases(boxes, run_ids) -> dict:
    """Change the faults as the runs go (by HighLevel upserts seen): the burst limit and the
    429 storm first (timeouts off: the sandbox stalls a request before it counts it, so a
    timed-out request would count late, after the client's window for it ended), then the
    limit lifted and timeouts on, and the token expired half-way, its refresh answered 503
    and then carried out with its answer lost, the random faults on throughout. A lost
    refresh answer is survivable only with a grace period for a used refresh token (a
    sandbox knob: HighLevel does not say; without one the connection must be reconnected,
    tests/reliability/test_crash.py), so the storm runs with one."""
    hl = boxes.highlevel
    total = PER_STORE * len(STORE_SEEDS)
    seen: dict = {}
    steps = [
        (0.05, "storm", lambda: boxes.knobs(hl, rate_limit_storm=STORM)),
        (0.35, "limit lifted, timeouts on", lambda: boxes.knobs(hl, **NO_LIMIT, **FAULTS)),
        (0.55, "token expired", None),
    ]
    for share, name, change in steps:
        wait_for(
            lambda share=share: _done(run_ids) or _upserts(boxes.stats(hl)) >= share * total,
            f"{share:.0%} of the upserts",
            180,
            every=0.05,
        )
        if _done(run_ids):
            break
        seen[name] = _upserts(boxes.stats(hl))
        if change is not None:
            change()
            continue
        boxes.knobs(hl, token_faults=TOKEN_FAULTS)
        expired = boxes.control(hl, "POST", json={"expire_access_tokens": True})["result"]
        assert expired["expired"] >= 1
    return seen


def _finish_retries(flows) -> int:
    """The slow schedule, its waits skipped: records whose five fast tries failed wait a
    minute as pending changes; make them due and let the retry beat hand them out, until
    none is left. Returns the rounds it took."""
    rounds = 0
    pending = PendingChange.objects.filter(flow__in=flows, status=PendingChange.Status.PENDING)
    while pending.exists():
        rounds += 1
        assert rounds <= len(RETRY_DELAYS), "still pending after every slow retry"
        pending.update(not_before=timezone.now() - timedelta(seconds=1))
        retries_due.delay()
        wait_for(
            lambda: not pending.filter(not_before__lte=timezone.now()).exists(),
            "the retries to be applied",
            120,
        )
        wait_for(lambda: not Run.objects.filter(status__in=("queued", "running")).exists(), "", 60)
    return rounds


def _since(before: dict, after: dict) -> dict:
    """The sandbox's counters for what happened after `before` (the test's own set-up
    requests, e.g. the mapping's custom-field read, are not the workers')."""
    delta = {k: v - before.get(k, 0) for k, v in after.items() if isinstance(v, int)}
    for name in ("requests_by_route", "responses_by_status"):
        delta[name] = dict(Counter(after[name]) - Counter(before[name]))
    return delta


def _compare_calls(provider: str, stats: dict, calls) -> dict:
    """Diagnostics' call log against the sandbox's counters: every attempt the sandbox got
    is a recorded call; every injected timeout is a call with no answer; every answer the
    client saw is recorded with its status; the answers it did not see (timed out) are
    exactly the timeouts."""
    api_routes = {r: n for r, n in stats["requests_by_route"].items() if r != "POST /oauth/token"}
    by_status = Counter(str(c.status) if c.status else "none" for c in calls)
    sandbox_sent = Counter(stats["responses_by_status"])
    # The token endpoint's answers are not API calls (OAuth session, not transport): its
    # injected errors were answered 503, the rest 200 (no refresh was refused).
    token = stats["requests_by_route"].get("POST /oauth/token", 0)
    token_errors = stats.get("token_errors_injected", 0)
    sandbox_sent["503"] -= token_errors
    sandbox_sent["200"] -= token - token_errors
    unseen = sandbox_sent - Counter({k: v for k, v in by_status.items() if k != "none"})
    figures = {
        "attempts": len(calls),
        "sandbox_requests": sum(api_routes.values()),
        "timeouts": by_status["none"],
        "timeouts_injected": stats.get("timeouts_injected", 0),
        "status_503": by_status["503"],
        "errors_injected": stats.get("errors_injected", 0),
        "status_429": by_status["429"],
        "status_401": by_status["401"],
        "answers_not_seen": dict(unseen),
    }
    print(provider, figures)
    assert figures["attempts"] == figures["sandbox_requests"], figures
    assert figures["timeouts"] == figures["timeouts_injected"], figures
    assert sum(unseen.values()) == figures["timeouts"], figures
    for status, count in by_status.items():  # nothing recorded that the sandbox never sent
        assert status == "none" or count <= sandbox_sent[status], (status, figures)
    return figures


@pytest.mark.slow
@pytest.mark.timeout(280)
def test_fault_storm_sync_completes_within_caps(workers, sandboxes_factory, workspace, owner):
    print(f"fault storm: store seeds {STORE_SEEDS}, HighLevel fault seed {STORE_SEEDS[0]}")
    cache.clear()  # no limit learned by an earlier test: this one's sandbox teaches its own
    stores = [sandboxes_factory(customers=PER_STORE, random_seed=seed) for seed in STORE_SEEDS]
    boxes, hl = stores[0], stores[0].highlevel
    customers = [c for s in stores for c in s.ecwid.state.store.all("customer")]
    emails = {c["email"].lower() for c in customers}
    phones = {c["billingPerson"].get("phone") for c in customers}
    # HighLevel matches contacts by e-mail, then phone: the stores must share neither.
    assert len(emails) == len(phones) == PER_STORE * len(STORE_SEEDS), "the stores share people"

    target = boxes.highlevel_oauth_connection(workspace)
    flows = [
        store_to_highlevel(
            workspace, owner, store.ecwid_connection(workspace), target, mapping_name=f"Store {n}"
        )
        for n, store in enumerate(stores, 1)
    ]
    before = {store: store.stats(store.ecwid) for store in stores}
    before[hl] = boxes.stats(hl)
    boxes.knobs(hl, **BURST, **REFRESH_GRACE, error_rate=FAULTS["error_rate"], error_status=503)
    for store in stores:
        store.knobs(store.ecwid, **FAULTS)
    workers.start(
        concurrency=len(flows),
        env={"DIAGNOSTICS_RECORD_CALLS": "true", "INTEGRATIONS_READ_TIMEOUT": str(READ_TIMEOUT)},
    )
    started = time.monotonic()
    runs = [run_start(flow=flow, trigger="manual") for flow in flows]
    for run in runs:
        run_flow.delay(run.pk)
    run_ids = [run.pk for run in runs]
    phases = _drive_phases(boxes, run_ids)
    wait_for(lambda: _done(run_ids), "the four runs", 200)
    run_seconds = time.monotonic() - started
    runs = list(Run.objects.filter(pk__in=run_ids).order_by("pk"))
    failed_fast = sum(run.failed for run in runs)
    assert {run.status for run in runs} <= {"succeeded", "partial"}, [r.message for r in runs]
    assert failed_fast == PendingChange.objects.filter(flow__in=flows).count()
    boxes.knobs(hl, error_rate=0.0, timeout_rate=0.0)  # the storm is over: retries run calm
    rounds = _finish_retries(flows)
    retry_seconds = time.monotonic() - started - run_seconds
    print(
        f"phases at upserts {phases}; runs {run_seconds:.0f} s, {failed_fast} records to retry "
        f"({retry_seconds:.0f} s)"
    )

    # Every contact exactly once, every note once, links consistent.
    contacts = boxes.highlevel_contacts()
    assert len(contacts) == len(emails)
    assert {c["email"] for c in contacts} == emails
    links = RecordLink.objects.filter(flow__in=flows)
    assert links.count() == len(emails)
    assert set(links.values_list("target_id", flat=True)) == {c["id"] for c in contacts}
    notes = Counter((n["contactId"], n["body"]) for n in hl.data.notes.values() if n["contactId"])
    doubled = {key: n for key, n in notes.items() if n > 1}
    assert not doubled, f"{len(doubled)} notes written twice"
    dead = PendingChange.objects.filter(flow__in=flows).exclude(status="done")
    assert not dead.exists(), list(dead.values_list("source_id", "status", "last_error"))
    assert all(
        c.attempts <= len(RETRY_DELAYS) for c in PendingChange.objects.filter(flow__in=flows)
    )

    # Retries within the cap: no request tried more than MAX_ATTEMPTS times. (The workers'
    # recorders write their calls within a second or so.)
    stats = _since(before[hl], boxes.stats(hl))
    _settled(lambda: ApiCall.objects.filter(connection=target).count())
    calls = list(ApiCall.objects.filter(connection=target))
    # The one exception, documented in the transport: a 401 answered by a refresh earns one
    # more try, so a request whose fifth try met the expired token is tried a sixth time.
    attempts = Counter(call.attempt for call in calls)
    refreshed_retries = sum(1 for call in calls if call.status == 401)
    assert max(attempts) <= MAX_ATTEMPTS + 1, attempts
    assert attempts[MAX_ATTEMPTS + 1] <= refreshed_retries, attempts

    # The budget: only the injected storm was refused, and the window holds no more than
    # the limit the sandbox announced.
    assert stats["rate_limited"] == STORM, stats
    # The refresh: the planned 503 and lost answer (and any random fault) met, retried
    # within the calls' attempts, one rotation lost, none refused, the connection connected.
    assert stats["token_errors_injected"] >= 1 and stats["token_timeouts_injected"] >= 1, stats
    assert stats["token_refreshes"] >= 2 and stats["token_refresh_failures"] == 0, stats
    target.refresh_from_db()
    assert target.status == "connected", target.last_error
    # No record failed for the token endpoint's 503 (a lost answer reads like any timeout).
    token_gaps = [e for e in _errors(flows) if "token endpoint" in e]
    assert not token_gaps, token_gaps
    budget = get_budget()
    key = next(k for k in _budget_keys(budget) if k.startswith("highlevel:"))
    counted = budget.redis.zcount(f"ratebudget:{key}:hits", f"({time.time() - 1}", "+inf")
    assert counted <= NO_LIMIT["burst_limit"]
    # No block outlives the storm (each 429 blocks the key for the 1 s window, no more).
    blocked_until = float(budget.redis.get(f"ratebudget:{key}:blocked") or 0)
    assert blocked_until < time.time(), blocked_until - time.time()
    learned = cache.get(f"highlevel:learned-limit:{key}")
    assert learned == [NO_LIMIT["burst_limit"], 1.0], learned

    # Diagnostics against the sandboxes.
    figures = _compare_calls("highlevel", stats, calls)
    # Every injected 429 and every 401 of the expired token is in the log, but for those
    # answered to a request the client had already given up on (counted as timeouts).
    unseen = figures["answers_not_seen"]
    assert figures["status_429"] + unseen.get("429", 0) == STORM
    assert figures["status_401"] + unseen.get("401", 0) == stats["responses_by_status"]["401"]
    assert figures["status_401"] >= 1
    for store, flow in zip(stores, flows, strict=True):
        ecwid_calls = list(ApiCall.objects.filter(connection=flow.source_connection))
        _compare_calls("ecwid", _since(before[store], store.stats(store.ecwid)), ecwid_calls)
    print(
        f"fault storm figures: {len(contacts)} contacts, {links.count()} links, 0 notes twice; "
        f"{len(calls)} HighLevel attempts (max attempt {max(attempts)}), "
        f"{figures['timeouts']} timeouts, {figures['status_503']} 503s seen of "
        f"{figures['errors_injected']} injected, {figures['status_429']} 429s, "
        f"{figures['status_401']} 401s; token endpoint: {stats['token_errors_injected']} "
        f"errors, {stats['token_timeouts_injected']} lost answers, "
        f"{stats['token_refreshes']} rotations; {failed_fast} records retried in {rounds} "
        "slow round(s)"
    )


def _errors(flows) -> list[str]:
    """Every error a record of these flows met: its run items' reasons, its retries'."""
    items = RunItem.objects.filter(run__flow__in=flows, outcome="failed")
    changes = PendingChange.objects.filter(flow__in=flows).exclude(last_error="")
    return [*items.values_list("reason", flat=True), *changes.values_list("last_error", flat=True)]


def _settled(count, quiet: float = 3.0) -> int:
    """Wait until `count()` has not changed for `quiet` seconds (the recorders flushed)."""
    last, since = count(), time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.5)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
    return last


def _budget_keys(budget) -> list[str]:
    prefix = "ratebudget:"
    return [
        key.decode().removeprefix(prefix).removesuffix(":hits")
        for key in budget.redis.scan_iter(match=f"{prefix}*:hits")
    ]
