"""The one place that knows every provider: look them up here, never by module path.

To add a provider, copy a neighbour's package, build its `Provider` in `provider.py`, import
it below and add its key and name to `keys.py`; the contract suite
(tests/integrations/providers/test_contract.py) then runs on it.
"""

from integrations.providers.base import (
    ObjectType,
    Provider,
    RecordAdapter,
    SandboxEntry,
    UnknownProvider,
)
from integrations.providers.cin7.provider import PROVIDER as CIN7
from integrations.providers.cscart.provider import PROVIDER as CSCART
from integrations.providers.ecwid.provider import PROVIDER as ECWID
from integrations.providers.highlevel.provider import PROVIDER as HIGHLEVEL
from integrations.providers.keys import PROVIDER_NAMES
from integrations.providers.orderspace.provider import PROVIDER as ORDERSPACE
from integrations.providers.shift4shop.provider import PROVIDER as SHIFT4SHOP

PROVIDERS: dict[str, Provider] = {
    provider.key: provider for provider in (HIGHLEVEL, ORDERSPACE, ECWID, CSCART, SHIFT4SHOP, CIN7)
}
if {key: p.name for key, p in PROVIDERS.items()} != PROVIDER_NAMES:
    raise RuntimeError("integrations/providers/keys.py and the registry list different providers")

# Filled by the `sandboxes` app when it is installed and SANDBOX_ENABLED is on.
_SANDBOXES: dict[str, SandboxEntry] = {}


def all_providers() -> tuple[Provider, ...]:
    return tuple(PROVIDERS.values())


def get_provider(key: str) -> Provider:
    try:
        return PROVIDERS[key]
    except KeyError:
        raise UnknownProvider(f"There is no provider called {key!r}.") from None


def provider_choices() -> list[tuple[str, str]]:
    return [(p.key, p.name) for p in PROVIDERS.values()]


def adapter_for(connection, object_type: ObjectType = ObjectType.CONTACT, **kw) -> RecordAdapter:
    """The record adapter of one object type for a connection."""
    return get_provider(connection.provider).adapter(object_type, connection, **kw)


def register_sandbox(key: str, entry: SandboxEntry) -> None:
    get_provider(key)  # a sandbox imitates a provider we have
    _SANDBOXES[key] = entry


def unregister_sandboxes() -> None:
    _SANDBOXES.clear()


def sandbox_for(key: str) -> SandboxEntry | None:
    return _SANDBOXES.get(key)
