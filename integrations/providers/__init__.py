"""The provider registry: one package per external system, each the same shape.

A provider package (`integrations/providers/<key>/`) has `provider.py` with its `PROVIDER`
description and capabilities, beside `auth.py`, `transport.py`, `client.py`, `schemas.py`,
`fields.py` (the field catalogue), `webhooks.py` (verification, for providers that send them)
and `sandbox/` (the local copy of its API). To add a provider, copy a neighbour's package,
edit each file, and add its key to PROVIDER_KEYS.
"""

from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from typing import Any

PROVIDER_KEYS = ["highlevel", "orderspace", "ecwid", "cscart", "shift4shop", "cin7"]


@dataclass(frozen=True)
class CredentialField:
    key: str
    label: str
    help_text: str = ""
    secret: bool = True  # secret fields are write-only: never rendered back into a form
    required: bool = True


@dataclass(frozen=True)
class Capabilities:
    """What the sync engine may count on, and what the UI shows about a provider."""

    webhook_events: tuple[str, ...] = ()  # customer/contact events it can push; () = none
    webhook_signature: str = ""  # how pushes are authenticated ("HMAC-SHA256 of the body"...)
    incremental_filter: str = ""  # the "changed since" query parameter; "" = full comparison
    deleted_feed: bool = False  # can list what was deleted since a time
    delete_mode: str = "delete"  # "delete" (gone for good) or "deactivate"
    has_tags: bool = False
    has_notes: bool = False
    has_groups: bool = False  # customer groups / user groups / price tiers
    page_style: str = "offset"  # "offset", "page", "cursor" or "keyset"
    max_page_size: int = 100
    rate_limit: str = ""  # in words, e.g. "600 requests/minute per token"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a provider's record, for the mapping editor's pickers."""

    path: str  # dotted path in the record as the client returns it ("billing.city")
    label: str
    type: str  # string, email, phone, number, integer, boolean, date, datetime, list, object
    read_only: bool = False
    required: bool = False  # needed to create a record
    custom: bool = False  # a user-defined field (HighLevel custom field, Cin7 AdditionalAttribute)
    choices: tuple[str, ...] = ()
    help_text: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class AccountInfo:
    """What a client's `check()` learned from one cheap real call: proof the credentials work."""

    name: str  # the store / account / location name, as the provider shows it
    account_id: str = ""
    details: dict[str, Any] = field(default_factory=dict)  # scopes granted, plan, currency...


class WebhookRejected(Exception):
    """A webhook that fails verification; `reason` is the counter it is stored under."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedEvent:
    event_id: str  # the provider's delivery/event id, the de-duplication key
    event_type: str
    payload: dict
    connections: list  # the Connections it is for (several workspaces may share an account)


@dataclass(frozen=True)
class ProviderInfo:
    key: str
    name: str
    description: str  # what it is, in a sentence
    auth_kind: str  # "oauth2", "oauth2_client_credentials", "token", "basic", "api_key"
    where_to_find: str  # where the user gets the credentials, in the provider's own words
    credential_fields: tuple[CredentialField, ...] = ()
    setting_fields: tuple[CredentialField, ...] = ()  # non-secret settings (store URL, ids)
    docs_url: str = ""
    sandbox: str = ""  # "module:Class" of the sandbox app, once the provider has one
    client: str = ""  # "module:Class" of the API client: Class(connection), with check()
    scopes: tuple[str, ...] = field(default_factory=tuple)
    capabilities: Capabilities = field(default_factory=Capabilities)

    def sandbox_class(self):
        return _load(self.sandbox)

    def client_class(self):
        return _load(self.client)


def _load(dotted: str):
    if not dotted:
        return None
    module, _, name = dotted.partition(":")
    return getattr(import_module(module), name)


class UnknownProvider(LookupError):
    pass


@cache
def all_providers() -> tuple[ProviderInfo, ...]:
    return tuple(import_module(f"{__name__}.{key}.provider").PROVIDER for key in PROVIDER_KEYS)


def get_provider(key: str) -> ProviderInfo:
    for info in all_providers():
        if info.key == key:
            return info
    raise UnknownProvider(f"There is no provider called {key!r}.")


def provider_choices() -> list[tuple[str, str]]:
    return [(info.key, info.name) for info in all_providers()]
