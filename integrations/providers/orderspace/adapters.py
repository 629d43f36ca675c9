"""Orderspace customers as the sync engine sees them (`RecordAdapter`, see base.py).

Records are `Customer.model_dump(mode="json", by_alias=True)`: Orderspace's own field names,
the paths fields.py lists. Orderspace has no updated-since filter and no updated timestamp,
so changes are found by reading every customer (newest first, `starting_after` cursor) and
comparing each with its digest from the last complete read (`scan_snapshot`); a complete
read that no longer finds a customer reports it deleted (`snapshot_deleted`). Webhooks carry
the whole customer, so `parse_event` hands the record along.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel, ValidationError

from integrations.errors import ValidationFailedError
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
from integrations.providers.orderspace.client import MAX_PAGE, OrderspaceClient
from integrations.providers.orderspace.schemas import Customer, CustomerInput

ACTIONS = {
    "customer.created": ChangeAction.CREATED,
    "customer.updated": ChangeAction.UPDATED,
    "customer.deleted": ChangeAction.DELETED,
}


@dataclass(frozen=True)
class OrderspaceCursor(cursors.SnapshotCursor):
    kind: ClassVar[str] = "orderspace.snapshot"


def _validated(payload) -> CustomerInput:
    """The mapping engine's payload as Orderspace's input model, or a ValidationFailedError
    that names the wrong fields."""
    if not isinstance(payload, Mapping):
        raise ValidationFailedError("An Orderspace customer payload must be an object of fields.")
    try:
        return CustomerInput.model_validate(dict(payload))
    except ValidationError as error:
        messages = [
            f"{'.'.join(str(part) for part in problem['loc']) or 'payload'}: {problem['msg']}"
            for problem in error.errors()
        ]
        raise ValidationFailedError(
            "The Orderspace customer payload is not valid: " + "; ".join(messages),
            messages=messages,
        ) from None


class OrderspaceCustomerAdapter(RecordAdapter):
    object_type = ObjectType.CONTACT
    label = "customer"

    def __init__(self, connection, client=None, page_size: int | None = None):
        super().__init__(connection, client)
        self.page_size = min(page_size or MAX_PAGE, MAX_PAGE)

    @staticmethod
    def build_client(connection) -> OrderspaceClient:
        return OrderspaceClient(connection)

    def _customers(self) -> Iterator[Customer]:
        return self.client.iter_customers(page_size=self.page_size)

    # --- reads ----------------------------------------------------------------------------------
    def new_cursor(self) -> OrderspaceCursor:
        return OrderspaceCursor()

    def cursor_from_json(self, data) -> OrderspaceCursor:
        return cursors.cursor_from_json(OrderspaceCursor, data)

    def list_changed(self, cursor: OrderspaceCursor) -> cursors.Reading:
        # Customers created during the walk sort before its cursor and are not read; they
        # are new to the digests, so the next read yields them.
        steps = cursors.scan_snapshot(
            cursor,
            self._customers(),
            describe=lambda customer: (customer.id, self.to_record(customer)),
        )
        return cursors.Reading(steps, cursor, self.to_record)

    def list_deleted(
        self, cursor: OrderspaceCursor
    ) -> Iterator[tuple[DeletedRecord, OrderspaceCursor]]:
        for external_id, after in cursors.snapshot_deleted(cursor):
            yield DeletedRecord(external_id), after

    def get(self, external_id: str) -> dict:
        return self.to_record(self.client.get_customer(external_id))

    def find(self, identity: Identity) -> list[dict]:
        email = normalise_email(identity.email)
        if email:
            customer = self.client.find_customer_by_email(email)
            if customer is not None:
                return [self.to_record(customer)]
        phone = normalise_phone(identity.phone, self.phone_region)
        if not phone:
            return []
        # Orderspace's customer list has no phone filter (only company, buyer e-mail, status,
        # reference and the reference ids), so a phone is matched by reading every customer,
        # one page at a time.
        return [
            self.to_record(customer)
            for customer in self._customers()
            if normalise_phone(customer.phone, self.phone_region) == phone
        ]

    # --- writes ---------------------------------------------------------------------------------
    def create(self, payload: dict) -> dict:
        data = _validated(payload)
        if not (data.company_name or "").strip():
            raise ValidationFailedError("Orderspace needs a company_name to create a customer.")
        return self.to_record(self.client.create_customer(data))

    def update(self, external_id: str, payload: dict) -> dict:
        return self.to_record(self.client.update_customer(external_id, _validated(payload)))

    def delete(self, external_id: str) -> None:
        self.client.delete_customer(external_id)

    # --- shapes ---------------------------------------------------------------------------------
    def to_record(self, obj) -> dict:
        customer = obj if isinstance(obj, BaseModel) else Customer.model_validate(obj)
        return customer.model_dump(mode="json", by_alias=True)

    def id_of(self, record: Mapping) -> str:
        return str(record["id"])

    def identity_of(self, record: Mapping) -> Identity:
        buyers = record.get("buyers") or []
        email = buyers[0].get("email_address") if buyers else ""
        return Identity(
            email=normalise_email(email),
            phone=normalise_phone(record.get("phone"), self.phone_region),
        )

    def parse_event(self, event) -> list[ChangeEvent]:
        """One delivery holds up to 50 events of any kind; each customer event becomes a
        ChangeEvent. Created and updated carry the whole customer; deleted only its id."""
        payload = event.payload if isinstance(event.payload, Mapping) else {}
        changes = []
        for index, item in enumerate(payload.get("events") or []):
            action = ACTIONS.get(item.get("event")) if isinstance(item, Mapping) else None
            customer = (item.get("data") or {}).get("customer") if action else None
            if not isinstance(customer, Mapping) or not customer.get("id"):
                continue
            record = None
            if action is not ChangeAction.DELETED:
                try:
                    record = self.to_record(customer)
                except ValidationError:
                    record = None  # the engine reads the customer itself
            changes.append(
                ChangeEvent(
                    connection_id=self.connection.pk,
                    object_type=ObjectType.CONTACT,
                    external_id=str(customer["id"]),
                    action=action,
                    occurred_at=_occurred(item),
                    event_id=f"{event.event_id}#{index}",
                    record=record,
                )
            )
        return changes


def _occurred(item: Mapping) -> datetime | None:
    """Orderspace's events carry no time of their own; use one if a delivery ever has it."""
    value = item.get("created_at") or item.get("created")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
