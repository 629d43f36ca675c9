"""Conflicts held for review, and what one linked record went through (its provenance).

A conflict is a field both systems changed since it was last synced, found while a run was
writing one of them (`direction`): forward (writing the flow's target; `field` is a target
field) or backward (a two-way flow writing its source; `field` is a source field). Both
values are in the written system's terms, with both systems' update times where known.

Resolving one makes the winner's value flow through the runner, not around it: the link is
set so the next pass of the way that carries the winner writes it, a pending change of the
record is queued, and the change processor is enqueued once the transaction commits.
- The side read wins: the written side's value is recorded as "last synced" (as if it had
  not changed), so the held write goes ahead.
- The written side wins: the other side's history is dropped, so the way back writes every
  mapped field from the winner.
- Edited: the value is written into the written side now, then carried back as above.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.errors import IntegrationError
from integrations.providers.registry import adapter_for, get_provider
from mappings.engine.paths import compile_setter
from sync import tasks
from sync.models import Conflict, Flow, PendingChange, RecordLink, Run, RunItem

FORWARD, BACKWARD = Run.Direction.FORWARD, Run.Direction.BACKWARD
SOURCE, TARGET, EDITED = (
    Conflict.Resolution.SOURCE,
    Conflict.Resolution.TARGET,
    Conflict.Resolution.EDITED,
)
OPEN, RESOLVED = Conflict.Status.OPEN, Conflict.Status.RESOLVED
RECENT_ITEMS = 20

ALREADY_RESOLVED = "This conflict was resolved already."
WRONG_FLOW = "This conflict is not one of this flow's."
UNKNOWN_CHOICE = "Choose to keep the source value, the target value, or type a value."
EMPTY_EDIT = "Type the value to keep."
EDIT_ONE_AT_A_TIME = "Type a value for one conflict at a time."
NOTHING_CHOSEN = "Tick the conflicts to resolve."
NOT_THIS_FLOWS = "{count} of the chosen conflicts are not this flow's."
NO_WAY_BACK = "This flow does not write back: change it in the source or make the flow two-way."
TEST_MODE = (
    "This flow is in test mode and writes nothing, so the chosen value could not be "
    "written: go live first."
)
WRITE_REFUSED = "{system} refused the value: {error}"

# What each side's reads left on the link: while they match, a pass reading that side
# finds the record unchanged and writes nothing. Cleared to make the next pass decide.
READ_MARKS = {
    "source": {"source_hash": "", "mapped_hash": "", "mapped_tags": []},
    "target": {"target_record_hash": "", "target_image_hash": ""},
}


def _other(side: str) -> str:
    return "target" if side == "source" else "source"


def conflict_way(conflict: Conflict) -> str:
    """The way the run was going when it held the conflict (FORWARD: `field` is a field of
    the target system; BACKWARD: of the source system)."""
    return conflict.direction


def written_side(conflict: Conflict) -> str:
    """The system whose field it is ("target" or "source")."""
    return "target" if conflict_way(conflict) == FORWARD else "source"


def edit_value(value, *, like: list) -> object:
    """What a person typed, as the field takes it: for a list field (one of `like`, the
    conflict's values, is a list) a JSON list or names separated by commas; else the text."""
    if not isinstance(value, str):
        if value is None or value == []:
            raise ValidationError(EMPTY_EDIT)
        return value
    text = value.strip()
    if not text:
        raise ValidationError(EMPTY_EDIT)
    if not any(isinstance(v, list) for v in like):
        return text
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v).strip() for v in parsed if str(v).strip()]
    return [name.strip() for name in text.split(",") if name.strip()]


# --- resolving ------------------------------------------------------------------------------
def flow_is_two_way(flow: Flow) -> bool:
    return flow.direction == Flow.Direction.TWO_WAY and bool(flow.reverse_mapping_id)


def _write(flow: Flow, side: str, link: RecordLink, field: str, value) -> None:
    """`value` into `field` of the linked record on `side`, through that system's adapter."""
    connection = flow.target_connection if side == "target" else flow.source_connection
    record_id = link.target_id if side == "target" else link.source_id
    payload: dict = {}
    compile_setter(field)(payload, value)  # "billingPerson.name" -> {"billingPerson": {...}}
    try:
        adapter_for(connection, flow.object_type).update(record_id, payload)
    except IntegrationError as error:
        system = get_provider(connection.provider).name
        raise ValidationError(WRITE_REFUSED.format(system=system, error=error)) from None


