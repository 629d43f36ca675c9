"""HighLevel contacts as the sync engine sees them (`RecordAdapter`, integrations/providers/
base.py); tasks and notes are in related_adapters.py.

Reading what changed: POST /contacts/search with a `dateUpdated` range filter (gte the
cursor's time less the overlap), sorted by `dateUpdated` ascending, through the shared
`scan_updated_since`. Each next page asks again from the newest update time read; when a
whole page carries one time, the next page follows that page's last `searchAfter` (a keyset
of sort value and id, never an offset). `dateUpdated` has millisecond precision; the
overlap (`SearchCursor.overlap`) re-reads the last minute, because search is served from an
index that may show a write a little later than the write's own time (inferred).

HighLevel has no feed of deleted contacts: `list_deleted` yields nothing, and deletes arrive
as ContactDelete webhooks (`parse_event`).

Records are `Contact.model_dump(mode="json", by_alias=True)` — the field catalogue's paths
(fields.py) — without the fields only one endpoint sends (search's `searchAfter`,
`contactName`..., GET's `createdBy`...) and without nulls (search sends unset fields as
null, GET leaves them out), so a contact reads the same from search, GET and writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from integrations.errors import ValidationFailedError
from integrations.providers import cursors
from integrations.providers.base import (
    ChangeAction,
    ChangeEvent,
    Identity,
    ObjectType,
    RecordAdapter,
    UpsertResult,
    normalise_email,
    normalise_phone,
)
from integrations.providers.highlevel.client import MAX_PAGE, HighLevelClient
from integrations.providers.highlevel.schemas import Contact, ContactInput, SearchFilter

# Keys one endpoint sends and another does not, or that only restate other fields.
NOT_IN_RECORD = frozenset(
    {
        "searchAfter",
        "traceId",
        "firstNameLowerCase",
        "lastNameLowerCase",
        "fullNameLowerCase",
        "emailLowerCase",
        "contactName",
        "phoneLabel",
        "address",
        "businessName",
        "opportunities",
        "validEmail",
        "validEmailDate",
        "createdBy",
        "lastUpdatedBy",
        "lastActivity",
        "deleted",
        "birthMonth",
        "birthDay",
        "attributions",
    }
)
CONTACT_EVENTS = {
    "ContactCreate": ChangeAction.CREATED,
    "ContactUpdate": ChangeAction.UPDATED,
    "ContactTagUpdate": ChangeAction.UPDATED,
    "ContactDndUpdate": ChangeAction.UPDATED,
    "ContactDelete": ChangeAction.DELETED,
}
BY_UPDATE = [{"field": "dateUpdated", "direction": "asc"}]


@dataclass(frozen=True)
class SearchCursor(cursors.TimeCursor):
    """Where the last read of POST /contacts/search stopped (see the module docstring)."""

    kind: ClassVar[str] = "highlevel.search"
    overlap: ClassVar[timedelta] = timedelta(seconds=60)
    precision: ClassVar[timedelta] = timedelta(milliseconds=1)


def parse_time(value: Any) -> datetime | None:
    """An ISO-8601 time from HighLevel as an aware UTC datetime; None when there is none."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def iso_ms(moment: datetime) -> str:
    """HighLevel's own timestamp format: UTC with milliseconds and a Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def validated(model: type[BaseModel], payload: Any, what: str) -> BaseModel:
    """`payload` through a client input model, or a ValidationFailedError naming each field."""
    if not isinstance(payload, Mapping):
        raise ValidationFailedError(f"A HighLevel {what} payload must be an object.")
    try:
        return model.model_validate(dict(payload))
    except PydanticValidationError as exc:
        messages = [
            f"{'.'.join(map(str, error['loc'])) or what}: {error['msg']}" for error in exc.errors()
        ]
        raise ValidationFailedError(
            f"The HighLevel {what} payload is not valid: {'; '.join(messages)}",
            messages=messages,
        ) from None


def dumped(model: BaseModel) -> dict:
    return model.model_dump(mode="json", by_alias=True)


def stored_event_parts(event) -> tuple[str, dict, str, datetime | None]:
    """(type, payload, event id, time sent) of a stored webhook event."""
    payload = event.payload if isinstance(event.payload, dict) else {}
    return (
        str(event.event_type or payload.get("type") or ""),
        payload,
        str(event.event_id or payload.get("webhookId") or ""),
        parse_time(payload.get("timestamp")),
    )


class HighLevelAdapter(RecordAdapter):
    """Shared by the contact, task and note adapters: the client and the page size."""

    def __init__(self, connection, client=None, page_size: int | None = None):
        super().__init__(connection, client)
        self.page_size = max(1, min(page_size or MAX_PAGE, MAX_PAGE))

    @staticmethod
    def build_client(connection) -> HighLevelClient:
        return HighLevelClient(connection)


class ContactAdapter(HighLevelAdapter):
    object_type = ObjectType.CONTACT
    label = "contact"

    # reads
    def new_cursor(self) -> SearchCursor:
        return SearchCursor()

    def cursor_from_json(self, data) -> SearchCursor:
        return cursors.cursor_from_json(SearchCursor, data)

    def list_changed(self, cursor: SearchCursor) -> cursors.Reading:
        if not isinstance(cursor, SearchCursor):
            raise cursors.CursorError("A HighLevel contact read needs a highlevel.search cursor.")
        last: dict = {"since": None, "after": None}

        def fetch_page(since: datetime | None, offset: int) -> list[Contact]:
            # scan_updated_since asks for an offset only after a full page of one update
            # time, right after reading that page: continue from its last searchAfter.
            after = last["after"] if offset and last["since"] == since else None
            filters = (
                [SearchFilter(field="dateUpdated", operator="range", value={"gte": iso_ms(since)})]
                if since is not None
                else None
            )
            page = self.client.search_page(
                filters=filters, sort=BY_UPDATE, page_size=self.page_size, search_after=after
            )
            last["since"] = since
            last["after"] = getattr(page[-1], "searchAfter", None) if page else None
            return page

        steps = cursors.scan_updated_since(
            cursor,
            fetch_page,
            page_size=self.page_size,
            describe=self._describe,
            sorted_by_update=True,
            started_at=datetime.now(UTC),
        )
        return cursors.Reading(steps, cursor, self.to_record)

    def _describe(self, contact: Contact) -> tuple[str, datetime | None, Mapping]:
        record = self.to_record(contact)
        return contact.id, self.updated_of(record), record

    def get(self, external_id: str) -> dict:
        return self.to_record(self.client.get_contact(external_id))

    def find(self, identity: Identity) -> list[dict]:
        """By normalised e-mail, then by phone: POST /contacts/search with an `eq` filter,
        and, when search finds nobody, the duplicate check (GET /contacts/search/duplicate),
        which does not wait for the search index (a create that just timed out)."""
        wanted = Identity(
            email=normalise_email(identity.email),
            phone=normalise_phone(identity.phone, self.phone_region),
        )
        for field in ("email", "phone"):
            value = getattr(wanted, field)
            if value:
                found = self._matching(field, value)
                if found:
                    return found
        return []

    def _matching(self, field: str, value: str) -> list[dict]:
        condition = SearchFilter(field=field, operator="eq", value=value)
        records = [self.to_record(c) for c in self.client.search_contacts(filters=[condition])]
        if not records:
            duplicate = self.client.find_duplicate(**{field: value})
            records = [self.to_record(duplicate)] if duplicate is not None else []
        return [r for r in records if getattr(self.identity_of(r), field) == value]

    # writes
    def _input(self, payload: Any) -> ContactInput:
        if isinstance(payload, Mapping) and "locationId" in payload:
            if payload["locationId"] != self.client.location_id:
                raise ValidationFailedError(
                    f"The payload's locationId {payload['locationId']!r} is not this "
                    f"connection's location ({self.client.location_id})."
                )
            payload = {k: v for k, v in payload.items() if k != "locationId"}
        return validated(ContactInput, payload, "contact")

    def create(self, payload: dict) -> dict:
        return self.to_record(self.client.create_contact(self._input(payload)))

    def update(self, external_id: str, payload: dict) -> dict:
        return self.to_record(self.client.update_contact(external_id, self._input(payload)))

    def upsert(self, payload: dict) -> UpsertResult:
        """POST /contacts/upsert: the location's duplicate rule (e-mail, then phone) picks
        the contact to update, or none and one is created."""
        result = self.client.upsert_contact(self._input(payload))
        return UpsertResult(record=self.to_record(result.contact), created=result.new)

    def delete(self, external_id: str) -> None:
        self.client.delete_contact(external_id)

    # shapes
    def to_record(self, obj: Contact | Mapping) -> dict:
        contact = obj if isinstance(obj, Contact) else Contact.model_validate(obj)
        dump = dumped(contact)
        if dump.get("address1") is None:
            dump["address1"] = dump.get("address")  # search's name for the street address
        record = {
            key: value
            for key, value in dump.items()
            if value is not None and key not in NOT_IN_RECORD
        }
        # Search sends [{email}] / [{phone}], GET plain strings: one shape, the strings.
        for key, inner in (("additionalEmails", "email"), ("additionalPhones", "phone")):
            record[key] = [
                item.get(inner) if isinstance(item, dict) else item for item in record.get(key, [])
            ]
        return record

    def id_of(self, record: Mapping) -> str:
        return str(record["id"])

    def updated_of(self, record: Mapping) -> datetime | None:
        return parse_time(record.get("dateUpdated"))

    def identity_of(self, record: Mapping) -> Identity:
        return Identity(
            email=normalise_email(record.get("email")),
            phone=normalise_phone(record.get("phone"), self.phone_region),
        )

    def parse_event(self, event) -> list[ChangeEvent]:
        """Contact webhooks never carry the whole contact (no dateUpdated, dndSettings only
        on ContactDndUpdate...), so `record` stays None: the engine reads the contact."""
        event_type, payload, event_id, sent_at = stored_event_parts(event)
        action = CONTACT_EVENTS.get(event_type)
        if action is None or not payload.get("id"):
            return []
        return [
            ChangeEvent(
                connection_id=self.connection.pk,
                object_type=self.object_type,
                external_id=str(payload["id"]),
                action=action,
                occurred_at=sent_at,
                event_id=event_id,
            )
        ]
