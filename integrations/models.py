from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.crypto import Credentials, decrypt_credentials, encrypt_credentials
from integrations.providers.keys import provider_choices


class ConnectionQuerySet(models.QuerySet):
    def finished(self):
        """Real connections: not the drafts the setup wizard keeps until its Save step."""
        return self.filter(is_draft=False)

    def drafts(self):
        return self.filter(is_draft=True)


class Connection(models.Model):
    """Credentials and settings for one external account (a HighLevel location, a store).

    The setup wizard keeps its work in a draft (`is_draft`) so that testing runs exactly the
    code a sync uses; a draft is no connection yet: lists and pickers show `finished()` ones,
    Save turns it into one, and drafts left alone for a day are pruned (tasks.py)."""

    class Status(models.TextChoices):
        NEW = "new", "Not tested yet"
        CONNECTED = "connected", "Connected"
        NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
        FAILING = "failing", "Failing"
        DISABLED = "disabled", "Disabled"

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="connections"
    )
    provider = models.CharField(max_length=30, choices=provider_choices)
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    settings = models.JSONField(default=dict, blank=True, help_text="Non-secret settings.")
    # Fernet ciphertext of a JSON object; read and write only through get/set_credentials().
    credentials_encrypted = models.TextField(blank=True, default="", editable=False)
    scopes = models.JSONField(default=list, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    last_tested_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    # Token health of OAuth connections: the beat task refreshes ahead of expiry and counts
    # consecutive failures, so a dying token is visible before syncs start failing.
    token_refreshed_at = models.DateTimeField(null=True, blank=True)
    refresh_failures = models.PositiveIntegerField(default=0)
    is_draft = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        constraints = [
            # Drafts do not hold a name: an abandoned one must not block a new attempt.
            models.UniqueConstraint(
                fields=["workspace", "name"],
                condition=Q(is_draft=False),
                name="unique_connection_name",
            )
        ]
        indexes = [models.Index(fields=["workspace", "provider"])]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Connection {self.pk} {self.provider} {self.name!r}>"

    def get_credentials(self) -> Credentials:
        return decrypt_credentials(self.credentials_encrypted)

    def set_credentials(self, data: dict) -> None:
        self.credentials_encrypted = encrypt_credentials(
            {k: v for k, v in data.items() if v not in (None, "")}
        )

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    @property
    def token_expired(self) -> bool:
        return self.token_expires_at is not None and self.token_expires_at <= timezone.now()

    @property
    def last_refreshed_at(self):
        """The latest refresh, whoever did it: the beat task records `token_refreshed_at`,
        an inline refresh during a request records `last_refreshed_at` in settings."""
        inline = parse_datetime(str(self.settings.get("last_refreshed_at") or ""))
        times = [t for t in (self.token_refreshed_at, inline) if t is not None]
        return max(times) if times else None


class ConnectionAudit(models.Model):
    """Who changed a connection, when, and which fields: never the values of secrets."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        RECONNECTED = "reconnected", "Reconnected"
        DISABLED = "disabled", "Disabled"
        ENABLED = "enabled", "Enabled"
        DELETED = "deleted", "Deleted"

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="connection_audits"
    )
    # Kept after the connection is deleted (SET_NULL), with its name, so deletions stay visible.
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="audits"
    )
    connection_name = models.CharField(max_length=100)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    # {"name": {"from": "old", "to": "new"}, "credentials": ["client_secret"]}: secrets by
    # key name only.
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["workspace", "created_at"])]

    def __str__(self) -> str:
        return f"{self.connection_name} {self.action}"

    def change_lines(self) -> list[tuple[str, str]]:
        """The changes in words: "old → new", or the list of keys involved."""

        def words(value) -> str:
            if isinstance(value, list | tuple):
                return ", ".join(map(str, value)) or "none"
            return "—" if value in (None, "") else str(value)

        lines = []
        for key, value in self.changes.items():
            if isinstance(value, dict) and set(value) == {"from", "to"}:
                text = f"{words(value['from'])} → {words(value['to'])}"
            else:
                text = words(value)
            if key == "credentials":
                text += " (values hidden)"
            lines.append((key, text))
        return lines


class WebhookEvent(models.Model):
    """The inbox: every verified webhook, stored once (per provider and event id) before
    anything acts on it, so a crash after the 200 loses nothing. What it means to each of our
    connections is worked out in its processing rows (`targets`), one per connection: several
    workspaces may connect the same account, and each gets the event."""

    class Status(models.TextChoices):
        # The delivery as a whole: pending while any of its rows is open, then a summary.
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"  # verified, but no connection of ours wants it
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"  # the read-back found no such record: forged

    provider = models.CharField(max_length=30, choices=provider_choices)
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=100)
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)  # times a worker picked it up
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Deliveries of the same event after the first (providers retry and re-send): counted,
    # acknowledged and otherwise ignored.
    duplicates = models.PositiveIntegerField(default=0)
    last_duplicate_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="unique_webhook_event")
        ]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"

    # Read-only, for code written when an event had one connection: the connection of its
    # only processing row, else None.
    @property
    def connection(self) -> Connection | None:
        targets = list(self.targets.select_related("connection")[:2])
        return targets[0].connection if len(targets) == 1 else None

    @property
    def connection_id(self) -> int | None:
        ids = list(self.targets.values_list("connection_id", flat=True)[:2])
        return ids[0] if len(ids) == 1 else None


class WebhookEventTarget(models.Model):
    """One processing row: what one stored event means to one connection. Rows are created
    with the event, in its transaction; a worker claims one with a conditional update
    (`not_before` doubles as the claim's lease) and settles the event when it is done."""

    class Status(models.TextChoices):
        # The sender cannot prove itself (Shift4Shop): the worker reads the record back first.
        UNCONFIRMED = "unconfirmed", "Waiting for confirmation"
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"

    OPEN = (Status.UNCONFIRMED, Status.PENDING)

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="targets")
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="webhook_targets"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # What the read-back vouched for, for this connection: flows use it instead of the posted
    # payload, which an unsigned sender could have made up.
    confirmed_payload = models.JSONField(null=True, blank=True)
    # Not to be picked up before this: a retry's backoff, the confirmation cap's wait, or the
    # lease of the worker that has it.
    not_before = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "connection"], name="unique_webhook_event_target"
            )
        ]
        indexes = [models.Index(fields=["status", "not_before"])]

    def __str__(self) -> str:
        return f"{self.event} → connection {self.connection_id}: {self.status}"


class WebhookRejection(models.Model):
    """Refused webhooks leave only a counter: an unverified body is not ours to keep."""

    provider = models.CharField(max_length=30, choices=provider_choices)
    reason = models.CharField(max_length=40)
    count = models.PositiveBigIntegerField(default=0)
    last_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "reason"], name="unique_webhook_rejection")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.reason}: {self.count}"


class RateBudget(models.Model):
    """Requests recently sent under one provider rate limit (e.g. one HighLevel app and
    location), shared by every worker: the row is locked while a request slot is taken."""

    key = models.CharField(max_length=200, unique=True)
    hits = models.JSONField(default=list)  # send times (epoch seconds) inside the window
    blocked_until = models.FloatField(default=0)  # epoch seconds; set by 429s and daily caps
    daily_remaining = models.IntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key
