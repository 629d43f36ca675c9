"""What the catalogue is made of (entries, their fields, how a trigger arrives) and the
helpers that turn a provider's own declarations into words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from integrations.access_levels import read_scopes, write_scopes
from integrations.providers.base import ObjectType, Provider
from integrations.providers.capabilities import ChangeDetection

TRIGGER, ACTION = "trigger", "action"
KINDS = ((TRIGGER, "Triggers"), (ACTION, "Actions"))
READ, WRITE = "read", "write"
FLOW_ACTIONS = "Flow actions"

# How a trigger's changes arrive.
WEBHOOK, POLL, DELETED_FEED, COMPARISON = "webhook", "poll", "deleted_feed", "comparison"
POLL_WORDS = {
    ChangeDetection.UPDATED_SINCE: "polling for changes",
    ChangeDetection.FULL_COMPARISON: "polling by comparison",
}
# Event names that do not say what they are once split into words.
EVENT_LABELS = {
    "ContactTagUpdate": "Contact's tags changed",
    "ContactDndUpdate": "Contact's do-not-disturb settings changed",
}
VERBS = {
    "create": "created",
    "created": "created",
    "new": "created",
    "update": "updated",
    "updated": "updated",
    "delete": "deleted",
    "deleted": "deleted",
    "complete": "completed",
    "completed": "completed",
}
RECORD_VERBS = ("created", "updated", "deleted")


@dataclass(frozen=True)
class Field:
    name: str  # the provider's own name (a dotted path for nested fields)
    label: str
    type: str = "string"  # "" when not known (a flow action's setting)
    required: bool = False
    help: str = ""
    default: Any = None


@dataclass(frozen=True)
class Method:
    """One way a trigger's changes reach ContactBridge."""

    kind: str  # WEBHOOK, POLL, DELETED_FEED, COMPARISON
    words: str
    event: str = ""  # the webhook's event name


@dataclass(frozen=True)
class Entry:
    provider: str
    provider_name: str
    kind: str  # TRIGGER or ACTION
    key: str  # unique per provider and kind
    label: str
    description: str
    group: str  # "Contacts", "Tasks", "Customers", FLOW_ACTIONS...
    access: str  # READ or WRITE: the access level a connection needs for it
    scope: str = ""  # the provider's scope(s) it needs; "" when the provider has no scopes
    fields: tuple[Field, ...] = ()
    methods: tuple[Method, ...] = ()  # triggers only
    endpoint: str = ""  # "POST /contacts/upsert" for an action that is one API call
    operation: str = ""  # the explorer operation's key, when there is one
    events: tuple[str, ...] = ()  # the provider's webhook event names it covers

    @property
    def uid(self) -> str:
        return f"{self.provider}.{self.kind}.{self.key}"

    @property
    def action_type(self) -> str:
        """A flow action's `type`, as written in the flow's actions."""
        return self.key.removeprefix("flow.") if self.group == FLOW_ACTIONS else ""

    @property
    def is_trigger(self) -> bool:
        return self.kind == TRIGGER

    @property
    def access_words(self) -> str:
        return "Read access" if self.access == READ else "Read and write access"

    @property
    def text(self) -> str:
        """What a search looks in."""
        parts = [
            self.provider_name,
            self.key,
            self.label,
            self.description,
            self.group,
            self.scope,
            self.endpoint,
            *self.events,
            *(f"{m.words} {m.event}" for m in self.methods),
            *(f"{f.name} {f.label}" for f in self.fields),
        ]
        return " ".join(parts).lower()


# --- helpers ------------------------------------------------------------------------------------
def words_of(name: str) -> list[str]:
    """ "ContactDndUpdate" -> [contact, dnd, update]; "customer_group.created" ->
    [customer, group, created]; "Customer/Updated" -> [customer, updated]."""
    return [w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)]


def event_parts(event: str) -> tuple[str, str]:
    """(the object it is about, what happened to it), e.g. ("contact", "created")."""
    words = words_of(event)
    verb = VERBS.get(words[-1], words[-1]) if words else ""
    return " ".join(words[:-1]), verb


def scope_for(provider: Provider, access: str, verb: str = "") -> str:
    """The provider's scope for reading, or for this kind of write ("create", "update")."""
    if not provider.scopes:
        return ""
    scopes = read_scopes(provider) if access == READ else write_scopes(provider)
    about = [s for s in scopes if "customer" in s or "contact" in s] or list(scopes)
    chosen = [s for s in about if verb and verb in s]
    return ", ".join(chosen[:1] or about)


def record_label(provider: Provider) -> str:
    adapter = provider.adapters.get(ObjectType.CONTACT)
    return adapter.label if adapter else "record"


def plural(word: str) -> str:
    return word + "s"


def record_fields(provider: Provider, *, writable: bool, create: bool = False) -> tuple:
    specs = provider.field_catalogue(None)
    return tuple(
        Field(spec.path, spec.label, spec.type, required=create and spec.required)
        for spec in specs
        if not (writable and spec.read_only)
    )


def id_field(provider: Provider) -> Field:
    label = record_label(provider)
    return Field("id", f"The {label}'s ID in {provider.name}", "string", required=True)


def humanise(name: str) -> str:
    words = ["ID" if w == "id" else w for w in words_of(name)]
    text = " ".join(words) if words else name
    return text[:1].upper() + text[1:]


def example_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "string"
