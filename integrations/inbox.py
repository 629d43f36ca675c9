"""The webhook inbox: store each verified event once, then hand it to a worker."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from integrations.models import WebhookEvent, WebhookRejection


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
    *, provider: str, event_id: str, event_type: str, payload: dict, connection=None
) -> tuple[WebhookEvent, bool]:
    """Store the event unless its id was seen before; returns (event, created). Processing is
    enqueued only after the row is committed, so a worker never looks for a missing row."""
    from integrations.tasks import webhook_event_process

    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                provider=provider,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                connection=connection,
            )
            webhook_event_process.delay_on_commit(event.pk)
    except IntegrityError:
        return WebhookEvent.objects.get(provider=provider, event_id=event_id), False
    return event, True


def webhook_event_claim(*, event_pk: int) -> WebhookEvent | None:
    """Claim a pending event for processing; None if another worker already has it."""
    claimed = WebhookEvent.objects.filter(pk=event_pk, status=WebhookEvent.Status.PENDING).update(
        attempts=F("attempts") + 1
    )
    return WebhookEvent.objects.filter(pk=event_pk).first() if claimed else None


def webhook_event_finish(*, event: WebhookEvent) -> WebhookEvent:
    # Flows act on events; until a flow subscribes to this connection there is nothing to do,
    # and the event is kept as evidence of what arrived.
    event.status = (
        WebhookEvent.Status.PROCESSED if event.connection_id else WebhookEvent.Status.IGNORED
    )
    event.processed_at = timezone.now()
    event.save(update_fields=["status", "processed_at"])
    return event
