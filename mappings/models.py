"""Mappings as stored: the spec the pure engine (`mappings.engine`) compiles, its versions,
the sample records previews run on, and the mapping tests that guard it."""

from django.conf import settings
from django.db import models

from integrations.providers.keys import provider_choices


class Mapping(models.Model):
    class ObjectType(models.TextChoices):
        CONTACT = "contact", "Contact / customer"
        TASK = "task", "Task"
        NOTE = "note", "Note"
        TAG_SET = "tag_set", "Tag set"

    class Direction(models.TextChoices):
        TO_TARGET = "to_target", "Source → target"

    workspace = models.ForeignKey(
        "accounts.Workspace", on_delete=models.CASCADE, related_name="mappings"
    )
    name = models.CharField(max_length=100)
    source_provider = models.CharField(max_length=30, choices=provider_choices)
    target_provider = models.CharField(max_length=30, choices=provider_choices)
    object_type = models.CharField(
        max_length=20, choices=ObjectType.choices, default=ObjectType.CONTACT
    )
    direction = models.CharField(
        max_length=20, choices=Direction.choices, default=Direction.TO_TARGET
    )
    # Optional connections: where live previews fetch sample records and where the field
    # catalogues (custom fields included) come from. The mapping outlives them.
    source_connection = models.ForeignKey(
        "integrations.Connection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    target_connection = models.ForeignKey(
        "integrations.Connection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The current spec ({"rules": [...], "record_condition": ...}); every save also writes a
    # MappingVersion, which runs record, so "what did run 812 use?" always has an answer.
    spec = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=0)
    # Problems found on the last save or drift check (validation, drift, failing tests):
    # [{"rule": id, "field": path, "reason": text, "kind": "spec"|"drift"|"test"}].
    problems = models.JSONField(default=list, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="unique_mapping_name")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def rules(self) -> list[dict]:
        return self.spec.get("rules", [])

    @property
    def is_healthy(self) -> bool:
        """False while a rule is broken, a field drifted away or a mapping test fails: a flow
        may not go live (or write) with it."""
        return not self.problems


class MappingVersion(models.Model):
    mapping = models.ForeignKey(Mapping, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    spec = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    summary = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mapping", "number"], name="unique_mapping_version")
        ]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.mapping} v{self.number}"


class MappingSample(models.Model):
    """A source record saved for previews (typed in, or fetched from the source connection)."""

    mapping = models.ForeignKey(Mapping, on_delete=models.CASCADE, related_name="samples")
    name = models.CharField(max_length=100)
    record = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name


class MappingTest(models.Model):
    """An input with the output it must produce; all of a mapping's tests run on every save."""

    mapping = models.ForeignKey(Mapping, on_delete=models.CASCADE, related_name="tests")
    name = models.CharField(max_length=100)
    source_record = models.JSONField()
    # The target's current values (None: the record is new, so "only when creating" applies).
    current_record = models.JSONField(null=True, blank=True)
    expected_payload = models.JSONField()
    passed = models.BooleanField(null=True)  # None: not run yet
    # [{"field": path, "expected": value, "actual": value}] plus engine problems, last run.
    differences = models.JSONField(default=list, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mapping", "name"], name="unique_mapping_test_name")
        ]
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.name