def _change_queue(flow: Flow, *, direction: str, record_id: str) -> None:
    """A pending change of the record, read again from the system that changed when it is
    applied. One already waiting is touched instead, so a worker applying it right now
    hands it back afterwards (see triggers.pending_changes_release)."""
    for _ in range(2):  # a webhook of the same record may create it first
        try:
            with transaction.atomic():
                change = (
                    PendingChange.objects.select_for_update()
                    .filter(
                        flow=flow,
                        direction=direction,
                        source_id=record_id,
                        status=PendingChange.Status.PENDING,
                    )
                    .first()
                )
                if change is None:
                    PendingChange.objects.create(
                        flow=flow,
                        direction=direction,
                        source_id=record_id,
                        action="updated",
                        origin=PendingChange.Origin.REPLAY,
                        occurred_at=timezone.now(),
                    )
                else:
                    change.save(update_fields=["updated_at"])
                return
        except IntegrityError:
            continue
    raise RuntimeError(f"Could not queue the change of {record_id} for flow {flow.pk}")


def _entry(value, conflict: Conflict, now: datetime) -> dict:
    """A provenance entry set by a person's decision, not by a run."""
    at = now.isoformat(timespec="seconds")
    return {"value": value, "run": None, "at": at, "version": None, "conflict": conflict.pk}


@transaction.atomic
def _resolve(*, conflict: Conflict, choice: str, value, user, flow: Flow | None) -> bool:
    """Resolve one conflict; True when a pending change was queued (the caller enqueues)."""
    if flow is not None and conflict.flow_id != flow.pk:
        raise ValidationError(WRONG_FLOW)
    conflict = (
        Conflict.objects.select_for_update(of=("self",))
        .select_related("flow__source_connection", "flow__target_connection")
        .select_related("flow__mapping", "flow__reverse_mapping")
        .get(pk=conflict.pk)
    )
    if conflict.status != OPEN:
        raise ValidationError(ALREADY_RESOLVED)
    if choice not in Conflict.Resolution.values:
        raise ValidationError(UNKNOWN_CHOICE)
    flow = conflict.flow
    if not flow.is_live:
        raise ValidationError(TEST_MODE)
    written = written_side(conflict)
    read = _other(written)
    values = {"source": conflict.source_value, "target": conflict.target_value}
    if choice == EDITED:
        value = edit_value(value, like=[*values.values(), conflict.last_value])
        values[EDITED] = value
    # The side whose value travels to the other, by a pending change of the way reading it
    # (None: an edit of a one-way flow's target is done once written).
    carry = choice
    if choice == EDITED:
        carry = written if written == "source" or flow_is_two_way(flow) else None
    if carry == "target" and not flow_is_two_way(flow):
        raise ValidationError(NO_WAY_BACK)

    link = RecordLink.objects.select_for_update().get(pk=conflict.link_id)
    provenance = copy.deepcopy(link.provenance or {})
    now = timezone.now()
    if choice == read:
        # As if the written side had not changed: the held write of the read value goes.
        provenance.setdefault(written, {})[conflict.field] = _entry(values[written], conflict, now)
    else:
        if choice == EDITED:
            _write(flow, written, link, conflict.field, value)
            provenance.setdefault(written, {})[conflict.field] = _entry(value, conflict, now)
        if carry is not None:
            provenance.pop(read, None)  # no history there: the way back writes every field
    link.provenance = provenance
    changed = ["provenance"]
    if carry is not None:
        for name, empty in READ_MARKS[carry].items():
            setattr(link, name, copy.copy(empty))
            changed.append(name)
    link.save(update_fields=changed)
    if carry is not None:
        direction = FORWARD if carry == "source" else BACKWARD
        record_id = link.source_id if carry == "source" else link.target_id
        _change_queue(flow, direction=direction, record_id=record_id)

    conflict.status = RESOLVED
    conflict.resolution = choice
    conflict.resolved_value = values[choice]
    conflict.resolved_by = user
    conflict.resolved_at = now
    conflict.full_clean()
    conflict.save()
    return carry is not None


def conflict_resolve(
    *, conflict: Conflict, choice: str, value=None, user, flow: Flow | None = None
) -> Conflict:
    """Keep the source value (`choice` "source"), the target value ("target"), or `value`
    ("edited": text as typed, see `edit_value`). `flow`, when given, must be the
    conflict's. Raises ValidationError with a message for a person."""
    if _resolve(conflict=conflict, choice=choice, value=value, user=user, flow=flow):
        tasks.changes_process.delay_on_commit(conflict.flow_id)
    conflict.refresh_from_db()
    return conflict


@dataclass
class BulkResolution:
    resolved: int
    problems: list[str]


