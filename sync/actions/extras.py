"""Fields a mapping reads or writes that are not plain fields of the record: the sync reads
and writes them through their own endpoints.

- HighLevel `notes`: the contact's notes as a list of texts. Read: `source_with_extras` (a
  HighLevel source) and `current_with_extras` (a HighLevel target, so the mapping's append
  mode sees the notes already there and a second run changes nothing). Written: each entry
  the contact does not have yet becomes a note (`write_extras`).
- CS-Cart `usergroups`: a user's groups. Read from a CS-Cart source as the API lists them,
  [{"usergroup_id": "4", "status": "A"}, ...] (what the `to_tags` transform takes); on a
  CS-Cart target `current` holds the ids of its active groups, and each group the mapping
  names (ids, or objects with usergroup_id/status) is joined (`client.add_to_usergroup`).

Each is read only when the mapping uses it, with one request per record (CS-Cart's client
checks the user is a customer first: two).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sync.actions.contact import HighLevelContact
from sync.actions.text import note_text, texts

# Fields a mapping may write that are not plain fields of the target's record.
EXTRA_FIELDS = {"highlevel": ("notes",), "cscart": ("usergroups",)}


def split_payload(provider: str, payload: dict) -> tuple[dict, dict]:
    """(the fields the record's own write takes, the extras the sync writes after it)."""
    extras = {k: payload[k] for k in EXTRA_FIELDS.get(provider, ()) if k in payload}
    plain = {k: v for k, v in payload.items() if k not in extras}
    return plain, extras


def _uses(fields: Iterable[str] | None, name: str) -> bool:
    """Whether a mapping's field paths ("notes", "usergroups.0.status"...) touch `name`."""
    return any(str(path).split(".")[0].split("[")[0] == name for path in fields or ())


def group_ids(value: Any) -> list[str]:
    """The user group ids a mapped `usergroups` value asks for: ids ("4", 4, "4,5"), objects
    with usergroup_id (only active ones, status "A", when a status is given) or the API's
    hash keyed by id."""
    if isinstance(value, dict):
        value = [value] if "usergroup_id" in value else list(value.values())
    if isinstance(value, str):
        value = value.split(",")
    ids = []
    for item in value if isinstance(value, list | tuple) else [value]:
        if isinstance(item, dict):
            if item.get("status", "A") != "A":
                continue
            item = item.get("usergroup_id")
        text = str(item).strip() if item is not None else ""
        if text.isdigit() and int(text) > 0:
            ids.append(str(int(text)))
    return list(dict.fromkeys(ids))


def _active_groups(client, user_id: str) -> list[str]:
    return [link.usergroup_id for link in client.customer_usergroups(user_id) if link.status == "A"]


def write_extras(
    provider: str,
    target,
    target_id: str,
    extras: Mapping,
    contact: HighLevelContact | None,
    *,
    is_new: bool = False,
) -> None:
    """Write what `split_payload` kept back, after the record itself was written."""
    if provider == "highlevel" and contact is not None and "notes" in extras:
        contact.add_notes(texts(extras["notes"]))
    if provider == "cscart" and "usergroups" in extras:
        wanted = group_ids(extras["usergroups"])
        if not wanted:
            return
        # Joining a group twice is harmless (PUT status A): read the memberships first only
        # when that saves calls.
        read_first = not is_new and len(wanted) > 2
        have = set(_active_groups(target.client, target_id)) if read_first else set()
        for group in wanted:
            if group not in have:
                target.client.add_to_usergroup(target_id, group)


def current_with_extras(
    provider: str, target_adapter, target_id: str, current: dict | None, wanted_fields
) -> dict | None:
    """The target record as it is (`current`) plus the extras the mapping writes, read from
    the target, so the mapping compares against them. None stays None (nothing to read)."""
    if current is None or not target_id:
        return current
    if provider == "highlevel" and _uses(wanted_fields, "notes") and "notes" not in current:
        notes = target_adapter.client.list_notes(target_id)
        current = {**current, "notes": [note_text(n) for n in notes]}
    if provider == "cscart" and _uses(wanted_fields, "usergroups") and "usergroups" not in current:
        current = {**current, "usergroups": _active_groups(target_adapter.client, target_id)}
    return current


def source_with_extras(provider: str, source_adapter, record: dict, wanted_fields) -> dict:
    """The source record plus the extras the mapping reads (HighLevel notes, CS-Cart user
    groups), one read each and only when the mapping reads them."""
    if record is None:
        return record
    if provider == "highlevel" and _uses(wanted_fields, "notes") and "notes" not in record:
        notes = source_adapter.client.list_notes(source_adapter.id_of(record))
        record = {**record, "notes": [note_text(n) for n in notes]}
    if provider == "cscart" and _uses(wanted_fields, "usergroups") and "usergroups" not in record:
        links = source_adapter.client.customer_usergroups(source_adapter.id_of(record))
        record = {**record, "usergroups": [link.model_dump(mode="json") for link in links]}
    return record
