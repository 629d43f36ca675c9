"""Alerts: things a person must act on. A low-level app: integrations raise them, diagnostics
and the connection page read them, and this app imports neither (foreign keys are strings)."""

from django.db import models


class Alert(models.Model):
    """Something a person must act on (a refused token refresh...), shown on the diagnostics
    dashboard and on the connection until it is resolved."""

    class Kind(models.TextChoices):
        TOKEN_REFRESH_FAILED = "token_refresh_failed", "Token refresh failed"
        # Raised by the diagnostics alert rules (diagnostics/alerting/), one per incident.
        FAILED_RUNS = "failed_runs", "Runs failing in a row"
        ERROR_RATE = "error_rate", "API error rate"
        LAG = "lag", "Changes waiting too long"
        RUN_STUCK = "run_stuck", "Run stuck"
        MAPPING_DRIFT = "mapping_drift", "Mapping unhealthy"
        DAILY_BUDGET = "daily_budget", "Daily API budget nearly spent"
        ALERT_DELIVERY_FAILED = "alert_delivery_failed", "Alert could not be delivered"

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
    # What the alert is about when a connection does not say it ("flow:12 rule:3"): open
    # alerts are one per (workspace, connection, kind, subject).
    subject = models.CharField(max_length=80, blank=True, default="")
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
