from django.db import transaction
from django.db.models import F
from django.utils import timezone

from diagnostics.models import WorkerHeartbeat


@transaction.atomic
def worker_heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(hostname=hostname).update(
        last_seen_at=now, beats=F("beats") + 1
    )
    if not updated:
        WorkerHeartbeat.objects.create(hostname=hostname, last_seen_at=now, beats=1)
    return WorkerHeartbeat.objects.get(hostname=hostname)
