"""Flows and what they leave behind: runs, per-record outcomes, links, cursors, the queue of
changes waiting to be applied (with its retries and dead letters).

State lives here, never in a worker's memory: a run that dies resumes from its cursor and
its links, and the same change delivered twice is recognised by the link's hash.
"""

from django.db import models
from django.db.models import Q


class Flow(models.Model):
    """Keep one object type of a source connection in step with a target connection."""

    class Mode(models.TextChoices):
        TEST = "test", "Test (dry run: nothing is written)"
        LIVE = "live", "Live"

    class DeletePolicy(models.TextChoices):
        PROPAGATE = "propagate", "Delete in the target too"
        ARCHIVE = "archive", "Archive in the target (tag, close tasks, add a note)"
        IGNORE = "ignore", "Ignore deletes"

    class MatchBy(models.TextChoices):
        EMAIL_THEN_PHONE = "email_then_phone", "E-mail, then phone"
        EMAIL = "email", "E-mail only"
        PHONE = "phone", "Phone only"

    class Direction(models.TextChoices):
        ONE_WAY = "one_way", "One way: source → target"
        TWO_WAY = "two_way", "Both ways: source ↔ target"

    class ConflictPolicy(models.TextChoices):
        # Both systems changed a field since it was last synced: what wins.
        NEWEST = "newest", "The newest change wins"
        SOURCE = "source", "The source owns it"
        TARGET = "target", "The target owns it"
        REVIEW = "review", "Hold it for review"

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="flows"
    )
    name = models.CharField(max_length=100)
    source_connection = models.ForeignKey(
        "integrations.Connection", on_delete=models.PROTECT, related_name="flows_out"
    )
    target_connection = models.ForeignKey(
        "integrations.Connection", on_delete=models.PROTECT, related_name="flows_in"
    )
    object_type = models.CharField(max_length=20, default="contact")
    mapping = models.ForeignKey("mappings.Mapping", on_delete=models.PROTECT, related_name="flows")
    # Two-way flows also write target changes back to the source, through a mapping of their
    # own (target system → source system), with one link table for both ways.
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.ONE_WAY
    )
    reverse_mapping = models.ForeignKey(
        "mappings.Mapping",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reverse_flows",
    )
    conflict_policy = models.CharField(
        max_length=10, choices=ConflictPolicy.choices, default=ConflictPolicy.NEWEST
    )
    # Per field (a target field name): a policy of its own, overriding conflict_policy.
    field_policies = models.JSONField(default=dict, blank=True)
    # Nightly reconciliation: a full comparison of both sides at this time (schedule_timezone),
    # repairing the drift per the flow's policies, or only reporting it.
    reconcile_time = models.TimeField(null=True, blank=True)
    reconcile_repairs = models.BooleanField(default=True)
    last_reconciled_on = models.DateField(null=True, blank=True)
    # Triggers: any mix. Webhooks (when the source sends them), polling every N minutes with
    # the source adapter's cursor, a daily schedule, and "Run now" (always there).
    trigger_webhook = models.BooleanField(default=True)
    poll_minutes = models.PositiveIntegerField(null=True, blank=True)
    schedule_time = models.TimeField(null=True, blank=True)
    schedule_timezone = models.CharField(max_length=64, default="UTC")
    # What to do per record beyond writing the mapped payload (sync/actions.py validates).
    actions = models.JSONField(default=list, blank=True)
    delete_policy = models.CharField(
        max_length=20, choices=DeletePolicy.choices, default=DeletePolicy.IGNORE
    )
    match_by = models.CharField(
        max_length=20, choices=MatchBy.choices, default=MatchBy.EMAIL_THEN_PHONE
    )
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.TEST)
    enabled = models.BooleanField(default=True)
    paused_reason = models.TextField(blank=True, default="")
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_scheduled_on = models.DateField(null=True, blank=True)
    # When a changes_process task was queued for the flow and has not started yet (None: none
    # is waiting). That one task takes every change arriving before it starts, so a storm of
    # webhooks queues a task now and then, not one per delivery (sync.triggers.changes_enqueue).
    changes_queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="unique_flow")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        return self.mode == self.Mode.LIVE


