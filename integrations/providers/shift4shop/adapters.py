"""Shift4Shop customers as the sync engine sees them: one `RecordAdapter` for CONTACT.

Changes are read with `lastupdatestart` (the store's clock, whole seconds). A customer has
no update timestamp of its own, so a read cannot advance its cursor record by record: each
version read is remembered by a digest of the record, and the cursor's time moves to when a
*complete* read started. The next read asks from that time less the overlap, so a change
made while a read runs is read then (or already now), and the digests keep a customer
changed once from being yielded twice. Pages go by offset, re-reading one customer of the
previous page so that a deletion during the read cannot make us skip its neighbour.
There is no deleted-customers feed: `list_deleted` yields nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from pydantic import ValidationError

from integrations.errors import NotFoundError, ValidationFailedError
from integrations.providers import cursors
from integrations.providers.base import (
    ChangeAction,
    ChangeEvent,
    Identity,
    ObjectType,
    RecordAdapter,
    normalise_email,
    normalise_phone,
)
from integrations.providers.shift4shop.client import MAX_PAGE, Shift4ShopClient
from integrations.providers.shift4shop.schemas import Customer, CustomerInput
from integrations.providers.shift4shop.webhooks import EVENT_TYPE

PHONE_FIELDS = ("BillingPhoneNumber", "ShippingPhoneNumber")


class Shift4ShopCursor(cursors.TimeCursor):
    kind: ClassVar[str] = "shift4shop.time"
    # Our clock against the store's, and a change saved while a read was starting.
    overlap: ClassVar[timedelta] = timedelta(minutes=2)
    precision: ClassVar[timedelta] = timedelta(seconds=1)  # mm/dd/yyyy hh:mm:ss


def input_model(payload: Mapping, *, creating: bool) -> CustomerInput:
    """The payload through the client's input model: unknown fields and wrong types are a
    `ValidationFailedError` naming each field."""
    if not isinstance(payload, Mapping):
        raise ValidationFailedError("A Shift4Shop customer payload must be an object.")
    data = dict(payload)
    if creating and not data.get("Password"):
        # Shift4Shop needs a password to create a customer and a synced contact has none:
        # an unguessable one; the customer can reset it from the storefront.
        data["Password"] = secrets.token_urlsafe(24)[:24]
    try:
        return CustomerInput.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(p) for p in item['loc']) or 'payload'}: {item['msg']}"
            for item in error.errors()
        ]
        raise ValidationFailedError(
            "Shift4Shop cannot take this customer: " + "; ".join(problems), messages=problems
        ) from None


class Shift4ShopCustomers(RecordAdapter):
    object_type = ObjectType.CONTACT
    label = "customer"
    identity_fields = ("Email", *PHONE_FIELDS)

    def __init__(self, connection, client=None, page_size: int | None = None):
        super().__init__(connection, client)
        # The overlap of one customer between pages needs at least two a page.
        self.page_size = max(2, min(page_size or MAX_PAGE, MAX_PAGE))

    @staticmethod
    def build_client(connection) -> Shift4ShopClient:
        return Shift4ShopClient(connection)

    # --- reads ------------------------------------------------------------------------------
    def new_cursor(self) -> Shift4ShopCursor:
        return Shift4ShopCursor()

    def cursor_from_json(self, data) -> Shift4ShopCursor:
        return cursors.cursor_from_json(Shift4ShopCursor, data)

    def estimate_total(self) -> int | None:
        return self.client.count_customers()

    def list_changed(self, cursor: cursors.Cursor) -> cursors.Reading:
        if not isinstance(cursor, Shift4ShopCursor):
            raise cursors.CursorError("This is not a Shift4Shop cursor.")

        def fetch_page(since: datetime | None, offset: int) -> list[Customer]:
            return self.client.customers_page(
                offset=offset, limit=self.page_size, changed_from=since
            )

        def describe(customer: Customer):
            return self.id_of_customer(customer), None, self.to_record(customer)

        steps = cursors.scan_updated_since(
            cursor,
            fetch_page,
            page_size=self.page_size,
            describe=describe,
            sorted_by_update=False,
            started_at=datetime.now(UTC),
            page_overlap=1,
        )
        return cursors.Reading(steps, cursor, self.to_record)

    def get(self, external_id: str) -> dict:
        return self.to_record(self.client.get_customer(_customer_id(external_id)))

    def find(self, identity: Identity) -> list[dict]:
        """By e-mail (the `email` filter, then an exact check), else by phone: the `phone`
        filter with the number's last four digits (stores keep numbers in any format), then
        the normalised numbers compared."""
        email = normalise_email(identity.email)
        phone = normalise_phone(identity.phone, self.phone_region)
        if email:
            found = [
                self.to_record(c)
                for c in self.client.search_customers(email=email)
                if normalise_email(c.Email) == email
            ]
            if found:
                return found
        digits = "".join(ch for ch in phone if ch.isdigit())
        if len(digits) >= 4:
            records = [self.to_record(c) for c in self.client.search_customers(phone=digits[-4:])]
            return [r for r in records if self.identity_of(r).phone == phone]
        return []

    # --- writes -----------------------------------------------------------------------------
    def create(self, payload: dict) -> dict:
        """A create that timed out may have happened: `find()` by e-mail before retrying
        (or `client.find_customer_by_email`)."""
        result = self.client.create_customer(input_model(payload, creating=True))
        if result.customer_id is None:
            raise ValidationFailedError("Shift4Shop did not say which customer it created.")
        return self.get(str(result.customer_id))

    def update(self, external_id: str, payload: dict) -> dict:
        data = input_model(payload, creating=False)
        self.client.update_customer(_customer_id(external_id), data)
        return self.get(external_id)

    def delete(self, external_id: str) -> None:
        self.client.delete_customer(_customer_id(external_id))

    # --- shapes -----------------------------------------------------------------------------
    def to_record(self, obj) -> dict:
        customer = obj if isinstance(obj, Customer) else Customer.model_validate(obj)
        return customer.model_dump(mode="json", by_alias=True)

    @staticmethod
    def id_of_customer(customer: Customer) -> str:
        return str(customer.CustomerID)

    def id_of(self, record: Mapping) -> str:
        return str(record["CustomerID"])

    def identity_of(self, record: Mapping) -> Identity:
        phone = next(
            (
                p
                for p in (normalise_phone(record.get(f), self.phone_region) for f in PHONE_FIELDS)
                if p
            ),
            "",
        )
        return Identity(email=normalise_email(record.get("Email")), phone=phone)

    def parse_event(self, event) -> list[ChangeEvent]:
        """ "Customer New" deliveries: one CREATED change per customer. The record is given
        only when the store confirmed it (read it back); a delivery's own body is a hint."""
        payload = event.payload if isinstance(event.payload, dict) else {}
        if event.event_type != EVENT_TYPE or not isinstance(payload.get("customers"), list):
            return []
        confirmed = payload.get("confirmed", True)
        changes = []
        for item in payload["customers"]:
            if not isinstance(item, dict) or "CustomerID" not in item:
                continue
            changes.append(
                ChangeEvent(
                    connection_id=self.connection.pk,
                    object_type=ObjectType.CONTACT,
                    external_id=str(item["CustomerID"]),
                    action=ChangeAction.CREATED,
                    event_id=event.event_id,
                    record=self.to_record(item) if confirmed else None,
                )
            )
        return changes


def _customer_id(external_id) -> int:
    text = str(external_id).strip()
    if not text.isdigit():
        raise NotFoundError(f"{external_id!r} is not a Shift4Shop customer id.", status=404)
    return int(text)
