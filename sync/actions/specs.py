"""A flow's own actions as data: one pydantic model per action type, the catalogue the
operations page shows (`ACTION_TYPES`) and `actions_problems`, which says per action what to
fix, in words.

A flow stores its actions as a JSON list, e.g.
    [{"type": "create_task", "title": "Welcome {{firstName}}", "due_in_days": 3, "on": "created"},
     {"type": "add_tags", "tags": ["synced"]},
     {"type": "archive", "tag": "archived", "tasks": "complete"}]
`on` says after which writes an action runs: "created", "updated" or "always" (both).
`archive` is not run after writes: it says how a delete is archived (delete policy "archive").
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from integrations.errors import ConfigError
from integrations.providers.base import UnknownProvider
from integrations.providers.registry import all_providers, get_provider

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
When = Literal["created", "updated", "always"]
HIGHLEVEL = "highlevel"
# A platform's one free-text note per customer (its `has_notes`), where copy_appointments
# and enrich write when the action names no field.
NOTE_FIELDS = {
    "shift4shop": "Comments",
    "cin7": "Comments",
    "ecwid": "privateAdminNotes",
    "orderspace": "internal_note",
}
ON_HELP = 'After which writes it runs: "created", "updated" or "always".'
TEMPLATE_HELP = "{{field}} is filled from the record written (or the source record)."


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: ClassVar[str]
    description: ClassVar[str]
    # Which connection the action works on, which system that must be, and the scope it needs
    # there; `reads_source` actions also read the source (which must be HighLevel).
    works_on: ClassVar[str] = "target"
    needs: ClassVar[str] = "HighLevel target"
    scope: ClassVar[str] = "contacts.write"
    reads_source: ClassVar[bool] = False


class _AfterWrite(_Action):
    on: When = Field("always", description=ON_HELP)


class CreateTask(_AfterWrite):
    label = "Create a task"
    description = "A task on the HighLevel contact, due some days after the write."
    type: Literal["create_task"]
    title: Text = Field(description="The task's title. " + TEMPLATE_HELP)
    body: str = Field("", description="The task's description. " + TEMPLATE_HELP)
    due_in_days: int = Field(0, ge=0, le=365, description="Due this many days later (0-365).")
    assigned_to: str | None = Field(None, description="A HighLevel user id to assign it to.")
    on: When = Field("created", description=ON_HELP)


class AddTags(_AfterWrite):
    label = "Add tags"
    description = "Adds tags to the HighLevel contact (tags it has already are left alone)."
    type: Literal["add_tags"]
    tags: list[Text] = Field(min_length=1, description="The tags. " + TEMPLATE_HELP)


class RemoveTags(_AfterWrite):
    label = "Remove tags"
    description = "Takes tags off the HighLevel contact."
    type: Literal["remove_tags"]
    tags: list[Text] = Field(min_length=1, description="The tags. " + TEMPLATE_HELP)


class AddNote(_AfterWrite):
    label = "Add a note"
    description = "A note on the HighLevel contact; never the same note twice."
    type: Literal["add_note"]
    body: Text = Field(description="The note. " + TEMPLATE_HELP)


class CompleteTasks(_AfterWrite):
    label = "Complete open tasks"
    description = "Marks every open task of the HighLevel contact completed."
    type: Literal["complete_tasks"]


class CopyAppointments(_AfterWrite):
    label = "Copy appointments"
    description = (
        "Reads the HighLevel contact's appointments and writes them, as text, into the "
        "platform customer's note field (its own section; the rest of the note is kept)."
    )
    works_on = "source and target"
    needs = "HighLevel source, platform target with a note field"
    scope = "contacts.readonly"
    reads_source = True
    type: Literal["copy_appointments"]
    field: str | None = Field(None, description="The platform's note field (default: its note).")


class Enrich(_AfterWrite):
    label = "Profile into the note"
    description = (
        "One profile text from the HighLevel contact, its open tasks, its notes and its "
        "business, written into the platform customer's note field (its own section)."
    )
    works_on = "source and target"
    needs = "HighLevel source, platform target with a note field"
    scope = "contacts.readonly"
    reads_source = True
    type: Literal["enrich"]
    field: str | None = Field(None, description="The platform's note field (default: its note).")


class Archive(_Action):
    label = "How to archive"
    description = (
        "With the delete policy “archive”: the tag added to a contact deleted in the source, "
        "what happens to its open tasks, and the note left on it."
    )
    type: Literal["archive"]
    tag: Text = Field("archived", description="The tag that marks it archived.")
    tasks: Literal["complete", "delete"] = Field("complete", description="Its open tasks.")
    note: Text = Field(
        "Archived: deleted in {{source}} on {{date}}",
        description="The note; {{source}} is the source system, {{date}} today.",
    )


MODELS: dict[str, type[_Action]] = {
    get_args(model.model_fields["type"].annotation)[0]: model
    for model in (
        CreateTask,
        AddTags,
        RemoveTags,
        AddNote,
        CompleteTasks,
        CopyAppointments,
        Enrich,
        Archive,
    )
}


def _fields(model: type[_Action]) -> list[dict[str, Any]]:
    fields = []
    for name, info in model.model_fields.items():
        if name == "type":
            continue
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        fields.append(
            {
                "name": name,
                "required": info.is_required(),
                "default": default,
                "help": info.description or "",
            }
        )
    return fields


def _targets(model: type[_Action]) -> list[str]:
    """The target systems (provider keys) a flow with this action may write into."""
    if model.reads_source:
        return [p.key for p in all_providers() if p.key != HIGHLEVEL and p.capabilities.has_notes]
    return [HIGHLEVEL]


# The operations catalogue: every action type with its words, what it needs (in words, and
# as provider keys: `targets`, `sources`), the scope it needs and its fields.
ACTION_TYPES: dict[str, dict[str, Any]] = {
    key: {
        "label": model.label,
        "description": model.description,
        "works_on": model.works_on,
        "needs": model.needs,
        "targets": _targets(model),
        "sources": [HIGHLEVEL] if model.reads_source else None,
        "scope": model.scope,
        "after_write": issubclass(model, _AfterWrite),
        "fields": _fields(model),
    }
    for key, model in MODELS.items()
}


def _name(provider: str) -> str:
    try:
        return get_provider(provider).name
    except UnknownProvider:
        return provider


def _error_text(model: type[_Action], error: dict) -> str:
    loc = [str(part) for part in error["loc"]]
    field = loc[0] if loc else ""
    where = ".".join(loc)
    kind = error["type"]
    if kind == "missing":
        return f"{field} is required."
    if kind == "extra_forbidden":
        known = ", ".join(f["name"] for f in _fields(model)) or "nothing but its type"
        return f"{field} is not a setting of this action (it takes {known})."
    if field == "due_in_days":
        return "due_in_days must be a whole number of days from 0 to 365."
    if kind == "literal_error":
        return f"{where} must be {error['ctx']['expected']}."
    if kind == "string_too_short":
        return f"{where} must not be blank."
    if kind == "too_short":
        return f"{where} needs at least one entry."
    return f"{where}: {error['msg']}."


def _target_problem(model: _Action, target: str, source: str) -> str:
    """Why the flow's systems cannot do this action ("" when they can)."""
    if isinstance(model, CopyAppointments | Enrich):
        if source and source != HIGHLEVEL:
            return "it reads the contact from HighLevel, so the flow's source must be HighLevel."
        if not target:
            return ""
        if target == HIGHLEVEL:
            return "it writes into a platform customer's note field; this flow writes HighLevel."
        try:
            provider = get_provider(target)
        except UnknownProvider:
            return f"{target} is not a system ContactBridge knows."
        if not provider.capabilities.has_notes:
            return f"{provider.name} customers have no note field to write it into."
        field = model.field or NOTE_FIELDS.get(target, "")
        paths = {spec.path for spec in provider.field_catalogue(None)}
        if field not in paths:
            suggestion = NOTE_FIELDS.get(target)
            hint = f" (its note field is {suggestion})" if suggestion else ""
            return f"{provider.name} has no field “{field}”{hint}."
        return ""
    if not target or target == HIGHLEVEL:
        return ""
    name = _name(target)
    if isinstance(model, CreateTask | CompleteTasks):
        return f"{name} has no tasks: tasks are HighLevel's (use this on a flow into HighLevel)."
    if isinstance(model, AddTags | RemoveTags):
        return f"{name} tags are not changed by actions: map them in the mapping instead."
    if isinstance(model, AddNote):
        return f"{name} has no notes to add: map its note field in the mapping instead."
    if isinstance(model, Archive):
        return (
            f"{name} records cannot be archived (tag, tasks, note are HighLevel's); "
            "deletes there are deleted or deactivated instead."
        )
    return ""


