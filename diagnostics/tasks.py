import socket

from celery import shared_task

from diagnostics import alerting, notify, rollups, services


@shared_task(soft_time_limit=10, time_limit=20)
def worker_heartbeat_record(hostname: str | None = None) -> None:
    services.worker_heartbeat_record(hostname=hostname or socket.gethostname())


# Beaten every 10 minutes; the first run after a long pause may roll up days of calls.
@shared_task(soft_time_limit=300, time_limit=360)
def api_calls_roll_up() -> int:
    return rollups.api_calls_roll_up()


# Daily; deletes in chunks, so a long run holds no lock for long.
@shared_task(soft_time_limit=1800, time_limit=1860)
def api_calls_prune() -> int:
    return rollups.api_calls_prune()


@shared_task(soft_time_limit=50, time_limit=60)
def alert_rules_evaluate() -> dict:
    """Every minute: open, keep or resolve each rule's incidents."""
    return alerting.alert_rules_evaluate()


@shared_task(soft_time_limit=50, time_limit=60)
def alert_deliveries_send() -> int:
    """Every minute: send the notices waiting (e-mail, signed webhook), with retries."""
    return notify.alert_deliveries_send()
