"""The webhook inbox: store each verified event once, with one processing row per connection it
is for, then work through the rows in a worker.

Enqueueing belongs to the callers (the receive view, `integrations.tasks`): this module imports
no task, so the tasks can import it at the top. A row whose sender cannot prove itself
(Shift4Shop) is stored UNCONFIRMED and answered 200 at once; the worker reads the record back
through the provider's `confirm_webhook`, at most WEBHOOK_CONFIRMATIONS_PER_MINUTE times per
store a minute, so a flood of forged posts waits instead of spending the store's API budget.
"""

import copy
import logging
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from integrations.changes import changes_publish
from integrations.errors import IntegrationError, RateLimitedError, TransientError
from integrations.models import Connection, WebhookEvent, WebhookEventTarget, WebhookRejection
from integrations.providers.base import ChangeEvent, WebhookRejected
from integrations.providers.registry import get_provider
from integrations.ratelimit import Limit, get_budget

logger = logging.getLogger(__name__)

Target = WebhookEventTarget
# A claimed row is left alone this long: longer than the task's hard time limit, so a worker
# that died holding it gives it up and the sweep hands it to another.
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 30


def webhook_rejection_count(*, provider: str, reason: str) -> None:
    updated = WebhookRejection.objects.filter(provider=provider, reason=reason).update(
        count=F("count") + 1, last_at=timezone.now()
    )
    if not updated:
        try:
            with transaction.atomic():
                WebhookRejection.objects.create(
                    provider=provider, reason=reason, count=1, last_at=timezone.now()
                )
        except IntegrityError:  # another request created it first
            WebhookRejection.objects.filter(provider=provider, reason=reason).update(
                count=F("count") + 1, last_at=timezone.now()
            )


def webhook_event_store(
    *,
    provider: str,
    event_id: str,
    event_type: str,
    payload: dict | list,
    connections: Sequence[Connection] = (),
    needs_confirmation: bool = False,
) -> tuple[WebhookEvent, bool]:
    """Store the event unless its id was seen before, with one processing row per connection,
    in one transaction; returns (event, created). The caller enqueues the processing with
    `delay_on_commit`, so a worker never looks for a row that is not committed."""
    status = Target.Status.UNCONFIRMED if needs_confirmation else Target.Status.PENDING
    unique = {connection.pk: connection for connection in connections}
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                provider=provider, event_id=event_id, event_type=event_type, payload=payload
            )
            Target.objects.bulk_create(
                Target(event=event, connection=connection, status=status)
                for connection in unique.values()
            )
    except IntegrityError:
        WebhookEvent.objects.filter(provider=provider, event_id=event_id).update(
            duplicates=F("duplicates") + 1, last_duplicate_at=timezone.now()
        )
        return WebhookEvent.objects.get(provider=provider, event_id=event_id), False
    return event, True


def webhook_event_pickup(*, event_pk: int) -> list[WebhookEventTarget]:
    """Claim a pending event (a conditional update; [] if it is not pending) and return its
    open rows. An event no connection of ours wants is settled as ignored."""
    claimed = WebhookEvent.objects.filter(pk=event_pk, status=WebhookEvent.Status.PENDING).update(
        attempts=F("attempts") + 1
    )
    if not claimed:
        return []
    rows = list(Target.objects.filter(event_id=event_pk, status__in=Target.OPEN).order_by("pk"))
    if not rows:
        webhook_event_settle(event_pk=event_pk)
    return rows


