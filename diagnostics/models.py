"""What diagnostics records: worker heartbeats, every API call attempt (from the transport's
observer hook, `integrations.calls`) and hourly rollups of them that outlive the raw rows."""

from django.db import models

from integrations.crypto import decrypt_credentials, encrypt_credentials


class WorkerHeartbeat(models.Model):
    """One row per Celery worker host, touched by a beat task every minute, so the
    Diagnostics page can say plainly when background work has stopped running."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen_at = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return self.hostname


class ApiCall(models.Model):
    """One attempt of one request to a provider (retries are rows of their own). Nothing
    secret: an endpoint template, the status, the rate-limit headers and a request id."""

    at = models.DateTimeField()  # when the attempt started
    workspace = models.ForeignKey(
        "accounts.Workspace", null=True, on_delete=models.CASCADE, related_name="+"
    )
    connection = models.ForeignKey(
        "integrations.Connection", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.CharField(max_length=20)
    method = models.CharField(max_length=10)
    endpoint = models.CharField(max_length=200)  # "/contacts/{id}/notes"
    status = models.PositiveSmallIntegerField(null=True)  # None: no answer
    error_kind = models.CharField(max_length=20, blank=True, default="")  # "": success
    latency_ms = models.FloatField()
    attempt = models.PositiveSmallIntegerField(default=1)
    request_id = models.CharField(max_length=100, blank=True, default="")
    rate_limit = models.JSONField(default=dict, blank=True)  # the X-RateLimit-* headers
    # Kept only while the connection's body capture was on; secrets redacted.
    request_body = models.TextField(blank=True, default="")
    response_body = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-at"]),
            models.Index(fields=["connection", "-at"]),
            models.Index(fields=["at"]),
        ]
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.method} {self.endpoint} {self.status}"


class ApiCallHour(models.Model):
    """The calls of one endpoint of one connection in one hour: counts, errors by class and
    a latency histogram (diagnostics.latency buckets). Kept when the raw rows are pruned."""

    hour = models.DateTimeField()  # the start of the hour, UTC
    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    # The connection's id when the calls were made (0: none), kept when it is deleted; the
    # foreign key is for showing its name while it exists.
    connection_ref = models.PositiveBigIntegerField(default=0)
    connection = models.ForeignKey(
        "integrations.Connection", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    provider = models.CharField(max_length=20)
    method = models.CharField(max_length=10)
    endpoint = models.CharField(max_length=200)
    calls = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=dict, blank=True)  # error kind -> count
    statuses = models.JSONField(default=dict, blank=True)  # "200" / "none" -> count
    latency_total_ms = models.FloatField(default=0)
    latency_buckets = models.JSONField(default=list, blank=True)  # counts per bucket

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "workspace", "connection_ref", "method", "endpoint"],
                name="one_rollup_per_endpoint_hour",
            )
        ]
        indexes = [models.Index(fields=["workspace", "hour"])]
        ordering = ["-hour"]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.method} {self.endpoint}: {self.calls}"


# --- Alert rules (diagnostics/alerting/ evaluates them, diagnostics/notify.py delivers) -------
class AlertRule(models.Model):
    """What a workspace wants to hear about, and where: e-mail addresses and/or a webhook
    signed with a secret of its own. What `threshold` and `window_minutes` mean depends on the
    kind (`diagnostics.alerting.KIND_SETTINGS`); they are filled with the kind's defaults when
    left empty."""

    class Kind(models.TextChoices):
        FAILED_RUNS = "failed_runs", "Runs failing in a row"
        ERROR_RATE = "error_rate", "API error rate"
        LAG = "lag", "Changes waiting too long"
        RUN_STUCK = "run_stuck", "Run stuck"
        TOKEN_REFRESH_FAILED = "token_refresh_failed", "Token refresh failed"
        MAPPING_DRIFT = "mapping_drift", "Mapping unhealthy"
        DAILY_BUDGET = "daily_budget", "Daily API budget nearly spent"

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="alert_rules"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    threshold = models.PositiveIntegerField(null=True, blank=True)
    window_minutes = models.PositiveIntegerField(null=True, blank=True)
    # Error rate: fewer calls than this in the window say nothing (1 failure of 2 is no incident).
    min_calls = models.PositiveIntegerField(default=20)
    enabled = models.BooleanField(default=True)
    email_to = models.CharField(max_length=500, blank=True, default="")  # "a@x.com, b@y.org"
    webhook_url = models.URLField(max_length=500, blank=True, default="")
    # Fernet ciphertext of {"secret": ...}: the HMAC key of the webhook signature. Generated
    # when the rule is created, shown to the owner once; read only through get_webhook_secret().
    webhook_secret_encrypted = models.TextField(blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["enabled", "kind"])]
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return self.get_kind_display()

    def __repr__(self) -> str:
        return f"<AlertRule {self.pk} {self.kind}>"

    def get_webhook_secret(self) -> str:
        return decrypt_credentials(self.webhook_secret_encrypted).get("secret", "")

    def set_webhook_secret(self, secret: str) -> None:
        self.webhook_secret_encrypted = encrypt_credentials({"secret": secret} if secret else {})

    @property
    def email_recipients(self) -> list[str]:
        return [a.strip() for a in self.email_to.split(",") if a.strip()]


class AlertIncident(models.Model):
    """One breach of one rule about one subject ("flow:12", "connection:3"), from the
    evaluation that saw it until the one that no longer does. At most one is open per rule
    and subject (a database constraint): a breach that lasts is one incident, not a storm.
    A warning (the failure before a flow is paused) is an incident at the warning level that
    becomes a breach if the next run fails too."""

    class Level(models.TextChoices):
        WARNING = "warning", "Warning"
        BREACH = "breach", "Alert"

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="incidents")
    subject = models.CharField(max_length=60)
    title = models.CharField(max_length=200)  # "Flow “Shop → CRM”: runs failing"
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.BREACH)
    message = models.TextField()
    last_value = models.FloatField(null=True, blank=True)
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_incident_per_rule_subject",
            )
        ]
        indexes = [models.Index(fields=["rule", "resolved_at"])]
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class AlertDelivery(models.Model):
    """One notice (opened, warning, resolved) on one channel: a row before anything is sent,
    so nothing is lost silently. Claimed with a conditional update (two workers never send
    the same one), retried with backoff, then failed with the error kept."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    class Event(models.TextChoices):
        OPENED = "opened", "Opened"
        WARNING = "warning", "Warning"
        RESOLVED = "resolved", "Resolved"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    incident = models.ForeignKey(AlertIncident, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    event = models.CharField(max_length=10, choices=Event.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "channel", "event"], name="one_notice_per_incident_event"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.event} by {self.channel}: {self.status}"
