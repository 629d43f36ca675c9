"""Ecwid customers as the sync engine sees them (`RecordAdapter`, see base.py).

Records are `Customer.model_dump(mode="json", by_alias=True)`: Ecwid's own field names, the
paths fields.py lists. Changes are read with `updatedFrom` + `sortBy=UPDATED_DATE_ASC`
through the shared `scan_updated_since`; Ecwid moves a customer's `updated` on every change
to it, including any change to its group (moved, group renamed or deleted), so polling sees
those too. Deletions come from `/customers/deleted`, read with a second time cursor that
travels inside the first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from pydantic import BaseModel, ValidationError

from integrations.errors import NotFoundError, ValidationFailedError
from integrations.providers import cursors
from integrations.providers.base import (
    ChangeAction,
    ChangeEvent,
    DeletedRecord,
    Identity,
    ObjectType,
    RecordAdapter,
    normalise_email,
    normalise_phone,
)
from integrations.providers.ecwid.client import MAX_PAGE, EcwidClient
from integrations.providers.ecwid.schemas import Customer, CustomerInput, parse_date

ACTIONS = {
    "customer.created": ChangeAction.CREATED,
    "customer.updated": ChangeAction.UPDATED,
    "customer.deleted": ChangeAction.DELETED,
}


@dataclass(frozen=True)
class EcwidDeletedCursor(cursors.TimeCursor):
    """How far `/customers/deleted` has been read (its `date`, one-second precision)."""

    kind: ClassVar[str] = "ecwid.deleted"
    overlap: ClassVar[timedelta] = timedelta(minutes=2)
    precision: ClassVar[timedelta] = timedelta(seconds=1)


@dataclass(frozen=True)
class EcwidCursor(cursors.TimeCursor):
    """`updated` of the customers read, plus the deleted-log mark (`deleted`).

    Two minutes of overlap: a customer whose `updated` second was still being written when
    we asked, or whose page shifted under us (several pages in one second), is read again
    by the next poll; `recent` keeps the overlap from yielding it twice."""

    deleted: EcwidDeletedCursor = EcwidDeletedCursor()
    kind: ClassVar[str] = "ecwid.time"
    overlap: ClassVar[timedelta] = timedelta(minutes=2)
    precision: ClassVar[timedelta] = timedelta(seconds=1)  # "2021-12-21 06:05:58 +0000"

    def to_json(self) -> dict:
        return {**super().to_json(), "deleted": self.deleted.to_json()}

    @classmethod
    def from_json(cls, data: Mapping) -> EcwidCursor:
        cursor = super().from_json(data)
        deleted = data.get("deleted")
        if deleted is None:
            return cursor
        return replace(cursor, deleted=EcwidDeletedCursor.from_json(deleted))


def _validated(payload) -> CustomerInput:
    """The mapping engine's payload as Ecwid's input model, or a ValidationFailedError that
    says which field is wrong."""
    if not isinstance(payload, Mapping):
        raise ValidationFailedError("An Ecwid customer payload must be an object of fields.")
    try:
        return CustomerInput.model_validate(dict(payload))
    except ValidationError as error:
        messages = [
            f"{'.'.join(str(part) for part in problem['loc']) or 'payload'}: {problem['msg']}"
            for problem in error.errors()
        ]
        raise ValidationFailedError(
            "The Ecwid customer payload is not valid: " + "; ".join(messages), messages=messages
        ) from None


class EcwidCustomerAdapter(RecordAdapter):
    object_type = ObjectType.CONTACT
    label = "customer"

    def __init__(self, connection, client=None, page_size: int | None = None):
        super().__init__(connection, client)
        self.page_size = min(page_size or MAX_PAGE, MAX_PAGE)

    @staticmethod
    def build_client(connection) -> EcwidClient:
        return EcwidClient(connection)

    # --- reads ----------------------------------------------------------------------------------
    def new_cursor(self) -> EcwidCursor:
        return EcwidCursor()

    def cursor_from_json(self, data) -> EcwidCursor:
        return cursors.cursor_from_json(EcwidCursor, data)

    def _describe(self, customer: Customer):
        record = self.to_record(customer)
        return str(customer.id), customer.updated_at, record

    def list_changed(self, cursor: EcwidCursor) -> cursors.Reading:
        started_at = datetime.now(UTC)
        if cursor.deleted.since is None and cursor.since is None:
            # A first full read: deletions before it are of records never read.
            cursor = replace(cursor, deleted=replace(cursor.deleted, since=started_at))
        steps = cursors.scan_updated_since(
            cursor,
            lambda since, offset: self.client.customers_page(
                updated_from=since, offset=offset, page_size=self.page_size
            ),
            page_size=self.page_size,
            describe=self._describe,
            sorted_by_update=True,
            started_at=started_at,
        )
        return cursors.Reading(steps, cursor, self.to_record)

    def list_deleted(self, cursor: EcwidCursor) -> Iterator[tuple[DeletedRecord, EcwidCursor]]:
        steps = cursors.scan_updated_since(
            cursor.deleted,
            lambda since, offset: self.client.deleted_customers_page(
                since=since, offset=offset, page_size=self.page_size
            ),
            page_size=self.page_size,
            describe=lambda item: (str(item.id), item.deleted_at, {"id": item.id}),
            sorted_by_update=True,  # the log is kept in deletion order
            started_at=datetime.now(UTC),
        )
        for item, deleted_cursor in steps:
            if item is not None:
                after = replace(cursor, deleted=deleted_cursor)
                yield DeletedRecord(str(item.id), item.deleted_at), after

    def get(self, external_id: str) -> dict:
        if not str(external_id).isdigit():
            raise NotFoundError(f"Ecwid customer ids are numbers, not {external_id!r}.")
        return self.to_record(self.client.get_customer(external_id))

    def find(self, identity: Identity) -> list[dict]:
        email = normalise_email(identity.email)
        if email:
            found = [
                self.to_record(customer)
                for customer in self.client.customers_by_email(email)
                if normalise_email(customer.email) == email
            ]
            if found:
                return found
        phone = normalise_phone(identity.phone, self.phone_region)
        if not phone:
            return []
        # Ecwid's customer search has no phone filter (keyword covers name and e-mail only),
        # so a phone is matched by reading every customer, one page at a time.
        return [
            record
            for record in (
                self.to_record(c) for c in self.client.iter_customers(page_size=self.page_size)
            )
            if phone in self._phones(record)
        ]

    # --- writes ---------------------------------------------------------------------------------
    def create(self, payload: dict) -> dict:
        data = _validated(payload)
        if not (data.email or "").strip():
            raise ValidationFailedError("Ecwid needs an e-mail address to create a customer.")
        return self.get(str(self.client.create_customer(data)))

    def update(self, external_id: str, payload: dict) -> dict:
        data = _validated(payload)
        if not str(external_id).isdigit():
            raise NotFoundError(f"Ecwid customer ids are numbers, not {external_id!r}.")
        self.client.update_customer(external_id, data)
        return self.get(external_id)

    def delete(self, external_id: str) -> None:
        if not str(external_id).isdigit():
            raise NotFoundError(f"Ecwid customer ids are numbers, not {external_id!r}.")
        self.client.delete_customer(external_id)

    # --- shapes ---------------------------------------------------------------------------------
    def to_record(self, obj) -> dict:
        customer = obj if isinstance(obj, BaseModel) else Customer.model_validate(obj)
        return customer.model_dump(mode="json", by_alias=True)

    def id_of(self, record: Mapping) -> str:
        return str(record["id"])

    def updated_of(self, record: Mapping) -> datetime | None:
        moment = parse_date(record.get("updated"))
        return moment.astimezone(UTC) if moment else None

    def _phones(self, record: Mapping) -> list[str]:
        """The customer's phones, best first: billing, then PHONE contacts, then shipping."""
        raw = [(record.get("billingPerson") or {}).get("phone")]
        contacts = sorted(
            (c for c in record.get("contacts") or [] if c.get("type") == "PHONE"),
            key=lambda c: not c.get("default"),
        )
        raw += [c.get("contact") for c in contacts]
        raw += [a.get("phone") for a in record.get("shippingAddresses") or []]
        phones = [normalise_phone(value, self.phone_region) for value in raw]
        return [phone for phone in phones if phone]

    def identity_of(self, record: Mapping) -> Identity:
        phones = self._phones(record)
        return Identity(
            email=normalise_email(record.get("email")), phone=phones[0] if phones else ""
        )

    def parse_event(self, event) -> list[ChangeEvent]:
        """Ecwid's webhook is thin (the customer's id and e-mail), so no record rides along:
        the engine reads the customer. `customer_group.*` events name only the group; the
        customers it touched get a new `updated` and are found by the next poll."""
        payload = event.payload if isinstance(event.payload, Mapping) else {}
        action = ACTIONS.get(str(payload.get("eventType") or event.event_type))
        entity = payload.get("entityId")
        if action is None or entity in (None, ""):
            return []
        created = payload.get("eventCreated")
        occurred = (
            datetime.fromtimestamp(created, UTC)
            if isinstance(created, int) and not isinstance(created, bool)
            else None
        )
        return [
            ChangeEvent(
                connection_id=self.connection.pk,
                object_type=ObjectType.CONTACT,
                external_id=str(entity),
                action=action,
                occurred_at=occurred,
                event_id=str(event.event_id),
            )
        ]
