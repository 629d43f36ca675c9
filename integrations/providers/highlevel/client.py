"""The HighLevel Contacts API, one typed method per operation.

Lists are generators that fetch one page at a time, so a sync over 100,000 contacts holds one
page in memory. Every call goes through `HighLevelTransport` (scope, token, budget, retries).
Every scan of contacts goes through POST /contacts/search: the Contacts spec marks
GET /contacts/ deprecated, so it is only an endpoint-explorer operation (explorer.py).
Facts and sources: docs/providers/highlevel.md.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from integrations.models import Connection
from integrations.providers.base import AccountInfo
from integrations.providers.highlevel import auth
from integrations.providers.highlevel.schemas import (
    NOT_UPDATABLE,
    Appointment,
    Contact,
    ContactInput,
    CustomField,
    Note,
    NoteInput,
    SearchFilter,
    SearchGroup,
    TagChange,
    Task,
    TaskInput,
    UpsertResult,
)
from integrations.providers.highlevel.transport import HighLevelTransport

MAX_PAGE = 100  # the page size HighLevel's own examples use for POST /contacts/search
# Contacts per POST /contacts/bulk/tags/update/{type}. The spec (UpdateTagsDTO) documents no
# maximum, so this is our own cap, the same 100 as a search page: not a published limit.
BULK_TAGS_MAX = 100
# Version v3 spells the do-not-disturb channels in lower camel case (Contacts v3 spec). The
# client speaks the 2021-07-28 names both ways, so callers see one shape under any version.
DND_V3 = {
    "Call": "call",
    "Email": "email",
    "SMS": "sms",
    "WhatsApp": "whatsApp",
    "GMB": "gmb",
    "FB": "fb",
}
DND_V2 = {v3: v2 for v2, v3 in DND_V3.items()}
# The sort names iter_contacts takes -> POST /contacts/search sort fields.
SEARCH_SORTS = {"date_added": "dateAdded", "date_updated": "dateUpdated"}


def _id(value: str) -> str:
    return quote(str(value), safe="")


class BulkTagsAnswer(BaseModel):
    """201 of the bulk tags endpoint (UpdateTagsResponseDTO). The spec's schema makes each
    `responses` item a string, its example (and live answers) an object
    {contactId, message, type: "success"|"error", ...}: both are kept."""

    model_config = ConfigDict(extra="allow")
    succeded: bool | None = None  # sic: HighLevel's spelling
    errorCount: float = 0
    responses: list[Any] = []


@dataclass
class BulkTagsResult:
    """What a (possibly chunked) bulk tag change did: the calls made and the contacts
    HighLevel refused, by id, with its reason (when the answer names them)."""

    calls: int = 0
    error_count: int = 0
    failed: dict[str, str] = field(default_factory=dict)


class HighLevelClient:
    def __init__(self, connection: Connection, **transport_options):
        """`transport_options` go to HighLevelTransport: budget, sleep, max_attempts,
        max_wait, timeout."""
        self.connection = connection
        self.transport = HighLevelTransport(connection, **transport_options)

    @property
    def location_id(self) -> str:
        return self.transport.location_id

    def check(self) -> AccountInfo:
        """One cheap real call (a one-record search of the location) that proves the token,
        the location and the read scope. HighLevel serves no location details to a
        contacts-scoped token, so the name is the one saved on the connection, if any."""
        location_id = self.location_id
        body = {"locationId": location_id, "pageLimit": 1}
        page = self.transport.request("POST", "/contacts/search", json=body)
        saved_name = self.connection.settings.get("location_name")
        return AccountInfo(
            name=saved_name or f"HighLevel location {location_id}",
            account_id=location_id,
            details={
                "auth": "oauth" if auth.is_oauth(self.connection) else "private_integration_token",
                "scopes": list(self.connection.scopes or []),
                "api_version": self.transport.version,
                "contacts": page.get("total"),
            },
        )

    def _contact_body(self, data: ContactInput) -> dict:
        body = data.payload()
        if self.transport.version == "v3" and isinstance(body.get("dndSettings"), dict):
            body["dndSettings"] = {DND_V3.get(k, k): v for k, v in body["dndSettings"].items()}
        return body

    def _contact(self, item: dict) -> Contact:
        dnd = item.get("dndSettings")
        if self.transport.version == "v3" and isinstance(dnd, dict):
            item = {**item, "dndSettings": {DND_V2.get(k, k): v for k, v in dnd.items()}}
        return Contact.model_validate(item)

    def _get(self, path, **params):
        return self.transport.request("GET", path, params=params or None)

    def _write(self, method, path, body=None, *, creates: bool = False, **params):
        """`creates`: each arrival makes a new object (a POST of a contact, note or task), so
        a request that got no answer is not repeated blindly (see ApiTransport.send)."""
        return self.transport.request(
            method,
            path,
            write=True,
            json=body,
            params=params or None,
            repeat_unanswered=not creates,
        )

    # --- Contacts -----------------------------------------------------------------------------
    def get_contact(self, contact_id: str) -> Contact:
        return self._contact(self._get(f"/contacts/{_id(contact_id)}")["contact"])

    def create_contact(self, data: ContactInput) -> Contact:
        body = {**self._contact_body(data), "locationId": self.location_id}
        return self._contact(self._write("POST", "/contacts/", body, creates=True)["contact"])

    def update_contact(self, contact_id: str, data: ContactInput) -> Contact:
        """Only the fields set on `data` change; `tags`, when set, replaces all tags."""
        body = {k: v for k, v in self._contact_body(data).items() if k not in NOT_UPDATABLE}
        response = self._write("PUT", f"/contacts/{_id(contact_id)}", body)
        return self._contact(response["contact"])

    def upsert_contact(self, data: ContactInput, *, allow_duplicate: bool = False) -> UpsertResult:
        """Create or update by the location's duplicate rule (e-mail, then phone)."""
        body = {**self._contact_body(data), "locationId": self.location_id}
        if allow_duplicate:
            body["createNewIfDuplicateAllowed"] = True
        response = self._write("POST", "/contacts/upsert", body)
        return UpsertResult.model_validate(
            {**response, "contact": self._contact(response["contact"])}
        )

    def delete_contact(self, contact_id: str) -> None:
        self._write("DELETE", f"/contacts/{_id(contact_id)}")

    def iter_contacts(
        self,
        *,
        query: str | None = None,
        page_size: int = MAX_PAGE,
        sort_by: str | None = None,
        order: str | None = None,
    ) -> Iterator[Contact]:
        """Every contact, through POST /contacts/search and its searchAfter cursor (sorted by
        `sort_by` "date_added" (default) or "date_updated", `order` "desc" (default) or
        "asc"). The cursor is a keyset (sort value, id): records created or changed behind
        it do not shift the pages still to come, as offsets would."""
        sort = [{"field": SEARCH_SORTS[sort_by or "date_added"], "direction": order or "desc"}]
        yield from self.search_contacts(query=query, sort=sort, page_size=page_size)

    def search_page(
        self,
        *,
        query: str | None = None,
        filters: list[SearchFilter | SearchGroup] | None = None,
        sort: list[dict] | None = None,
        page_size: int = MAX_PAGE,
        search_after: list | None = None,
    ) -> list[Contact]:
        """One page of POST /contacts/search; each contact keeps its `searchAfter` (the
        cursor of the page after it) as an extra field."""
        body: dict = {"locationId": self.location_id, "pageLimit": min(page_size, MAX_PAGE)}
        if query:
            body["query"] = query
        if filters:
            body["filters"] = [f.payload() for f in filters]
        if sort:
            body["sort"] = sort
        if search_after:
            body["searchAfter"] = search_after
        page = self.transport.request("POST", "/contacts/search", json=body)
        return [self._contact(item) for item in page.get("contacts") or []]

    def search_contacts(
        self,
        *,
        query: str | None = None,
        filters: list[SearchFilter | SearchGroup] | None = None,
        sort: list[dict] | None = None,
        page_size: int = MAX_PAGE,
    ) -> Iterator[Contact]:
        """POST /contacts/search, following the `searchAfter` cursor of the last record.
        `filters` all have to hold; a SearchGroup combines its own with AND or OR."""
        size = min(page_size, MAX_PAGE)
        cursor = None
        while True:
            contacts = self.search_page(
                query=query, filters=filters, sort=sort, page_size=size, search_after=cursor
            )
            yield from contacts
            cursor = getattr(contacts[-1], "searchAfter", None) if contacts else None
            if not cursor or len(contacts) < size:
                return

    def find_duplicate(
        self, *, email: str | None = None, phone: str | None = None
    ) -> Contact | None:
        params = {"locationId": self.location_id}
        if email:
            params["email"] = email
        if phone:
            params["number"] = phone
        contact = self._get("/contacts/search/duplicate", **params).get("contact")
        return self._contact(contact) if contact else None

    def contacts_by_business(self, business_id: str, *, page_size: int = 100) -> Iterator[Contact]:
        skip = 0
        while True:
            page = self._get(
                f"/contacts/business/{_id(business_id)}",
                locationId=self.location_id,
                limit=str(page_size),
                skip=str(skip),
            )
            contacts = page.get("contacts") or []
            yield from (self._contact(item) for item in contacts)
            skip += len(contacts)
            if len(contacts) < page_size or skip >= int(page.get("count") or 0):
                return

    # --- Tasks --------------------------------------------------------------------------------
    def list_tasks(self, contact_id: str) -> list[Task]:
        tasks = self._get(f"/contacts/{_id(contact_id)}/tasks").get("tasks") or []
        return [Task.model_validate(t) for t in tasks]

    def get_task(self, contact_id: str, task_id: str) -> Task:
        return Task.model_validate(
            self._get(f"/contacts/{_id(contact_id)}/tasks/{_id(task_id)}")["task"]
        )

    def create_task(self, contact_id: str, data: TaskInput) -> Task:
        body = {"completed": False, **data.payload()}
        return Task.model_validate(
            self._write("POST", f"/contacts/{_id(contact_id)}/tasks", body, creates=True)["task"]
        )

    def update_task(self, contact_id: str, task_id: str, data: TaskInput) -> Task:
        path = f"/contacts/{_id(contact_id)}/tasks/{_id(task_id)}"
        return Task.model_validate(self._write("PUT", path, data.payload())["task"])

    def complete_task(self, contact_id: str, task_id: str, completed: bool = True) -> Task:
        path = f"/contacts/{_id(contact_id)}/tasks/{_id(task_id)}/completed"
        return Task.model_validate(self._write("PUT", path, {"completed": completed})["task"])

    def delete_task(self, contact_id: str, task_id: str) -> None:
        self._write("DELETE", f"/contacts/{_id(contact_id)}/tasks/{_id(task_id)}")

    # --- Notes --------------------------------------------------------------------------------
    def list_notes(self, contact_id: str) -> list[Note]:
        notes = self._get(f"/contacts/{_id(contact_id)}/notes").get("notes") or []
        return [Note.model_validate(n) for n in notes]

    def get_note(self, contact_id: str, note_id: str) -> Note:
        return Note.model_validate(
            self._get(f"/contacts/{_id(contact_id)}/notes/{_id(note_id)}")["note"]
        )

    def create_note(self, contact_id: str, data: NoteInput) -> Note:
        path = f"/contacts/{_id(contact_id)}/notes"
        return Note.model_validate(self._write("POST", path, data.payload(), creates=True)["note"])

    def update_note(self, contact_id: str, note_id: str, data: NoteInput) -> Note:
        path = f"/contacts/{_id(contact_id)}/notes/{_id(note_id)}"
        return Note.model_validate(self._write("PUT", path, data.payload())["note"])

    def delete_note(self, contact_id: str, note_id: str) -> None:
        self._write("DELETE", f"/contacts/{_id(contact_id)}/notes/{_id(note_id)}")

    # --- Appointments, tags, custom fields ------------------------------------------------------
    def list_appointments(self, contact_id: str) -> list[Appointment]:
        events = self._get(f"/contacts/{_id(contact_id)}/appointments").get("events") or []
        return [Appointment.model_validate(e) for e in events]

    def add_tags(self, contact_id: str, tags: list[str]) -> TagChange:
        return TagChange.model_validate(
            self._write("POST", f"/contacts/{_id(contact_id)}/tags", {"tags": tags})
        )

    def remove_tags(self, contact_id: str, tags: list[str]) -> TagChange:
        return TagChange.model_validate(
            self._write("DELETE", f"/contacts/{_id(contact_id)}/tags", {"tags": tags})
        )

    def bulk_update_tags(
        self, contact_ids: Iterable[str], tags: Iterable[str], *, remove: bool = False
    ) -> BulkTagsResult:
        """Add (or, with `remove`, take off) the same tags on many contacts, BULK_TAGS_MAX
        contacts per call. A contact HighLevel refuses (unknown, another location) does not
        fail the others: it is counted in `error_count` and named in `failed`.
        Reference: https://highlevel.stoplight.io/docs/integrations/ (Contacts → Bulk →
        "Update Contacts Tags", POST /contacts/bulk/tags/update/{type}, type add|remove)."""
        ids = list(dict.fromkeys(str(i) for i in contact_ids if i))
        wanted = list(dict.fromkeys(str(t) for t in tags if t))
        result = BulkTagsResult()
        if not ids or not wanted:
            return result
        path = f"/contacts/bulk/tags/update/{'remove' if remove else 'add'}"
        for start in range(0, len(ids), BULK_TAGS_MAX):
            body = {
                "contacts": ids[start : start + BULK_TAGS_MAX],
                "tags": wanted,
                "locationId": self.location_id,
            }
            answer = BulkTagsAnswer.model_validate(self._write("POST", path, body))
            result.calls += 1
            result.error_count += int(answer.errorCount or 0)
            for item in answer.responses:
                if isinstance(item, dict) and item.get("type") == "error":
                    result.failed[str(item.get("contactId"))] = str(item.get("message") or "")
        return result

    def list_custom_fields(self) -> list[CustomField]:
        fields = (
            self._get(f"/locations/{_id(self.location_id)}/customFields").get("customFields") or []
        )
        return [CustomField.model_validate(f) for f in fields]
