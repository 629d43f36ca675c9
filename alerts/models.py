"""Alerts: things a person must act on. A low-level app: integrations raise them, diagnostics
and the connection page read them, and this app imports neither (foreign keys are strings)."""

from django.db import models


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
        # Moved here from diagnostics: the table keeps its name, so no row was copied.
        db_table = "diagnostics_alert"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message[:60]}"
