"""Words for the flow pages: durations, diff values, error kinds."""

import json

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from sync.models import RunItem

register = template.Library()

ERROR_KINDS = {
    "rate_limited": "Rate limited",
    "transient": "Temporary error",
    "network": "Network error",
    "server": "Server error",
    "scope": "Missing permission",
    "auth": "Sign-in refused",
    "not_found": "Not found",
    "validation": "Rejected as invalid",
    "rejected": "Rejected",
    "mapping": "Mapping problem",
    "internal": "Internal error",
}


@register.filter
def seconds_words(seconds) -> str:
    """95 -> "1 min 35 s"; 7260 -> "2 h 1 min"; None -> "—"."""
    if seconds is None or seconds == "":
        return "—"
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@register.filter
def diff_value(value) -> str:
    """A value of a field before or after a write, as a person reads it."""
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@register.filter
def error_kind_words(kind: str) -> str:
    if not kind:
        return ""
    return ERROR_KINDS.get(kind, kind.replace("_", " ").capitalize())


# A dry run writes nothing: its outcomes are what a live run would do.
DRY_RUN_OUTCOMES = {
    "created": "Would create",
    "updated": "Would update",
    "deleted": "Would delete",
    "archived": "Would archive",
}


@register.filter
def outcome_words(outcome: str, dry_run: bool = False) -> str:
    """A record's outcome as a heading: "Created", or in a dry run "Would create"."""
    if dry_run and outcome in DRY_RUN_OUTCOMES:
        return DRY_RUN_OUTCOMES[outcome]
    return dict(RunItem.Outcome.choices).get(outcome, str(outcome).replace("_", " ").capitalize())


@register.filter
def run_duration(run) -> str:
    """How long a run took (or has taken so far); "—" before it started."""
    if not run.started_at:
        return "—"
    end = run.finished_at or timezone.now()
    return seconds_words((end - run.started_at).total_seconds())


@register.filter
def change_words(action: str) -> str:
    """A pending change's action ("created", "updated", "deleted") as a heading."""
    return {"created": "Created", "updated": "Updated", "deleted": "Deleted"}.get(
        action, action.replace("_", " ").capitalize()
    )


@register.filter
def ago(moment) -> str:
    """ "just now", or "5 minutes ago" (the largest unit or two, as Django's timesince)."""
    if moment is None:
        return ""
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment)} ago"