class Run(models.Model):
    class Trigger(models.TextChoices):
        MANUAL = "manual", "Run now"
        WEBHOOK = "webhook", "Webhook"
        POLL = "poll", "Polling"
        SCHEDULE = "schedule", "Schedule"
        RETRY = "retry", "Retry"
        REPLAY = "replay", "Replay"
        RECONCILE = "reconcile", "Reconciliation"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partly failed"  # some records failed: never "succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        WAITING = "waiting", "Waiting for budget"  # a backfill spread over days

    class Direction(models.TextChoices):
        FORWARD = "forward", "Source → target"
        BACKWARD = "backward", "Target → source"  # the return way of a two-way flow

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.FORWARD
    )
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    # At most one run of a flow holds this (a database constraint): starting another fails.
    in_flight = models.BooleanField(default=True)
    mapping_version = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)  # None: not known yet
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True, default="")
    eta_seconds = models.PositiveIntegerField(null=True, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    resume_after = models.DateTimeField(null=True, blank=True)  # WAITING: when budget returns

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["flow"], condition=Q(in_flight=True), name="one_run_in_flight_per_flow"
            )
        ]
        indexes = [models.Index(fields=["flow", "-queued_at"])]
        ordering = ["-queued_at"]

    def __str__(self) -> str:
        return f"{self.flow} #{self.pk} {self.status}"


class RunItem(models.Model):
    """What happened to one record in one run, with the per-field diff."""

    class Outcome(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        UNCHANGED = "unchanged", "Unchanged"
        SKIPPED = "skipped", "Skipped by condition"
        DELETED = "deleted", "Deleted"
        ARCHIVED = "archived", "Archived"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="items")
    # Backward: written from the target system back to the source (two-way flows); then
    # source_id is the target system's id and target_id the source system's.
    direction = models.CharField(
        max_length=10, choices=Run.Direction.choices, default=Run.Direction.FORWARD
    )
    source_id = models.CharField(max_length=200)
    target_id = models.CharField(max_length=200, blank=True, default="")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    # [{"field", "before", "after"}] as the mapping engine reports its changes.
    diff = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True, default="")  # skip reason or error message
    error_kind = models.CharField(max_length=30, blank=True, default="")
    mapping_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["run", "outcome"])]
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.source_id} {self.outcome}"


class RecordLink(models.Model):
    """Source record <-> target record for one flow, with the hashes of what was last seen
    and written, so a re-delivery is a no-op and unchanged records cost no write."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="links")
    source_id = models.CharField(max_length=200)
    target_id = models.CharField(max_length=200)
    source_hash = models.CharField(max_length=40, blank=True, default="")
    target_hash = models.CharField(max_length=40, blank=True, default="")
    # What the mapping made of the source record alone at the last write (sync.engine.decide
    # `Mapped`): the digest of all but its tags, and its tags. Empty: not known.
    mapped_hash = models.CharField(max_length=40, blank=True, default="")
    mapped_tags = models.JSONField(default=list, blank=True)
    # The return way of a two-way flow: the target record as last seen, and the digest of what
    # the reverse mapping made of it after our last write to the target, so the change
    # notice our own write causes is recognised and dropped (echo suppression).
    target_record_hash = models.CharField(max_length=40, blank=True, default="")
    target_image_hash = models.CharField(max_length=40, blank=True, default="")
    # Per-field provenance of what we wrote: {"target" | "source": {field: {"value", "run",
    # "at", "version"}}}: the last value written to each side, by which run, when, under which
    # mapping version. Two-way flows tell a change on one side from a conflict by it.
    provenance = models.JSONField(default=dict, blank=True)
    last_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL)
    synced_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)  # the source record was deleted

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["flow", "source_id"], name="unique_link_source"),
            models.UniqueConstraint(fields=["flow", "target_id"], name="unique_link_target"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} ↔ {self.target_id}"


class SyncCursor(models.Model):
    """Where a flow's reads of its source stopped: saved in the same transaction as the
    records it covers."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="cursors")
    name = models.CharField(max_length=30, default="changes")  # "changes", "deleted"
    value = models.JSONField(default=dict)
    advanced_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["flow", "name"], name="unique_cursor_per_flow")
        ]

    def __str__(self) -> str:
        return f"{self.flow} {self.name}"


