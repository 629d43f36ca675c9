"""The HighLevel Contacts API, one typed method per operation.

Lists are generators that fetch one page at a time, so a sync over 100,000 contacts holds one
page in memory. Every call goes through `HighLevelTransport` (scope, token, budget, retries).
Reference: https://highlevel.stoplight.io/docs/integrations/ and ../shared/specs/highlevel.
"""

from collections.abc import Iterator
from urllib.parse import quote

from integrations.models import Connection
from integrations.providers.highlevel.schemas import (
    NOT_UPDATABLE,
    Appointment,
    Contact,
    ContactInput,
    CustomField,
    Note,
    NoteInput,
    SearchFilter,
    TagChange,
    Task,
    TaskInput,
    UpsertResult,
)
from integrations.providers.highlevel.transport import HighLevelTransport

MAX_PAGE = 100  # GET /contacts/ and POST /contacts/search cap pages at 100


def _id(value: str) -> str:
    return quote(str(value), safe="")


class HighLevelClient:
    def __init__(self, connection: Connection, **transport_options):
        self.transport = HighLevelTransport(connection, **transport_options)

    @property
    def location_id(self) -> str:
        return self.transport.location_id

    def _get(self, path, **params):
        return self.transport.request("GET", path, params=params or None)

    def _write(self, method, path, body=None, **params):
        return self.transport.request(method, path, write=True, json=body, params=params or None)

    # --- Contacts -----------------------------------------------------------------------------
    def get_contact(self, contact_id: str) -> Contact:
        return Contact.model_validate(self._get(f"/contacts/{_id(contact_id)}")["contact"])

    def create_contact(self, data: ContactInput) -> Contact:
        body = {**data.payload(), "locationId": self.location_id}
        return Contact.model_validate(self._write("POST", "/contacts/", body)["contact"])

    def update_contact(self, contact_id: str, data: ContactInput) -> Contact:
        """Only the fields set on `data` change; `tags`, when set, replaces all tags."""
        body = {k: v for k, v in data.payload().items() if k not in NOT_UPDATABLE}
        response = self._write("PUT", f"/contacts/{_id(contact_id)}", body)
        return Contact.model_validate(response["contact"])

    def upsert_contact(self, data: ContactInput, *, allow_duplicate: bool = False) -> UpsertResult:
        """Create or update by the location's duplicate rule (e-mail, then phone)."""
        body = {**data.payload(), "locationId": self.location_id}
        if allow_duplicate:
            body["createNewIfDuplicateAllowed"] = True
        return UpsertResult.model_validate(self._write("POST", "/contacts/upsert", body))

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
        """Every contact through GET /contacts/ and its startAfter/startAfterId keyset."""
        params = {"locationId": self.location_id, "limit": min(page_size, MAX_PAGE)}
        for key, value in (("query", query), ("sortBy", sort_by), ("order", order)):
            if value:
                params[key] = value
        while True:
            page = self._get("/contacts/", **params)
            contacts = page.get("contacts") or []
            yield from (Contact.model_validate(item) for item in contacts)
            meta = page.get("meta") or {}
            if len(contacts) < params["limit"] or not meta.get("startAfterId"):
                return
            params["startAfter"], params["startAfterId"] = meta["startAfter"], meta["startAfterId"]

    def search_contacts(
        self,
        *,
        query: str | None = None,
        filters: list[SearchFilter] | None = None,
        sort: list[dict] | None = None,
        page_size: int = MAX_PAGE,
    ) -> Iterator[Contact]:
        """POST /contacts/search, following the `searchAfter` cursor of the last record."""
        body: dict = {"locationId": self.location_id, "pageLimit": min(page_size, MAX_PAGE)}
        if query:
            body["query"] = query
        if filters:
            body["filters"] = [f.payload() for f in filters]
        if sort:
            body["sort"] = sort
        while True:
            page = self.transport.request("POST", "/contacts/search", json=body)
            contacts = page.get("contacts") or []
            if not contacts:
                return
            yield from (Contact.model_validate(item) for item in contacts)
            cursor = contacts[-1].get("searchAfter")
            if not cursor or len(contacts) < body["pageLimit"]:
                return
            body["searchAfter"] = cursor

    def find_duplicate(
        self, *, email: str | None = None, phone: str | None = None
    ) -> Contact | None:
        params = {"locationId": self.location_id}
        if email:
            params["email"] = email
        if phone:
            params["number"] = phone
        contact = self._get("/contacts/search/duplicate", **params).get("contact")
        return Contact.model_validate(contact) if contact else None

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
            yield from (Contact.model_validate(item) for item in contacts)
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
            self._write("POST", f"/contacts/{_id(contact_id)}/tasks", body)["task"]
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
        return Note.model_validate(
            self._write("POST", f"/contacts/{_id(contact_id)}/notes", data.payload())["note"]
        )

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

    def list_custom_fields(self) -> list[CustomField]:
        fields = (
            self._get(f"/locations/{_id(self.location_id)}/customFields").get("customFields") or []
        )
        return [CustomField.model_validate(f) for f in fields]