def webhook_target_claim(*, target_pk: int) -> WebhookEventTarget | None:
    """Take one open row whose time has come, leasing it so no other worker takes it too;
    None if it is done, waiting or someone else's."""
    now = timezone.now()
    claimed = (
        Target.objects.filter(pk=target_pk, status__in=Target.OPEN)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .update(not_before=now + LEASE, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    return Target.objects.select_related("event", "connection").get(pk=target_pk)


def webhook_target_work(*, target_pk: int) -> float | None:
    """Process one row: confirm it first if it must be, then mark it done and settle its
    event. Returns the seconds after which to try the row again, or None."""
    target = webhook_target_claim(target_pk=target_pk)
    if target is None:
        return None
    if target.status == Target.Status.UNCONFIRMED:
        wait = _confirmation_wait(target.connection)
        if wait > 0:  # over the store's cap: wait without spending a call or an attempt
            _release(target, wait, attempts=F("attempts") - 1)
            return wait
        retry_in = _confirm(target)
        if retry_in is not None:
            return retry_in
    if target.status == Target.Status.PENDING:
        retry_in = _hand_over(target)
        if retry_in is not None:
            return retry_in
    webhook_event_settle(event_pk=target.event_id)
    return None


def webhook_target_changes(target: WebhookEventTarget) -> list[ChangeEvent]:
    """What a verified row reports, as its connection's adapters parse it: one pass per
    object type the provider syncs. A confirmed row is read from what the store vouched for,
    never from the posted body (which an unsigned sender could have made up)."""
    stored = target.event
    if target.confirmed_payload is not None:
        stored = copy.copy(stored)
        stored.payload = target.confirmed_payload
    provider = get_provider(stored.provider)
    changes: list[ChangeEvent] = []
    for object_type in provider.adapters:
        changes.extend(provider.adapter(object_type, target.connection).parse_event(stored))
    return changes


def _hand_over(target: WebhookEventTarget) -> float | None:
    """Publish the row's changes to the listeners (sync's flows) and close the row in the
    same transaction: PROCESSED when some listener took a change, IGNORED when none did.
    Returns the seconds to wait before trying again after an unexpected error, or None."""
    try:
        with transaction.atomic():
            taken = changes_publish(webhook_target_changes(target))
            _close(target, Target.Status.PROCESSED if taken else Target.Status.IGNORED)
    except Exception as error:
        # Nothing was stored (the transaction rolled back): a locked database passes, a bug
        # does not, so a few tries with backoff, then FAILED for a person to look at.
        logger.exception("Handing webhook row %s to its flows failed", target.pk)
        if target.attempts >= MAX_ATTEMPTS:
            _close(target, Target.Status.FAILED, "Handing this webhook to its flows failed.")
            return None
        wait = RETRY_BASE_SECONDS * 2 ** (target.attempts - 1)
        _release(target, wait, last_error=f"Handing over failed: {type(error).__name__}")
        return wait
    return None


def webhook_event_settle(*, event_pk: int) -> None:
    """Once none of its rows is open, the event says how it went: processed if any row was,
    else failed, else rejected (every read-back found nothing), else ignored."""
    statuses = set(Target.objects.filter(event_id=event_pk).values_list("status", flat=True))
    if statuses & set(Target.OPEN):
        return
    summary = WebhookEvent.Status.IGNORED
    for status in (Target.Status.PROCESSED, Target.Status.FAILED, Target.Status.REJECTED):
        if status in statuses:
            summary = WebhookEvent.Status(status.value)
            break
    WebhookEvent.objects.filter(pk=event_pk, status=WebhookEvent.Status.PENDING).update(
        status=summary, processed_at=timezone.now()
    )


def webhook_targets_due(*, now=None) -> list[int]:
    """Open rows nobody is working on: their wait is over, or their worker's lease ran out,
    or their task was never delivered. For the sweep task."""
    now = now or timezone.now()
    return list(
        Target.objects.filter(status__in=Target.OPEN)
        .filter(Q(not_before__lte=now) | Q(not_before__isnull=True, created_at__lte=now - LEASE))
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )


def _account_key(connection: Connection) -> str:
    """The account a connection talks to, as its provider's first required setting names it
    (Shift4Shop: the store's Secure URL): connections to one store share one cap. Without
    such a setting, the connection stands for its account."""
    for setting in get_provider(connection.provider).setting_fields:
        value = str(connection.settings.get(setting.key) or "").strip().lower()
        if setting.required and value:
            return f"{connection.provider}:{value.split('://', 1)[-1].rstrip('/')}"
    return f"{connection.provider}:connection-{connection.pk}"


def _confirmation_wait(connection: Connection) -> float:
    """Take one of the store's confirmation slots (0) or say how long until one is free."""
    limit = Limit(max(1, settings.WEBHOOK_CONFIRMATIONS_PER_MINUTE), 60.0)
    return get_budget().try_acquire(f"webhook-confirm:{_account_key(connection)}", limit)


def _confirm(target: WebhookEventTarget) -> float | None:
    """Ask the provider to vouch for the event on this connection. Leaves the row PENDING
    (confirmed), REJECTED or FAILED, or returns the seconds to wait before asking again."""
    confirm = get_provider(target.event.provider).confirm_webhook
    if confirm is None:
        _close(target, Target.Status.FAILED, "This provider has no way to confirm a webhook.")
        return None
    try:
        vouched = confirm(target.connection, target.event.payload)
    except WebhookRejected as rejected:
        webhook_rejection_count(provider=target.event.provider, reason=rejected.reason)
        _close(target, Target.Status.REJECTED, str(rejected))
        return None
    except TransientError as error:
        if target.attempts >= MAX_ATTEMPTS:
            _close(target, Target.Status.FAILED, f"Gave up after {target.attempts} tries: {error}")
            return None
        wait = RETRY_BASE_SECONDS * 2 ** (target.attempts - 1)
        if isinstance(error, RateLimitedError) and error.retry_after:
            wait = max(wait, error.retry_after)
        _release(target, wait, last_error=str(error))
        return wait
    except IntegrationError as error:  # permanent: credentials, configuration
        _close(target, Target.Status.FAILED, str(error))
        return None
    except Exception:
        # A bug, not the provider: retrying would repeat it. Logged for a person to look at.
        logger.exception("Confirming webhook row %s failed", target.pk)
        _close(target, Target.Status.FAILED, "Confirming this webhook failed unexpectedly.")
        return None
    Target.objects.filter(pk=target.pk).update(
        status=Target.Status.PENDING, confirmed_payload=vouched, last_error=""
    )
    target.status = Target.Status.PENDING
    target.confirmed_payload = vouched
    return None


def _release(target: WebhookEventTarget, wait: float, **changes) -> None:
    Target.objects.filter(pk=target.pk).update(
        not_before=timezone.now() + timedelta(seconds=wait), **changes
    )


def _close(target: WebhookEventTarget, status: str, error: str = "") -> None:
    now = timezone.now()
    Target.objects.filter(pk=target.pk).update(
        status=status, last_error=error, processed_at=now, not_before=None
    )
    target.status, target.last_error, target.processed_at = status, error, now
