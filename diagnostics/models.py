"""What diagnostics records: worker heartbeats, every API call attempt (from the transport's
observer hook, `integrations.calls`) and hourly rollups of them that outlive the raw rows."""

from django.db import models


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
