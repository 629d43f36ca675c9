from django.db import models


class WorkerHeartbeat(models.Model):
    """One row per Celery worker host, touched by a beat task every minute, so the
    Diagnostics page can say plainly when background work has stopped running."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen_at = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.hostname


class Alert(models.Model):
    """Something a person must act on (a refused token refresh...), shown on the diagnostics
    dashboard and on the connection until it is resolved."""

    class Kind(models.TextChoices):
        TOKEN_REFRESH_FAILED = "token_refresh_failed", "Token refresh failed"

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="alerts"
    )
    connection = models.ForeignKey(
        "integrations.Connection",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message[:60]}"