def parse_actions(
    specs: Any, target_provider: str = "", source_provider: str = ""
) -> tuple[list[_Action], list[str]]:
    """(the valid actions, in order; the problems, one sentence each, naming the action)."""
    if specs in (None, []):
        return [], []
    if not isinstance(specs, list):
        return [], ["Actions must be a list of actions."]
    actions: list[_Action] = []
    problems: list[str] = []
    archives = 0
    for number, spec in enumerate(specs, start=1):
        kind = spec.get("type") if isinstance(spec, dict) else None
        where = f"Action {number}" + (f" ({kind})" if isinstance(kind, str) and kind else "")
        if not isinstance(spec, dict):
            problems.append(f"{where}: must be an object with a type.")
            continue
        model = MODELS.get(kind) if isinstance(kind, str) else None
        if model is None:
            known = ", ".join(MODELS)
            said = f"unknown type “{kind}”" if kind else "it has no type"
            problems.append(f"{where}: {said}; use one of {known}.")
            continue
        try:
            action = model.model_validate(spec)
        except ValidationError as error:
            problems.extend(f"{where}: {_error_text(model, e)}" for e in error.errors())
            continue
        reason = _target_problem(action, target_provider, source_provider)
        if reason:
            problems.append(f"{where}: this flow cannot do it: {reason}")
            continue
        if isinstance(action, Archive):
            archives += 1
            if archives > 1:
                problems.append(f"{where}: a flow archives one way: keep one archive action.")
                continue
        actions.append(action)
    return actions, problems


def actions_problems(specs: Any, target_provider: str, source_provider: str = "") -> list[str]:
    """What to fix in a flow's actions, per action ([] when they are all fine).
    `source_provider`, when given, is checked too (appointments come from HighLevel)."""
    return parse_actions(specs, target_provider, source_provider)[1]


@lru_cache(maxsize=128)
def _parsed(specs_json: str, target: str, source: str) -> tuple[tuple[_Action, ...], str]:
    actions, problems = parse_actions(json.loads(specs_json), target, source)
    return tuple(actions), " ".join(problems)


def valid_actions(flow) -> list[_Action]:
    """The flow's actions, or ConfigError saying what to fix (never half of them). Parsed
    once per distinct list: the runner asks for every record it writes."""
    specs_json = json.dumps(flow.actions, sort_keys=True, default=str)
    actions, problems = _parsed(
        specs_json, flow.target_connection.provider, flow.source_connection.provider
    )
    if problems:
        raise ConfigError("This flow's actions need fixing: " + problems)
    return list(actions)


def archive_settings(flow) -> Archive:
    """The flow's archive action, or the defaults (tag "archived", complete tasks, a note)."""
    for action in valid_actions(flow):
        if isinstance(action, Archive):
            return action
    return Archive(type="archive")
