from celery import shared_task


@shared_task(soft_time_limit=30, time_limit=60)
def webhook_event_process(event_pk: int) -> None:
    from integrations.inbox import webhook_event_claim, webhook_event_finish

    event = webhook_event_claim(event_pk=event_pk)
    if event is not None:
        webhook_event_finish(event=event)


@shared_task(soft_time_limit=30, time_limit=60)
def token_refresh_due() -> int:
    """Beat, every 15 minutes: one refresh task per connection whose token is due."""
    from integrations.token_health import connections_due

    ids = [connection.pk for connection in connections_due()]
    for connection_id in ids:
        token_refresh.delay(connection_id)
    return len(ids)


@shared_task(soft_time_limit=30, time_limit=60)
def token_refresh(connection_id: int) -> str:
    from integrations.token_health import connection_token_refresh

    return connection_token_refresh(connection_id=connection_id)
