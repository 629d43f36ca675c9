import socket

from celery import shared_task

from diagnostics import services


@shared_task(soft_time_limit=10, time_limit=20)
def worker_heartbeat_record(hostname: str | None = None) -> None:
    services.worker_heartbeat_record(hostname=hostname or socket.gethostname())
