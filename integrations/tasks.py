"""Tasks take ids and call a service; enqueueing happens here and in the views, never in the
services they call (so these imports at the top make no loop)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from integrations.inbox import webhook_event_pickup, webhook_target_work, webhook_targets_due
from integrations.models import WebhookEventTarget
from integrations.services import connection_drafts_prune
from integrations.token_health import connection_token_refresh, connections_due

# The database gone for a moment (a restart, a failover): try the event again in a few
# seconds instead of leaving it to the 5-minute sweep. Its rows are claimed with a lease, so
# a row the failed try had claimed waits for the sweep; the rest go through on the retry.
DATABASE_DOWN = (OperationalError, InterfaceError)


@shared_task(
    soft_time_limit=30,
    time_limit=60,
    autoretry_for=DATABASE_DOWN,
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=10,
)
def webhook_event_process(event_pk: int) -> None:
    """One stored delivery: rows that need no API call are done here; a row that must first
    be confirmed with the provider gets a task (and time limit) of its own."""
    for target in webhook_event_pickup(event_pk=event_pk):
        if target.status == WebhookEventTarget.Status.UNCONFIRMED:
            webhook_target_process.delay(target.pk)
        else:
            webhook_target_process(target.pk)


@shared_task(soft_time_limit=30, time_limit=60)
def webhook_target_process(target_pk: int) -> None:
    retry_in = webhook_target_work(target_pk=target_pk)
    if retry_in is not None:  # over the confirmation cap, or the provider asked us to wait
        webhook_target_process.apply_async((target_pk,), countdown=retry_in)


@shared_task(soft_time_limit=30, time_limit=60)
def webhook_targets_sweep() -> int:
    """Beat, every 5 minutes: hand out rows whose wait is over or whose worker died."""
    due = webhook_targets_due()
    for target_pk in due:
        webhook_target_process.delay(target_pk)
    return len(due)


@shared_task(soft_time_limit=30, time_limit=60)
def token_refresh_due() -> int:
    """Beat, every 15 minutes: one refresh task per connection whose token is due."""
    ids = [connection.pk for connection in connections_due()]
    for connection_id in ids:
        token_refresh.delay(connection_id)
    return len(ids)


@shared_task(soft_time_limit=30, time_limit=60)
def token_refresh(connection_id: int) -> str:
    return connection_token_refresh(connection_id=connection_id)


@shared_task(soft_time_limit=30, time_limit=60)
def connection_drafts_prune_due() -> int:
    """Beat, hourly: setup-wizard drafts nobody touched for a day are removed."""
    return connection_drafts_prune()
