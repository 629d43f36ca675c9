"""Read-only or read + write: what a connection is allowed to do, in each provider's terms.

A provider with scopes (HighLevel: `contacts.readonly`, `contacts.write`; Ecwid:
`read_customers`, `update_customers`...) lists them in `Provider.scopes`; the read ones
are those named "read...". The chosen level becomes the scopes asked for (OAuth) or recorded
(a Private Integration Token), and is kept in the connection's settings as a restriction:
granted scopes can narrow it further, never widen it.
"""

from dataclasses import dataclass

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


def is_read_scope(scope: str) -> bool:
    name = scope.lower().rsplit(".", 1)[-1]
    return name.startswith("read") or scope.lower().startswith("read")


def read_scopes(provider: Provider) -> tuple[str, ...]:
    return tuple(s for s in provider.scopes if is_read_scope(s))


def write_scopes(provider: Provider) -> tuple[str, ...]:
    return tuple(s for s in provider.scopes if not is_read_scope(s))


def levels(provider: Provider) -> list[AccessLevel]:
    reads = read_scopes(provider)
    if provider.scopes:
        read_words = f"Grants {', '.join(reads)}: ContactBridge can read {_things(provider)}"
        write_words = f"Grants {', '.join(provider.scopes)}: ContactBridge can also create"
    else:
        read_words = f"ContactBridge only reads {_things(provider)}"
        write_words = "ContactBridge can also create"
    return [
        AccessLevel(
            READ,
            "Read only",
            reads,
            f"{read_words} but never changes anything in {provider.name}. Flows can only "
            f"use it as a source.",
        ),
        AccessLevel(
            READ_WRITE,
            "Read and write",
            tuple(provider.scopes),
            f"{write_words}, update and delete them, so flows can write into {provider.name}.",
        ),
    ]


def _things(provider: Provider) -> str:
    return "contacts, tasks, notes and tags" if provider.key == "highlevel" else "customers"


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
