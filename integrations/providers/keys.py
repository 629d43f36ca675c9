"""The providers' keys and names, importable by models without loading the provider packages
(their clients import the models). `registry.py` checks it lists the same providers."""

PROVIDER_NAMES = {
    "highlevel": "HighLevel",
    "orderspace": "Orderspace",
    "ecwid": "Ecwid by Lightspeed",
    "cscart": "CS-Cart",
    "shift4shop": "Shift4Shop",
    "cin7": "Cin7 Core",
}
PROVIDER_KEYS = list(PROVIDER_NAMES)


def provider_choices() -> list[tuple[str, str]]:
    return list(PROVIDER_NAMES.items())
