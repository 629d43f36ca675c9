import socket

from celery import shared_task


@shared_task(soft_time_limit=10, time_limit=20)
def worker_heartbeat_record(hostname: str | None = None) -> None:
    from diagnostics.services import worker_heartbeat_record as record

    record(hostname=hostname or socket.gethostname())