def conflicts_resolve(*, flow: Flow, ids: list[int], choice: str, user) -> BulkResolution:
    """One choice ("source" or "target") for many conflicts of the flow, each resolved on
    its own: those that cannot be are counted in `problems`, the rest still go."""
    if choice == EDITED:
        raise ValidationError(EDIT_ONE_AT_A_TIME)
    if choice not in (SOURCE, TARGET):
        raise ValidationError(UNKNOWN_CHOICE)
    if not ids:
        raise ValidationError(NOTHING_CHOSEN)
    conflicts = list(flow.conflicts.filter(pk__in=ids).order_by("pk"))
    problems, refused = [], Counter()
    missing = len(set(ids)) - len(conflicts)
    if missing:
        problems.append(NOT_THIS_FLOWS.format(count=missing))
    resolved, queued = 0, False
    for conflict in conflicts:
        try:
            queued |= _resolve(conflict=conflict, choice=choice, value=None, user=user, flow=flow)
        except ValidationError as error:
            refused[" ".join(error.messages)] += 1
        else:
            resolved += 1
    if queued:
        tasks.changes_process.delay_on_commit(flow.pk)
    problems += [f"{text} ({n} conflict{'s' if n > 1 else ''})" for text, n in refused.items()]
    return BulkResolution(resolved=resolved, problems=problems)


# --- reading --------------------------------------------------------------------------------
def conflicts_for_flow(*, flow: Flow, status: str = OPEN) -> QuerySet[Conflict]:
    return flow.conflicts.filter(status=status).select_related("link", "resolved_by")


def conflict_for_flow(*, flow: Flow, conflict_id: int) -> Conflict | None:
    return flow.conflicts.filter(pk=conflict_id).first()


def conflict_counts(*, flow: Flow) -> dict[str, int]:
    """{"open": n, "resolved": m} in one query."""
    rows = flow.conflicts.values("status").annotate(n=Count("pk"))
    counts = {OPEN.value: 0, RESOLVED.value: 0}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def conflicts_open_count(*, flow: Flow) -> int:
    return flow.conflicts.filter(status=OPEN).count()


def conflict_rows(conflicts) -> list[dict]:
    """Each conflict (of one flow: `conflicts_for_flow`, whose rows share the flow instance
    and so its mappings) with what the page says about it: whose field it is, and whether
    its values are lists (an edit then takes names separated by commas)."""
    rows = []
    for conflict in conflicts:
        values = (conflict.source_value, conflict.target_value, conflict.last_value)
        rows.append(
            {
                "conflict": conflict,
                "side": written_side(conflict),
                "is_list": any(isinstance(v, list) for v in values),
            }
        )
    return rows


def link_for_flow(*, flow: Flow, link_id: int) -> RecordLink:
    """The flow's link (RecordLink.DoesNotExist for another flow's)."""
    return flow.links.select_related("last_run").get(pk=link_id)


def link_provenance(*, link: RecordLink) -> dict[str, list[dict]]:
    """Per side ("target", "source"), each field's last value as synced: the value, the run
    that wrote it (`run_id`; `run_kept` while the run is not pruned), when, under which
    mapping version, or the conflict whose resolution set it. Sorted by field."""
    sides = {}
    run_ids = set()
    for side in ("target", "source"):
        entries = (link.provenance or {}).get(side) or {}
        rows = []
        for name, entry in sorted(entries.items()):
            entry = entry if isinstance(entry, dict) else {"value": entry}
            run_id = entry.get("run") if isinstance(entry.get("run"), int) else None
            at = entry.get("at")
            rows.append(
                {
                    "field": name,
                    "value": entry.get("value"),
                    "run_id": run_id,
                    "at": parse_datetime(at) if isinstance(at, str) else None,
                    "version": entry.get("version"),
                    "conflict_id": entry.get("conflict"),
                }
            )
            if run_id:
                run_ids.add(run_id)
        sides[side] = rows
    kept = set(
        Run.objects.filter(flow_id=link.flow_id, pk__in=run_ids).values_list("pk", flat=True)
    )
    for rows in sides.values():
        for row in rows:
            row["run_kept"] = row["run_id"] in kept
    return sides


def link_run_items(*, link: RecordLink, limit: int = RECENT_ITEMS) -> list[RunItem]:
    """What the flow's runs did to this record, either way, newest first."""
    either_way = Q(direction=FORWARD, source_id=link.source_id) | Q(
        direction=BACKWARD, source_id=link.target_id
    )
    items = RunItem.objects.filter(either_way, run__flow_id=link.flow_id)
    return list(items.select_related("run").order_by("-pk")[:limit])


def link_open_conflicts(*, link: RecordLink) -> list[Conflict]:
    return list(link.conflicts.filter(status=OPEN))
