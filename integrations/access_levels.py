"""Read-only or read + write: what a connection is allowed to do, in each provider's terms.

A provider with scopes (HighLevel: `contacts.readonly`, `contacts.write`,
`locations/customFields.readonly`; Ecwid: `read_customers`, `update_customers`...) lists them
in `Provider.scopes`; the read ones are those named "read..." (or ending ".readonly"). The
chosen level becomes the scopes asked for (OAuth) or recorded (a Private Integration Token),
and is kept in the connection's settings as a restriction: granted scopes can narrow it
further, never widen it. What each scope is for: integrations/scopes.py.
"""

from dataclasses import dataclass

from integrations import scopes as scope_table
from integrations.providers.base import Provider
from integrations.providers.registry import get_provider

READ = "read"
READ_WRITE = "read_write"


@dataclass(frozen=True)
class AccessLevel:
    value: str
    label: str
    scopes: tuple[str, ...]
    explanation: str
    explained_scopes: tuple[scope_table.Scope, ...] = ()  # each scope with its one line


def is_read_scope(scope: str) -> bool:
    name = scope.lower().rsplit(".", 1)[-1]
    return name.startswith("read") or scope.lower().startswith("read")


def read_scopes(provider: Provider) -> tuple[str, ...]:
    return tuple(s for s in provider.scopes if is_read_scope(s))


def write_scopes(provider: Provider) -> tuple[str, ...]:
    return tuple(s for s in provider.scopes if not is_read_scope(s))


def levels(provider: Provider) -> list[AccessLevel]:
    reads = read_scopes(provider)
    things = _things(provider)
    return [
        AccessLevel(
            READ,
            "Read only",
            reads,
            f"ContactBridge reads {things} but never changes anything in {provider.name}. "
            f"Flows can only use it as a source.",
            scope_table.explained(provider.key, reads),
        ),
        AccessLevel(
            READ_WRITE,
            "Read and write",
            tuple(provider.scopes),
            f"ContactBridge can also create, update and delete them, so flows can write "
            f"into {provider.name}.",
            scope_table.explained(provider.key, provider.scopes),
        ),
    ]


def _things(provider: Provider) -> str:
    if provider.key == "highlevel":
        return "contacts, tasks, notes, tags and custom fields"
    return "customers"


def level(provider: Provider, value: str) -> AccessLevel:
    for choice in levels(provider):
        if choice.value == value:
            return choice
    raise ValueError(f"Unknown access level {value!r}.")


def _granted_write(connection) -> bool:
    """False when the provider's granted scopes are known and lack a write scope."""
    provider = get_provider(connection.provider)
    if not (provider.scopes and connection.scopes):
        return True
    return set(write_scopes(provider)) <= set(connection.scopes)


def connection_level(connection) -> str:
    """The level a connection works at: the one chosen, narrowed by the scopes granted."""
    if not _granted_write(connection):
        return READ
    return connection.settings.get("access") or READ_WRITE


def write_refusal(connection) -> str:
    """Why this connection may not write, or "" when it may."""
    if connection_level(connection) == READ_WRITE:
        return ""
    provider = get_provider(connection.provider)
    if not _granted_write(connection):
        missing = ", ".join(s for s in write_scopes(provider) if s not in connection.scopes)
        return (
            f"This connection was granted {', '.join(connection.scopes)} only; writes need "
            f"{missing}. Reconnect it with read and write access to allow them."
        )
    return (
        "This connection is read only. Change its access to read and write on the "
        "connection page to allow writes."
    )


def reconnect_scopes(connection, add=()) -> tuple[list[str], str]:
    """(scopes, access) to ask for when a connection goes back through consent to gain the
    scopes `add`: what it holds now (or, if nothing is recorded, its level's) plus those.
    Gaining a write scope makes the connection read and write: that is why it was asked."""
    provider = get_provider(connection.provider)
    current = level(provider, connection_level(connection))
    wanted = list(connection.scopes or current.scopes)
    wanted += [scope for scope in add if scope not in wanted]
    access = current.value
    if any(not is_read_scope(scope) for scope in add):
        access = READ_WRITE
    return wanted, access