class PendingChange(models.Model):
    """A change waiting to be applied: from a webhook, a failed record of a run, a replay.
    Pending ones collapse per source record (the newest is read when applied). Failed ones
    wait for their next retry (`not_before`); spent ones are dead letters."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        DEAD = "dead", "Dead letter"

    class Origin(models.TextChoices):
        WEBHOOK = "webhook", "Webhook"
        RETRY = "retry", "Retry of a failed record"
        REPLAY = "replay", "Replay"

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="pending_changes")
    # Forward: a change in the flow's source system; backward: one in its target system, to
    # be written back by a two-way flow. `source_id` is the id in the system that changed.
    direction = models.CharField(
        max_length=10, choices=Run.Direction.choices, default=Run.Direction.FORWARD
    )
    source_id = models.CharField(max_length=200)
    action = models.CharField(max_length=20, default="updated")  # created/updated/deleted
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.WEBHOOK)
    event_id = models.CharField(max_length=200, blank=True, default="")
    occurred_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    # A create that timed out may have happened: look the record up before creating again.
    create_uncertain = models.BooleanField(default=False)
    last_error = models.TextField(blank=True, default="")
    error_kind = models.CharField(max_length=30, blank=True, default="")
    received_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["flow", "direction", "source_id"],
                condition=Q(status="pending"),
                name="one_pending_change_per_record_and_way",
            )
        ]
        indexes = [models.Index(fields=["status", "not_before"])]

    def __str__(self) -> str:
        return f"{self.source_id} {self.action} {self.status}"


class Conflict(models.Model):
    """A field both systems changed since it was last synced, held for a person to decide
    (the flow's or the field's policy is "review"). One open conflict per record and field."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a decision"
        RESOLVED = "resolved", "Resolved"

    class Resolution(models.TextChoices):
        SOURCE = "source", "Source value kept"
        TARGET = "target", "Target value kept"
        EDITED = "edited", "Value edited by hand"

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="conflicts")
    link = models.ForeignKey(RecordLink, on_delete=models.CASCADE, related_name="conflicts")
    # The way the run went when it held it: forward, `field` is a target-system field;
    # backward (two-way), a source-system field.
    direction = models.CharField(
        max_length=10, choices=Run.Direction.choices, default=Run.Direction.FORWARD
    )
    # The field in each system's own names: the mapping's target field and, when the reverse
    # mapping writes it back, the source field.
    field = models.CharField(max_length=200)
    source_field = models.CharField(max_length=200, blank=True, default="")
    source_value = models.JSONField(null=True, blank=True)  # mapped into the target's terms
    target_value = models.JSONField(null=True, blank=True)
    last_value = models.JSONField(null=True, blank=True)  # as last synced
    source_updated_at = models.DateTimeField(null=True, blank=True)
    target_updated_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution = models.CharField(max_length=10, choices=Resolution.choices, blank=True)
    resolved_value = models.JSONField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["link", "field"],
                condition=Q(status="open"),
                name="one_open_conflict_per_field",
            )
        ]
        indexes = [models.Index(fields=["flow", "status"])]
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.link} {self.field}: {self.status}"


class DriftReport(models.Model):
    """One reconciliation of a flow: both sides read completely and compared."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="drift_reports")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL)
    repairs = models.BooleanField(default=True)  # False: it only reported
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    message = models.TextField(blank=True, default="")
    source_count = models.PositiveIntegerField(default=0)
    target_count = models.PositiveIntegerField(default=0)
    only_in_source = models.PositiveIntegerField(default=0)
    only_in_target = models.PositiveIntegerField(default=0)
    differing = models.PositiveIntegerField(default=0)
    repaired = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.flow} drift {self.started_at:%Y-%m-%d}"


class DriftItem(models.Model):
    """One record that differs between the two sides, and whether it was repaired."""

    class Kind(models.TextChoices):
        ONLY_SOURCE = "only_source", "Only in the source"
        ONLY_TARGET = "only_target", "Only in the target"
        DIFFERS = "differs", "Fields differ"

    report = models.ForeignKey(DriftReport, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source_id = models.CharField(max_length=200, blank=True, default="")
    target_id = models.CharField(max_length=200, blank=True, default="")
    # [{"field", "source", "target"}] in the target's terms, for "differs".
    fields = models.JSONField(default=list, blank=True)
    repaired = models.BooleanField(default=False)
    note = models.TextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["report", "kind"])]
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.source_id or self.target_id}"
