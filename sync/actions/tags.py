"""Tag-only changes to many HighLevel contacts in as few calls as possible.

POST /contacts/bulk/tags/update/{add|remove} applies one list of tags to up to
BULK_TAGS_MAX contacts per call, so the changes are grouped two ways and the cheaper plan is
used: by each contact's whole tag set (1,000 contacts all gaining "vip" → 10 calls), or by
tag, merging tags that go to the same contacts (contacts gaining "vip" and some also
"wholesale" → one group for "vip", one for "wholesale"). A call never gives a contact a tag
it was not meant to get.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping

from integrations.errors import ConfigError
from integrations.providers.highlevel.client import BULK_TAGS_MAX

# (tags, contact ids): one bulk call per BULK_TAGS_MAX contacts.
Group = tuple[tuple[str, ...], tuple[str, ...]]


def _calls(groups: list[Group], size: int) -> int:
    return sum(math.ceil(len(contacts) / size) for _, contacts in groups)


def tag_groups(per_contact: Mapping[str, set[str]], size: int = BULK_TAGS_MAX) -> list[Group]:
    """The cheaper grouping of {contact id: tags} into (tags, contacts) calls."""
    by_set: dict[tuple[str, ...], list[str]] = defaultdict(list)
    by_tag: dict[str, list[str]] = defaultdict(list)
    for contact_id in sorted(per_contact):
        tags = tuple(sorted(t for t in per_contact[contact_id] if t))
        if not tags:
            continue
        by_set[tags].append(contact_id)
        for tag in tags:
            by_tag[tag].append(contact_id)
    sets = [(tags, tuple(ids)) for tags, ids in sorted(by_set.items())]
    merged: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for tag, ids in sorted(by_tag.items()):
        merged[tuple(ids)].append(tag)
    singles = sorted((tuple(tags), ids) for ids, tags in merged.items())
    return sets if _calls(sets, size) <= _calls(singles, size) else singles


def bulk_tag_changes(
    target_adapter,
    changes: Mapping[str, tuple[set[str], set[str]]],
    *,
    failed: dict[str, str] | None = None,
) -> int:
    """Apply {contact id: (tags to add, tags to remove)} with HighLevel's bulk tag endpoint;
    the API calls made. Removals go first, so a tag in both lists ends up on the contact.
    Contacts HighLevel refused are put in `failed` ({id: reason}) when it is given."""
    if target_adapter.connection.provider != "highlevel":
        raise ConfigError("Bulk tag changes are a HighLevel operation.")
    client = target_adapter.client
    calls = 0
    for remove, index in ((True, 1), (False, 0)):
        wanted = {cid: set(change[index]) for cid, change in changes.items() if change[index]}
        for tags, contacts in tag_groups(wanted):
            result = client.bulk_update_tags(list(contacts), list(tags), remove=remove)
            calls += result.calls
            if failed is not None:
                failed.update(result.failed)
    return calls
