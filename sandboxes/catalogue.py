"""Every sandbox, by the key of the provider it imitates."""

from collections.abc import Callable
from typing import NamedTuple

from sandboxes import cin7, cscart, ecwid, highlevel, orderspace, shift4shop
from sandboxes.kit.server import SandboxApp, SandboxOptions


class Sandbox(NamedTuple):
    app_class: type[SandboxApp]
    # Its /_describe answer -> (credentials, settings) of a connection to it.
    connection_values: Callable[[dict], tuple[dict, dict]]


SANDBOXES: dict[str, Sandbox] = {
    "highlevel": Sandbox(highlevel.HighLevelSandbox, highlevel.connection_values),
    "orderspace": Sandbox(orderspace.OrderspaceSandbox, orderspace.connection_values),
    "ecwid": Sandbox(ecwid.EcwidSandbox, ecwid.connection_values),
    "cscart": Sandbox(cscart.CsCartSandbox, cscart.connection_values),
    "shift4shop": Sandbox(shift4shop.Shift4ShopSandbox, shift4shop.connection_values),
    "cin7": Sandbox(cin7.Cin7Sandbox, cin7.connection_values),
}


def build_apps(options: SandboxOptions) -> list[SandboxApp]:
    """One instance of every sandbox, sharing the options."""
    return [sandbox.app_class(options) for sandbox in SANDBOXES.values()]
