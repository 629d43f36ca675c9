"""Every trigger and action each provider offers, as data: the catalogue page lists it, the
flow form offers from it.

Nothing is typed in twice: HighLevel's actions are its explorer operations (every Contacts API
call), each platform's triggers and record actions follow from its `Capabilities` (webhook
events, change detection, deleted feed, delete mode, upsert), their fields from the
provider's field catalogue, and the flow's own actions from `sync.actions.ACTION_TYPES`.
The only words kept here are the few event names that do not read well split.

entries.py: what an entry is; triggers.py and operations.py: how each kind is derived.
"""

from __future__ import annotations

from functools import cache

from integrations.providers.registry import all_providers, get_provider
from sync.catalogue.entries import (
    ACTION,
    FLOW_ACTIONS,
    KINDS,
    POLL_WORDS,
    TRIGGER,
    Entry,
    Field,
    Method,
    event_parts,
)
from sync.catalogue.operations import action_types, api_actions, flow_actions
from sync.catalogue.triggers import triggers

__all__ = [
    "ACTION",
    "FLOW_ACTIONS",
    "KINDS",
    "POLL_WORDS",
    "TRIGGER",
    "Entry",
    "Field",
    "Method",
    "action_types",
    "actions_for",
    "catalogue",
    "event_parts",
    "flow_actions_for",
    "grouped",
    "search",
    "triggers_for",
]


@cache
def _static_catalogue() -> tuple[Entry, ...]:
    entries: list[Entry] = []
    for provider in all_providers():
        entries += triggers(provider) + api_actions(provider)
    return tuple(entries)


def catalogue() -> list[Entry]:
    """Everything, provider by provider (HighLevel first), triggers before actions. The
    flow actions are read each time: sync/actions.py may offer more without a restart."""
    flow = {p.key: flow_actions(p) for p in all_providers()}
    entries: list[Entry] = []
    for provider in all_providers():
        own = [e for e in _static_catalogue() if e.provider == provider.key]
        entries += [e for e in own if e.kind == TRIGGER]
        entries += [e for e in own if e.kind == ACTION] + flow[provider.key]
    return entries


def search(q: str = "", *, provider: str = "", kind: str = "") -> list[Entry]:
    """Entries whose text holds every word of `q`, optionally of one provider and kind."""
    words = q.lower().split()
    found = [
        entry
        for entry in catalogue()
        if (not provider or entry.provider == provider)
        and (not kind or entry.kind == kind)
        and all(word in entry.text for word in words)
    ]
    if words:
        # Within each provider, entries named by the words come before those that only
        # mention them (in a field, say); otherwise the catalogue's order stays.
        order = {p.key: n for n, p in enumerate(all_providers())}
        found.sort(key=lambda e: (order[e.provider], not all(w in e.label.lower() for w in words)))
    return found


def triggers_for(provider_key: str) -> list[Entry]:
    return search(provider=provider_key, kind=TRIGGER)


def actions_for(provider_key: str) -> list[Entry]:
    return search(provider=provider_key, kind=ACTION)


def flow_actions_for(provider_key: str) -> list[Entry]:
    return flow_actions(get_provider(provider_key))


def grouped(entries: list[Entry]) -> list[tuple[str, str, list[Entry]]]:
    """[(provider name, provider key, its entries)] in catalogue order."""
    groups: dict[str, tuple[str, str, list[Entry]]] = {}
    for entry in entries:
        groups.setdefault(entry.provider, (entry.provider_name, entry.provider, []))[2].append(
            entry
        )
    return list(groups.values())
