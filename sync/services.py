"""Writing flows: create, edit, go live (only with a healthy mapping), pause, resume."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Workspace
from integrations.models import Connection
from integrations.providers.registry import get_provider
from mappings.checks import mapping_ready_for_live
from mappings.models import Mapping
from mappings.services import mapping_create
from sync import actions
from sync.models import Flow, PendingChange

FLOW_FIELDS = (
    "name",
    "source_connection",
    "target_connection",
    "object_type",
    "mapping",
    "trigger_webhook",
    "poll_minutes",
    "schedule_time",
    "schedule_timezone",
    "actions",
    "delete_policy",
    "match_by",
    "direction",
    "reverse_mapping",
    "conflict_policy",
    "field_policies",
    "reconcile_time",
    "reconcile_repairs",
)


def flow_problems(flow: Flow) -> dict[str, list[str]]:
    """Why a flow cannot be saved as it is, per field, in words that say what to fix."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    source, target, mapping = flow.source_connection, flow.target_connection, flow.mapping
    workspace_id = flow.workspace_id
    for field, connection in (("source_connection", source), ("target_connection", target)):
        if connection is not None and connection.workspace_id != workspace_id:
            add(field, "Choose a connection of this workspace.")
    if source is not None and target is not None and source.pk == target.pk:
        add("target_connection", "The target must be another connection than the source.")
    if mapping is not None:
        if mapping.workspace_id != workspace_id:
            add("mapping", "Choose a mapping of this workspace.")
        if source is not None and mapping.source_provider != source.provider:
            add("mapping", f"This mapping reads {mapping.source_provider}, not {source.provider}.")
        if target is not None and mapping.target_provider != target.provider:
            add("mapping", f"This mapping writes {mapping.target_provider}, not {target.provider}.")
    if source is not None:
        provider = get_provider(source.provider)
        if flow.object_type not in {str(t) for t in provider.adapters}:
            add("object_type", f"{provider.name} has no {flow.object_type} records to sync.")
        if flow.trigger_webhook and not provider.capabilities.sends_webhooks:
            add("trigger_webhook", f"{provider.name} sends no webhooks: poll it instead.")
    if (
        flow.delete_policy == Flow.DeletePolicy.ARCHIVE
        and target is not None
        and not actions.can_archive(target.provider)
    ):
        add(
            "delete_policy",
            f"{get_provider(target.provider).name} records cannot be archived: choose to "
            "delete them too, or to ignore deletes.",
        )
    if flow.poll_minutes is not None and not 1 <= flow.poll_minutes <= 24 * 60:
        add("poll_minutes", "Poll every 1 to 1,440 minutes.")
    for message in actions.actions_problems(
        flow.actions, target.provider if target else "", source.provider if source else ""
    ):
        add("actions", message)
    _two_way_problems(flow, add)
    return problems


def _two_way_problems(flow: Flow, add) -> None:
    reverse = flow.reverse_mapping
    source, target = flow.source_connection, flow.target_connection
    if flow.direction != Flow.Direction.TWO_WAY:
        return
    if reverse is None:
        add(
            "reverse_mapping",
            "A two-way flow needs a mapping back, from the target system to the source.",
        )
        return
    if reverse.workspace_id != flow.workspace_id:
        add("reverse_mapping", "Choose a mapping of this workspace.")
    if target is not None and reverse.source_provider != target.provider:
        add("reverse_mapping", f"The mapping back must read {target.provider}.")
    if source is not None and reverse.target_provider != source.provider:
        add("reverse_mapping", f"The mapping back must write {source.provider}.")
    if target is not None and flow.trigger_webhook:
        target_provider = get_provider(target.provider)
        if not target_provider.capabilities.sends_webhooks:
            add(
                "trigger_webhook",
                f"{target_provider.name} sends no webhooks, so its changes cannot come back by "
                "webhook: poll instead.",
            )
    policies = set(Flow.ConflictPolicy.values)
    if not isinstance(flow.field_policies, dict):
        add("field_policies", "Field policies are a list of field → policy.")
        return
    for name, policy in flow.field_policies.items():
        if policy not in policies:
            add(
                "field_policies",
                f"“{name}”: {policy!r} is not a policy; use one of {', '.join(sorted(policies))}.",
            )


@transaction.atomic
def flow_create(*, workspace: Workspace, **fields) -> Flow:
    """A new flow starts in test mode: it can only dry-run until it goes live."""
    flow = Flow(workspace=workspace, mode=Flow.Mode.TEST, **fields)
    problems = flow_problems(flow)
    if problems:
        raise ValidationError(problems)
    flow.full_clean()
    flow.save()
    return flow


@transaction.atomic
def flow_update(*, flow: Flow, **fields) -> Flow:
    for name, value in fields.items():
        if name not in FLOW_FIELDS:
            raise ValueError(f"{name} is not a flow setting")
        setattr(flow, name, value)
    problems = flow_problems(flow)
    if problems:
        raise ValidationError(problems)
    flow.full_clean()
    flow.save()
    return flow


def flow_live_problems(flow: Flow) -> list[str]:
    """Why this flow may not go live (empty: it may). Checks the mappings fresh: their rules,
    their fields against both systems now, and their mapping tests."""
    problems = list(mapping_ready_for_live(mapping=flow.mapping))
    if flow.direction == Flow.Direction.TWO_WAY and flow.reverse_mapping is not None:
        problems += [
            f"mapping back: {problem}"
            for problem in mapping_ready_for_live(mapping=flow.reverse_mapping)
        ]
    for connection in (flow.source_connection, flow.target_connection):
        if connection.status in (Connection.Status.NEEDS_RECONNECT, Connection.Status.DISABLED):
            problems.append(f"connection: “{connection}” is {connection.get_status_display()}.")
    return problems


