"""The provider registry: one package per external system, each the same shape.

A provider package (`integrations/providers/<key>/`) has `provider.py` with its `PROVIDER`
description; the HighLevel and platform work adds `client.py`, `auth.py`, `sandbox.py`,
`fields.py` and `webhooks.py` beside it. To add a provider, copy a neighbour's package, edit
each file, and add its key to PROVIDER_KEYS.
"""

from dataclasses import dataclass, field
from functools import cache
from importlib import import_module

PROVIDER_KEYS = ["highlevel", "orderspace", "ecwid", "cscart", "shift4shop", "cin7"]


@dataclass(frozen=True)
class CredentialField:
    key: str
    label: str
    help_text: str = ""
    secret: bool = True  # secret fields are write-only: never rendered back into a form
    required: bool = True


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
    scopes: tuple[str, ...] = field(default_factory=tuple)

    def sandbox_class(self):
        if not self.sandbox:
            return None
        module, _, name = self.sandbox.partition(":")
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
