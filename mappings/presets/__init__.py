"""Default mappings for each platform <-> HighLevel pair, both directions, to start from.

Each preset is a plain spec (see mappings/engine/spec.py) in the platform's own field names.
Rules that need account-specific ids (customer group <-> tag, company -> HighLevel business)
use an empty value map whose fallback is "skip": they do nothing, with that reason recorded,
until the user fills in the table.

On the HighLevel side, `notes` is the contact's notes as a list of note bodies: reading, the
sync supplies them; writing (append mode), the new entries are the notes to create.
"""

import copy

from mappings.presets import cin7, cscart, ecwid, orderspace, shift4shop

PLATFORMS = {
    "ecwid": ecwid,
    "orderspace": orderspace,
    "cscart": cscart,
    "shift4shop": shift4shop,
    "cin7": cin7,
}


class PresetNotFound(LookupError):
    pass


def _all() -> dict[tuple[str, str], dict]:
    presets = {}
    for key, module in PLATFORMS.items():
        presets[(key, "highlevel")] = module.TO_HIGHLEVEL
        presets[("highlevel", key)] = module.FROM_HIGHLEVEL
    return presets


def list_presets() -> list[dict]:
    """[{source, target, name, description}] for the editor's "start from" menu."""
    return [
        {"source": s, "target": t, "name": spec["name"], "description": spec["description"]}
        for (s, t), spec in _all().items()
    ]


def load_preset(source: str, target: str) -> dict:
    """A fresh copy of the preset spec for source -> target (safe to edit)."""
    spec = _all().get((source, target))
    if spec is None:
        pairs = ", ".join(f"{s}->{t}" for s, t in _all())
        raise PresetNotFound(f"no preset for {source}->{target} (there are: {pairs})")
    return copy.deepcopy(spec)
