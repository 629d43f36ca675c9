"""The sandbox's records in memory, indexed for paging, written through to the Store.

Contacts live in a dict by ID; each location keeps two sorted lists of (epoch ms, id), one
by dateAdded and one by dateUpdated, so keyset paging is a bisect rather than a sort, and
e-mail/phone maps for duplicate checks. Reads never decode JSON: the Store is only read
once, at start. Callers hold the sandbox lock around every call."""

from bisect import bisect_left, insort
from collections import defaultdict

from sandboxes.highlevel.records import ms_of
from sandboxes.kit.store import Store

# Store kinds.
CONTACT, TASK, NOTE, APPOINTMENT = "contact", "task", "note", "appointment"
LOCATION, USER, BUSINESS, CUSTOM_FIELD = "location", "user", "business", "custom_field"
SORT_FIELDS = ("dateAdded", "dateUpdated")


def _remove(keys: list, key: tuple) -> None:
    index = bisect_left(keys, key)
    if index < len(keys) and keys[index] == key:
        keys.pop(index)


class Data:
    def __init__(self, store: Store):
        self.store = store
        self.locations: dict[str, dict] = {doc["id"]: doc for doc in store.all(LOCATION)}
        self.users: dict[str, dict] = {doc["id"]: doc for doc in store.all(USER)}
        self.businesses: dict[str, dict] = {doc["id"]: doc for doc in store.all(BUSINESS)}
        self.custom_fields: dict[str, list[dict]] = defaultdict(list)
        for doc in sorted(store.all(CUSTOM_FIELD), key=lambda d: d["position"]):
            self.custom_fields[doc["locationId"]].append(doc)
        self.contacts: dict[str, dict] = {}
        self.sorted: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
        self.by_email: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.by_phone: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.tasks: dict[str, dict] = {}
        self.notes: dict[str, dict] = {}
        self.appointments: dict[str, dict] = {}
        self.children: dict[tuple[str, str], list[str]] = defaultdict(
            list
        )  # (kind, contact) -> ids
        for doc in store.all(CONTACT):
            self._index(doc)
        for kind, table in (
            (TASK, self.tasks),
            (NOTE, self.notes),
            (APPOINTMENT, self.appointments),
        ):
            for doc in sorted(store.all(kind), key=lambda d: (d.get("dateAdded", ""), d["id"])):
                table[doc["id"]] = doc
                self.children[(kind, doc["contactId"])].append(doc["id"])

    def is_empty(self) -> bool:
        return not self.locations

    # Reference data (seeded once).

    def put_reference(self, kind: str, doc: dict) -> None:
        table = {LOCATION: self.locations, USER: self.users, BUSINESS: self.businesses}.get(kind)
        if table is not None:
            table[doc["id"]] = doc
        else:
            self.custom_fields[doc["locationId"]].append(doc)
        self.store.put(kind, doc["id"], doc)

    # Contacts.

    def _index(self, doc: dict) -> None:
        self.contacts[doc["id"]] = doc
        location = doc["locationId"]
        for field in SORT_FIELDS:
            insort(self.sorted[(location, field)], (ms_of(doc, field), doc["id"]))
        if doc.get("email"):
            self.by_email[(location, doc["email"].lower())].add(doc["id"])
        if doc.get("phone"):
            self.by_phone[(location, doc["phone"])].add(doc["id"])

    def _unindex(self, doc: dict) -> None:
        del self.contacts[doc["id"]]
        location = doc["locationId"]
        for field in SORT_FIELDS:
            _remove(self.sorted[(location, field)], (ms_of(doc, field), doc["id"]))
        if doc.get("email"):
            self.by_email[(location, doc["email"].lower())].discard(doc["id"])
        if doc.get("phone"):
            self.by_phone[(location, doc["phone"])].discard(doc["id"])

    def save_contact(self, doc: dict) -> None:
        """Insert or replace a contact (re-indexing it) and write it through."""
        old = self.contacts.get(doc["id"])
        if old is not None:
            self._unindex(old)
        self._index(doc)
        self.store.put(CONTACT, doc["id"], doc)

    def delete_contact(self, contact_id: str) -> None:
        doc = self.contacts.get(contact_id)
        if doc is None:
            return
        self._unindex(doc)
        self.store.delete(CONTACT, contact_id)
        for kind, table in (
            (TASK, self.tasks),
            (NOTE, self.notes),
            (APPOINTMENT, self.appointments),
        ):
            for child_id in self.children.pop((kind, contact_id), []):
                table.pop(child_id, None)
                self.store.delete(kind, child_id)

    def contact_in(self, location_id: str, contact_id: str) -> dict | None:
        """The contact if it exists in this location: other locations' contacts are invisible."""
        doc = self.contacts.get(contact_id)
        return doc if doc is not None and doc["locationId"] == location_id else None

    def keys(self, location_id: str, field: str) -> list[tuple[int, str]]:
        """(epoch ms, id) of the location's contacts sorted ascending by `field`."""
        return self.sorted[(location_id, field)]

    def matching(self, location_id: str, field: str, value: str) -> dict | None:
        """The oldest contact of the location whose email (case-insensitive) or phone is `value`."""
        if field == "email":
            ids = self.by_email.get((location_id, value.lower()), set())
        else:
            ids = self.by_phone.get((location_id, value), set())
        found = [self.contacts[i] for i in ids]
        return min(found, key=lambda d: (d["dateAdded"], d["id"])) if found else None

    # Tasks, notes and appointments: one contact's records in creation order.

    def _table(self, kind: str) -> dict[str, dict]:
        return {TASK: self.tasks, NOTE: self.notes, APPOINTMENT: self.appointments}[kind]

    def children_of(self, kind: str, contact_id: str) -> list[dict]:
        table = self._table(kind)
        return [table[i] for i in self.children.get((kind, contact_id), [])]

    def child(self, kind: str, contact_id: str, child_id: str) -> dict | None:
        doc = self._table(kind).get(child_id)
        return doc if doc is not None and doc["contactId"] == contact_id else None

    def save_child(self, kind: str, doc: dict) -> None:
        table = self._table(kind)
        if doc["id"] not in table:
            self.children[(kind, doc["contactId"])].append(doc["id"])
        table[doc["id"]] = doc
        self.store.put(kind, doc["id"], doc)

    def delete_child(self, kind: str, doc: dict) -> None:
        self._table(kind).pop(doc["id"], None)
        siblings = self.children.get((kind, doc["contactId"]), [])
        if doc["id"] in siblings:
            siblings.remove(doc["id"])
        self.store.delete(kind, doc["id"])
