"""Cin7 Core customers as the sync engine sees them: one `RecordAdapter` for CONTACT.

Records are `Customer.model_dump(mode="json", by_alias=True)`: Cin7's own field names, the
default contact first in `Contacts` and the default billing address first in `Addresses`,
so the field catalogue's `Contacts.0.Email` is "the default contact's e-mail".
Payloads are dicts in the same names (what the mapping engine outputs), checked through
`CustomerInput` before anything is sent.

Changed since: `GET /customer?ModifiedSince=…&IncludeDeprecated=true` against
`LastModifiedOn` (UTC, milliseconds). Cin7 does not document the list's order (the sandbox
sorts by name), so the read is not treated as sorted by update time: pages go by Page/Limit
and the cursor moves to the time the read started once it is complete (`Cin7Cursor` keeps
a 2-minute overlap, which also absorbs that much clock difference between us and Cin7).

Deactivation, not deletion: Cin7 cannot delete a customer through its API; it is deactivated
(`Status: "Deprecated"`) and can be reactivated. `list_changed` yields deactivated customers
like any other change, with their Status, and `list_deleted` yields nothing: one read (the
account has 60 calls a minute) and a reactivation is just the next change. Webhook events
are the one place the contract carries an action, so `parse_event` reports a customer whose
Status is "Deprecated" as DELETED and every other as UPDATED (Cin7 sends Customer/Updated
only, for creates too as far as anyone can tell).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from integrations.errors import PermanentError, ValidationFailedError
from integrations.models import Connection
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
from integrations.providers.cin7 import webhooks
from integrations.providers.cin7.client import MAX_PAGE, Cin7Client
from integrations.providers.cin7.schemas import (
    AddressInput,
    ContactInput,
    Customer,
    CustomerInput,
)

DEPRECATED = "Deprecated"


class Cin7Cursor(cursors.TimeCursor):
    """ModifiedSince (sent as UTC without an offset) against LastModifiedOn (milliseconds)."""

    kind = "cin7.time"
    overlap = timedelta(minutes=2)
    precision = timedelta(milliseconds=1)


def _problems(error: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(p) for p in item['loc']) or 'payload'}: {item['msg']}"
        for item in error.errors()
    ]


def customer_input(payload: Mapping) -> CustomerInput:
    """The payload as Cin7's input model; a bad one raises ValidationFailedError naming each
    field (unknown fields included: Cin7 would silently ignore them)."""
    if not isinstance(payload, Mapping):
        raise ValidationFailedError("A Cin7 Core customer payload must be an object.")
    try:
        return CustomerInput.model_validate(dict(payload))
    except ValidationError as error:
        messages = _problems(error)
        raise ValidationFailedError(
            "This is not a valid Cin7 Core customer: " + "; ".join(messages), messages=messages
        ) from None


def _merged_lines(current: list, given: list, model) -> list:
    """Cin7 replaces Contacts/Addresses with the list sent. A payload's item without an ID
    at position i means "the i-th one" (the default first), so it keeps that item's ID and
    the fields it does not set; items the payload does not reach are kept as they are."""
    allowed = set(model.model_fields)
    merged = []
    for index, item in enumerate(given):
        fields = item.model_dump(exclude_unset=True, by_alias=True)
        if not fields.get("ID") and index < len(current):
            base = {k: v for k, v in current[index].model_dump().items() if k in allowed}
            fields = {**base, **fields}
        merged.append(model.model_validate(fields))
    kept = [
        model.model_validate({k: v for k, v in line.model_dump().items() if k in allowed})
        for line in current[len(given) :]
    ]
    return merged + kept


class CustomerAdapter(RecordAdapter):
    object_type = ObjectType.CONTACT
    label = "customer"

    def __init__(self, connection: Connection, client=None, page_size: int | None = None):
        super().__init__(connection, client)
        self.page_size = max(1, min(page_size or MAX_PAGE, MAX_PAGE))

    @staticmethod
    def build_client(connection: Connection) -> Cin7Client:
        return Cin7Client(connection)

    # --- reads ----------------------------------------------------------------------------
    def new_cursor(self) -> Cin7Cursor:
        return Cin7Cursor()

    def cursor_from_json(self, data: Mapping) -> Cin7Cursor:
        return cursors.cursor_from_json(Cin7Cursor, data)

    def list_changed(self, cursor: cursors.Cursor) -> cursors.Reading:
        if not isinstance(cursor, Cin7Cursor):
            raise cursors.CursorError("This is not a Cin7 Core cursor.")
        size = self.page_size

        def fetch_page(since: datetime | None, offset: int) -> list[Customer]:
            customers, total = self.client.customer_page(
                offset // size + 1, size, updated_since=since
            )
            if len(customers) < size and total > offset + len(customers):
                # Cin7 served a shorter page than asked while more remain: paging by
                # Page/Limit would skip records. Never seen; stop rather than miss some.
                raise PermanentError(
                    f"Cin7 Core answered {len(customers)} customers for a page of {size} "
                    f"with {total} in all; read with a smaller page size."
                )
            return customers

        steps = cursors.scan_updated_since(
            cursor,
            fetch_page,
            page_size=size,
            describe=lambda c: (c.ID, c.modified_at(), self.to_record(c)),
            sorted_by_update=False,  # the order is not documented (the sandbox: by name)
            started_at=datetime.now(UTC),
        )
        return cursors.Reading(steps, cursor, self.to_record)

    def list_deleted(self, cursor) -> Iterator[tuple[DeletedRecord, cursors.Cursor]]:
        """Nothing: a deactivated customer comes through `list_changed` with Status
        "Deprecated" (see the module docstring)."""
        return iter(())

    def get(self, external_id: str) -> dict:
        return self.to_record(self.client.get_customer(external_id))

    def find(self, identity: Identity) -> list[dict]:
        email = normalise_email(identity.email)
        if email:
            # ContactFilter matches a contact's e-mail exactly (or its name's start): check
            # the answer ourselves, as the comparison's case rules are not documented.
            found = [
                c
                for c in self.client.search_customers(contact=email, page_size=self.page_size)
                if any(normalise_email(p.Email) == email for p in c.Contacts)
            ]
            if found:
                return [self.to_record(c) for c in found]
        phone = normalise_phone(identity.phone, self.phone_region)
        if not phone:
            return []
        # No filter reaches a phone number (ContactFilter is name or e-mail only), so this
        # streams every customer page by page and compares normalised numbers.
        return [
            self.to_record(c)
            for c in self.client.iter_customers(page_size=self.page_size)
            if any(
                normalise_phone(number, self.phone_region) == phone
                for p in c.Contacts
                for number in (p.Phone, p.MobilePhone)
                if number
            )
        ]

    # --- writes ---------------------------------------------------------------------------
    def create(self, payload: dict) -> dict:
        """POST /customer; the seven fields Cin7 requires come from the payload or the
        connection's settings (ConfigError naming the missing settings otherwise)."""
        return self.to_record(self.client.create_customer(customer_input(payload)))

    def update(self, external_id: str, payload: dict) -> dict:
        """PUT /customer with the ID in the body; only the payload's fields change. A payload
        with Contacts or Addresses is merged onto the current lists first (one more read)."""
        data = customer_input(payload)
        if data.Contacts is not None or data.Addresses is not None:
            current = self.client.get_customer(external_id)
            if data.Contacts is not None:
                data.Contacts = _merged_lines(current.Contacts, data.Contacts, ContactInput)
            if data.Addresses is not None:
                data.Addresses = _merged_lines(current.Addresses, data.Addresses, AddressInput)
        return self.to_record(self.client.update_customer(external_id, data))

    def deactivate(self, external_id: str) -> dict:
        return self.to_record(self.client.deactivate_customer(external_id))

    # --- shapes ---------------------------------------------------------------------------
    def to_record(self, obj) -> dict:
        customer = obj if isinstance(obj, Customer) else Customer.model_validate(obj)
        return customer.model_dump(mode="json", by_alias=True)

    def id_of(self, record: Mapping) -> str:
        return str(record["ID"])

    def updated_of(self, record: Mapping) -> datetime | None:
        text = record.get("LastModifiedOn")
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)

    def identity_of(self, record: Mapping) -> Identity:
        contacts = record.get("Contacts") or []
        default = next((c for c in contacts if c.get("Default")), contacts[0] if contacts else {})
        phone = default.get("Phone") or default.get("MobilePhone")
        return Identity(
            email=normalise_email(default.get("Email")),
            phone=normalise_phone(phone, self.phone_region),
        )

    def parse_event(self, event) -> list[ChangeEvent]:
        """One ChangeEvent per customer of a Customer/Updated delivery (Cin7 batches them):
        DELETED when its Status is "Deprecated", else UPDATED; the record is the customer
        the delivery carried. Its event_id names that customer's change, so the same change
        in two deliveries is one event."""
        if event.event_type != webhooks.EVENT_TYPE or not isinstance(event.payload, dict):
            return []
        changes = []
        for item in event.payload.get("CustomerDetailsList") or []:
            if not isinstance(item, dict) or not item.get("ID"):
                continue
            try:
                record = self.to_record(item)
            except ValidationError:
                record = None  # a shape we do not know: the engine reads it back by ID
            changes.append(
                ChangeEvent(
                    connection_id=self.connection.pk,
                    object_type=ObjectType.CONTACT,
                    external_id=str(item["ID"]),
                    action=(
                        ChangeAction.DELETED
                        if item.get("Status") == DEPRECATED
                        else ChangeAction.UPDATED
                    ),
                    occurred_at=self.updated_of(item),
                    event_id=webhooks.event_id([item]),
                    record=record,
                )
            )
        return changes