@transaction.atomic
def flow_set_mode(*, flow: Flow, mode: str) -> Flow:
    if mode == Flow.Mode.LIVE:
        problems = flow_live_problems(flow)
        if problems:
            raise ValidationError({"mode": problems})
    flow.mode = mode
    flow.save(update_fields=["mode", "updated_at"])
    return flow


def flow_pause(*, flow: Flow, reason: str = "") -> Flow:
    flow.enabled = False
    flow.paused_reason = reason
    flow.save(update_fields=["enabled", "paused_reason", "updated_at"])
    return flow


def flow_resume(*, flow: Flow) -> Flow:
    flow.enabled = True
    flow.paused_reason = ""
    flow.save(update_fields=["enabled", "paused_reason", "updated_at"])
    return flow


def flow_delete(*, flow: Flow) -> None:
    flow.delete()


def mappings_for_pair(*, workspace: Workspace, source: Connection, target: Connection):
    return Mapping.objects.filter(
        workspace=workspace, source_provider=source.provider, target_provider=target.provider
    )


# --- used by the flow pages (sync/views) ------------------------------------------------------
def _free_mapping_name(workspace: Workspace, base: str) -> str:
    taken = {
        name.lower()
        for name in Mapping.objects.filter(
            workspace=workspace, name__istartswith=base[:90]
        ).values_list("name", flat=True)
    }
    name, number = base[:100], 2
    while name.lower() in taken:
        name = f"{base[:90]} ({number})"
        number += 1
    return name


def _mapping_from_preset(
    *,
    workspace: Workspace,
    user,
    reads: Connection,
    writes: Connection,
    object_type: str,
    field: str,
) -> Mapping:
    """A new mapping from `reads`'s system to `writes`'s, started from the preset for the
    pair; a refusal is reported on the flow form's `field`."""
    try:
        return mapping_create(
            workspace=workspace,
            user=user,
            name=_free_mapping_name(workspace, f"{reads.name} → {writes.name}"),
            source_provider=reads.provider,
            target_provider=writes.provider,
            object_type=object_type or "contact",
            start="preset",
            source_connection=reads,
            target_connection=writes,
        )
    except ValidationError as error:
        messages = getattr(error, "message_dict", {}).get("start") or error.messages
        raise ValidationError({field: messages}) from None


def reverse_mapping_from_preset(
    *, workspace: Workspace, user, source: Connection, target: Connection, object_type: str
) -> Mapping:
    """The mapping back of a two-way flow (target system → source system), new from the
    preset for that pair."""
    return _mapping_from_preset(
        workspace=workspace,
        user=user,
        reads=target,
        writes=source,
        object_type=object_type,
        field="reverse_mapping",
    )


def _with_reverse_preset(workspace: Workspace, user, fields: dict) -> dict:
    """`fields` with reverse_mapping="preset" replaced by a new mapping from the preset."""
    if fields.get("reverse_mapping") != "preset":
        return fields
    return {
        **fields,
        "reverse_mapping": reverse_mapping_from_preset(
            workspace=workspace,
            user=user,
            source=fields["source_connection"],
            target=fields["target_connection"],
            object_type=fields.get("object_type") or "contact",
        ),
    }


@transaction.atomic
def flow_create_with_mappings(*, workspace: Workspace, user, **fields) -> Flow:
    """A flow, with new mappings from the presets where the form asked for them: the
    forward one (no `mapping` given) and the one back (reverse_mapping="preset")."""
    fields = _with_reverse_preset(workspace, user, fields)
    if "mapping" in fields:
        return flow_create(workspace=workspace, **fields)
    return flow_create_with_preset(workspace=workspace, user=user, **fields)


@transaction.atomic
def flow_update_with_mappings(*, flow: Flow, user, **fields) -> Flow:
    return flow_update(flow=flow, **_with_reverse_preset(flow.workspace, user, fields))


@transaction.atomic
def flow_create_with_preset(*, workspace: Workspace, user, **fields) -> Flow:
    """A flow and, with it, a new mapping started from the preset for its two systems."""
    mapping = _mapping_from_preset(
        workspace=workspace,
        user=user,
        reads=fields["source_connection"],
        writes=fields["target_connection"],
        object_type=fields.get("object_type") or "contact",
        field="mapping",
    )
    return flow_create(workspace=workspace, **{**fields, "mapping": mapping})


@transaction.atomic
def dead_letters_replay(*, flow: Flow, ids: list[int] | None = None) -> int:
    """Dead letters of this flow (those ids, or all) are pending again, due now, as replays.
    A record that already has a pending change keeps that one (it reads the newest state
    anyway), made due now; the dead letter is then done. Returns how many were replayed."""
    dead = flow.pending_changes.select_for_update().filter(status=PendingChange.Status.DEAD)
    if ids is not None:
        dead = dead.filter(pk__in=ids)
    dead = list(dead)
    # A record's changes are kept per way: a two-way flow's target changes go back.
    pending = {
        (change.direction, change.source_id): change
        for change in flow.pending_changes.filter(
            status=PendingChange.Status.PENDING, source_id__in=[d.source_id for d in dead]
        )
    }
    now = timezone.now()
    for change in dead:
        key = (change.direction, change.source_id)
        if key in pending:
            pending[key].not_before = None
            pending[key].save(update_fields=["not_before", "updated_at"])
            change.status = PendingChange.Status.DONE
            change.save(update_fields=["status", "updated_at"])
            continue
        change.status = PendingChange.Status.PENDING
        change.origin = PendingChange.Origin.REPLAY
        change.not_before = None
        change.attempts = 0
        change.occurred_at = change.occurred_at or now
        change.save()
        pending[key] = change
    return len(dead)
