from celery import shared_task


@shared_task(soft_time_limit=30, time_limit=60)
def webhook_event_process(event_pk: int) -> None:
    from integrations.inbox import webhook_event_claim, webhook_event_finish

    event = webhook_event_claim(event_pk=event_pk)
    if event is not None:
        webhook_event_finish(event=event)
