"""Triggers: what each provider can tell ContactBridge, from its capabilities (webhook
events, change detection, deleted feed, delete mode)."""

from __future__ import annotations

from integrations.providers.base import Provider
from integrations.providers.capabilities import ChangeDetection, DeleteMode
from sync.catalogue.entries import (
    COMPARISON,
    DELETED_FEED,
    EVENT_LABELS,
    POLL,
    POLL_WORDS,
    READ,
    RECORD_VERBS,
    TRIGGER,
    WEBHOOK,
    Entry,
    Method,
    event_parts,
    plural,
    record_fields,
    record_label,
    scope_for,
)


def _poll_method(provider: Provider) -> Method:
    caps = provider.capabilities
    return Method(POLL, f"{POLL_WORDS[caps.change_detection]} ({caps.change_detection.words})")


def _record_triggers(provider: Provider) -> list[Entry]:
    """Created / updated / deleted (or deactivated) for the record flows sync, each with the
    ways it can arrive; a change no method can see is no trigger."""
    caps = provider.capabilities
    label = record_label(provider)
    by_verb: dict[str, list[str]] = {verb: [] for verb in RECORD_VERBS}
    for event in caps.webhook_events:
        about, verb = event_parts(event)
        if about == label and verb in by_verb:
            by_verb[verb].append(event)
    poll = _poll_method(provider)
    fields = record_fields(provider, writable=False)
    entries = []
    for verb in RECORD_VERBS:
        events = list(by_verb[verb])
        methods = [Method(WEBHOOK, "webhook", event) for event in events]
        what = verb
        if verb in ("created", "updated"):
            methods.append(poll)
        else:
            if caps.deleted_feed:
                methods.append(Method(DELETED_FEED, f"polling the list of deleted {label}s"))
            if caps.change_detection is ChangeDetection.FULL_COMPARISON:
                methods.append(
                    Method(COMPARISON, "polling by comparison (missing from a complete read)")
                )
            if caps.delete_mode is DeleteMode.DEACTIVATE:
                # Such a system never deletes: a deactivation is a change like any other.
                what = "deactivated"
                for event in by_verb["updated"]:
                    methods.append(Method(WEBHOOK, "webhook, with the status deactivated", event))
                    events.append(event)
                polling = POLL_WORDS[caps.change_detection]
                methods.append(Method(POLL, f"{polling} (the status says deactivated)"))
        if not methods:
            continue
        entries.append(
            Entry(
                provider=provider.key,
                provider_name=provider.name,
                kind=TRIGGER,
                key=f"{label}.{what}",
                label=f"{label.capitalize()} {what}",
                description=f"A {label} is {what} in {provider.name}.",
                group=plural(label).capitalize(),
                access=READ,
                scope=scope_for(provider, READ),
                fields=fields,
                methods=tuple(methods),
                events=tuple(events),
            )
        )
    return entries


def _other_event_triggers(provider: Provider, covered: set[str]) -> list[Entry]:
    """Webhook events about anything else (tasks, notes, customer groups, tags)."""
    entries = []
    for event in provider.capabilities.webhook_events:
        if event in covered:
            continue
        about, verb = event_parts(event)
        label = EVENT_LABELS.get(event) or f"{about.capitalize()} {verb}"
        group = plural(about.split()[0]).capitalize() if about else "Other"
        entries.append(
            Entry(
                provider=provider.key,
                provider_name=provider.name,
                kind=TRIGGER,
                key=f"{about.replace(' ', '_')}.{verb}",
                label=label,
                description=f"{label} in {provider.name}: sent as the {event} webhook.",
                group=group,
                access=READ,
                scope=scope_for(provider, READ),
                methods=(Method(WEBHOOK, "webhook", event),),
                events=(event,),
            )
        )
    return entries


def triggers(provider: Provider) -> list[Entry]:
    records = _record_triggers(provider)
    covered = {event for entry in records for event in entry.events}
    return records + _other_event_triggers(provider, covered)
