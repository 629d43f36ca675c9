from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per Celery worker host, touched by a beat task every minute, so the
    Diagnostics page can say plainly when background work has stopped running."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen_at = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.hostname
