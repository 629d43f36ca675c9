"""CS-Cart customers as the sync engine sees them: one `RecordAdapter` for CONTACT.

CS-Cart has no "changed since" filter and keeps no update time (`timestamp` is when the
user was created), so every read is a full one (page/items_per_page, by user id) compared
with the last complete read through a `SnapshotCursor`: what is new or differs is yielded,
and what a complete read no longer finds is listed by `list_deleted`. CS-Cart sends no
webhooks for users.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from pydantic import ValidationError

from integrations.errors import ValidationFailedError
from integrations.providers import cursors
from integrations.providers.base import (
    DeletedRecord,
    Identity,
    ObjectType,
    RecordAdapter,
    normalise_email,
    normalise_phone,
)
from integrations.providers.cscart.client import MAX_PAGE_SIZE, CsCartClient
from integrations.providers.cscart.schemas import CUSTOMER, CustomerInput, User


class CsCartCursor(cursors.SnapshotCursor):
    kind: ClassVar[str] = "cscart.snapshot"


def input_model(payload: Mapping) -> CustomerInput:
    """The payload through the client's input model: unknown fields, wrong values and a
    password (which API 2.0 would silently ignore) are a `ValidationFailedError`."""
    if not isinstance(payload, Mapping):
        raise ValidationFailedError("A CS-Cart customer payload must be an object.")
    data = dict(payload)
    # Only customers are written (the client sets user_type C): "C" is what it would be
    # anyway (the preset sends it); anything else is refused.
    if data.pop("user_type", CUSTOMER) != CUSTOMER:
        raise ValidationFailedError(
            "ContactBridge only writes CS-Cart customers: user_type must be C.",
            messages=["user_type: only C (customer) can be written"],
        )
    try:
        return CustomerInput.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = ".".join(str(p) for p in item["loc"])
            text = str(item.get("ctx", {}).get("error") or item["msg"])
            problems.append(f"{where}: {text}" if where else text)
        raise ValidationFailedError(
            "CS-Cart cannot take this customer: " + "; ".join(problems), messages=problems
        ) from None


class CsCartCustomers(RecordAdapter):
    object_type = ObjectType.CONTACT
    label = "customer"
    identity_fields = ("email", "phone")

    def __init__(self, connection, client=None, page_size: int | None = None):
        super().__init__(connection, client)
        self.page_size = max(1, min(page_size or MAX_PAGE_SIZE, MAX_PAGE_SIZE))

    @staticmethod
    def build_client(connection) -> CsCartClient:
        return CsCartClient(connection)

    # --- reads ------------------------------------------------------------------------------
    def new_cursor(self) -> CsCartCursor:
        return CsCartCursor()

    def cursor_from_json(self, data) -> CsCartCursor:
        return cursors.cursor_from_json(CsCartCursor, data)

    def _cursor(self, cursor) -> CsCartCursor:
        if not isinstance(cursor, CsCartCursor):
            raise cursors.CursorError("This is not a CS-Cart cursor.")
        return cursor

    def list_changed(self, cursor: cursors.Cursor) -> cursors.Reading:
        cursor = self._cursor(cursor)
        users = self.client.iter_customers(page_size=self.page_size)

        def describe(user: User):
            return str(user.user_id), self.to_record(user)

        steps = cursors.scan_snapshot(cursor, users, describe=describe)
        return cursors.Reading(steps, cursor, self.to_record)

    def list_deleted(self, cursor: cursors.Cursor) -> Iterator[tuple[DeletedRecord, CsCartCursor]]:
        """Customers the last complete read no longer found, each with the cursor that
        forgets it (only after a complete `list_changed`)."""
        for external_id, after in cursors.snapshot_deleted(self._cursor(cursor)):
            yield DeletedRecord(external_id), after

    def get(self, external_id: str) -> dict:
        return self.to_record(self.client.get_customer(external_id))

    def find(self, identity: Identity) -> list[dict]:
        """By e-mail first (the LIKE `email` filter, then an exact comparison), else by phone:
        the LIKE `phone` filter with the number's last four digits (stores keep numbers in
        any format), then the normalised numbers compared."""
        email = normalise_email(identity.email)
        phone = normalise_phone(identity.phone, self.phone_region)
        if email:
            found = [
                self.to_record(u)
                for u in self.client.find_customers_by_email(email)
                if normalise_email(u.email) == email
            ]
            if found:
                return found
        digits = "".join(ch for ch in phone if ch.isdigit())
        if len(digits) >= 4:
            users = self.client.search_customers(phone=digits[-4:])
            records = [self.to_record(u) for u in users]
            return [r for r in records if self.identity_of(r).phone == phone]
        return []

    # --- writes -----------------------------------------------------------------------------
    def create(self, payload: dict) -> dict:
        """A create that timed out may have happened: the retry then fails with
        `CustomerExistsError` (a `ValidationFailedError`) whose `existing` is the customer;
        `find()` by e-mail finds it too."""
        return self.to_record(self.client.create_customer(input_model(payload)))

    def update(self, external_id: str, payload: dict) -> dict:
        return self.to_record(self.client.update_customer(external_id, input_model(payload)))

    def delete(self, external_id: str) -> None:
        self.client.delete_customer(external_id)

    # --- shapes -----------------------------------------------------------------------------
    def to_record(self, obj) -> dict:
        user = obj if isinstance(obj, User) else User.model_validate(obj)
        return user.model_dump(mode="json", by_alias=True)

    def id_of(self, record: Mapping) -> str:
        return str(record["user_id"])

    def identity_of(self, record: Mapping) -> Identity:
        return Identity(
            email=normalise_email(record.get("email")),
            phone=normalise_phone(record.get("phone"), self.phone_region),
        )

    def parse_event(self, event) -> list:
        return []  # CS-Cart sends no webhooks for users
