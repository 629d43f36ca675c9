"""Orderspace customers as the sandbox keeps them: validation, ordering, paging, output.

A stored customer is the API's record plus `_seq` (creation order, the tie-break for equal
`created` seconds). Lists are newest-created first and pages continue after the customer
named by `starting_after`, so inserts and updates never shift a cursor; deletes can (see the
`deleted_cursor` knob). Deleted customers leave a tombstone with their position.
"""

import random
import re
import string
from datetime import UTC, datetime

from sandboxes.kit.store import Store
from sandboxes.kit.web import HTTPError

KIND = "customer"
TOMBSTONE = "customer_deleted"
STATUSES = ("new", "active", "closed")
TEXT_FIELDS = ("company_name", "reference", "internal_note", "phone", "tax_number")
EMAIL_KINDS = ("orders", "dispatches", "invoices")
ADDRESS_KEYS = ("company_name", "contact_name", "line1", "line2", "city", "state")
ADDRESS_KEYS += ("postal_code", "country")
# Field -> (reference list it must name, Orderspace's message when it does not).
REFERENCES = {
    "payment_terms_id": ("payment_terms", "Payment Terms are invalid"),
    "customer_group_id": ("customer_groups", "Customer Group is invalid"),
    "price_list_id": ("price_lists", "Price List is invalid"),
    "tax_rate_id": ("tax_rates", "Tax Rate is invalid"),
}
OUTPUT_ORDER = ("id", "company_name", "created", "status", "reference", "internal_note")
OUTPUT_ORDER += ("buyers", "phone", "email_addresses", "tax_number", "tax_rate_id", "addresses")
OUTPUT_ORDER += ("minimum_spend", "payment_terms_id", "customer_group_id", "price_list_id")
EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
ID_ALPHABET = string.ascii_lowercase + string.digits


class Invalid(Exception):
    """422 "Validation failed: a, b" — Orderspace joins every problem into one message."""

    def __init__(self, problems: list[str]):
        super().__init__(problems)
        self.problems = problems


def not_found(kind: str, record_id: str) -> HTTPError:
    return HTTPError(404, {"message": f"Couldn't find a {kind} with ID {record_id}"})


def bad_request() -> HTTPError:
    # Orderspace's recorded 400s are `text/html` with an empty body: no message at all.
    return HTTPError(400, b"", {"Content-Type": "text/html; charset=utf-8"})


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> str:
    """An ISO 8601 query value as our stored form; naive times are UTC, as Orderspace's are."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise bad_request() from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Customers:
    def __init__(self, store: Store, references: dict[str, dict[str, str]], random_seed: int):
        self.store = store
        self.references = references
        self.emails: dict[str, str] = {}
        for record in store.all(KIND):
            self._index(record)
        self.rng = random.Random(f"orderspace-ids:{random_seed}:{self.next_seq(peek=True)}")

    # --- identity and indexes ---------------------------------------------------------------
    def next_seq(self, *, peek: bool = False) -> int:
        seq = int(self.store.get_meta("next_seq", 1))
        if not peek:
            self.store.set_meta("next_seq", seq + 1)
        return seq

    def new_id(self, prefix: str = "cu_") -> str:
        while True:
            candidate = prefix + "".join(self.rng.choice(ID_ALPHABET) for _ in range(8))
            if self.store.get(KIND, candidate) is None and not self.store.get(TOMBSTONE, candidate):
                return candidate

    def _index(self, record: dict) -> None:
        for buyer in record.get("buyers") or []:
            self.emails[buyer["email_address"].lower()] = record["id"]

    def _unindex(self, record: dict) -> None:
        for buyer in record.get("buyers") or []:
            if self.emails.get(buyer["email_address"].lower()) == record["id"]:
                del self.emails[buyer["email_address"].lower()]

    def count(self) -> int:
        return self.store.count(KIND)

    def get(self, customer_id: str) -> dict:
        record = self.store.get(KIND, customer_id)
        if record is None:
            raise not_found("customer", customer_id)
        return record

    # --- writes -------------------------------------------------------------------------------
    def create(self, fields: dict, *, created: str | None = None) -> dict:
        record = self._apply(fields, None)
        record["id"] = self.new_id()
        record["created"] = created or now_iso()
        record["_seq"] = self.next_seq()
        if not fields.get("email_addresses") and record["buyers"]:
            # [I] like the recorded fixtures: notification addresses default to the buyer's.
            email = record["buyers"][0]["email_address"]
            record["email_addresses"] = dict.fromkeys(EMAIL_KINDS, email)
        self.store.put(KIND, record["id"], record)
        self._index(record)
        return record

    def update(self, customer_id: str, fields: dict) -> dict:
        current = self.get(customer_id)
        record = self._apply(fields, current)
        self._unindex(current)
        self.store.put(KIND, customer_id, record)
        self._index(record)
        return record

    def delete(self, customer_id: str) -> dict:
        record = self.get(customer_id)
        self._unindex(record)
        self.store.delete(KIND, customer_id)
        self.store.put(
            TOMBSTONE,
            customer_id,
            {"id": customer_id, "created": record["created"], "_seq": record["_seq"]},
        )
        return record

    def _apply(self, fields, current: dict | None) -> dict:
        """The record after `fields` (partial on update), or Invalid with every problem."""
        if not isinstance(fields, dict):
            raise bad_request()
        record = dict(current) if current else _blank()
        problems: list[str] = []
        for key in TEXT_FIELDS:
            if key in fields:
                value = fields[key]
                if value is not None and not isinstance(value, str | int | float):
                    problems.append(f"{_label(key)} is invalid")
                    continue
                record[key] = "" if value is None else str(value)
        if not record["company_name"].strip():
            problems.append("Company name can't be blank")
        if "status" in fields:
            if fields["status"] in STATUSES:
                record["status"] = fields["status"]
            else:
                problems.append("Status is not included in the list")
        if "buyers" in fields:
            record["buyers"] = self._buyers(fields["buyers"], record.get("id"), problems)
        if "email_addresses" in fields:
            record["email_addresses"] = _email_addresses(
                fields["email_addresses"], record["email_addresses"], problems
            )
        if "addresses" in fields:
            record["addresses"] = _addresses(fields["addresses"], problems)
        if "minimum_spend" in fields:
            value = fields["minimum_spend"]
            if value is None or value == "":
                record["minimum_spend"] = None
            elif isinstance(value, bool) or not isinstance(value, int | float | str):
                problems.append("Minimum spend is not a number")
            else:
                try:
                    record["minimum_spend"] = float(value)
                except ValueError:
                    problems.append("Minimum spend is not a number")
        for key, (kind, message) in REFERENCES.items():
            if key in fields:
                value = fields[key] or None
                if value is not None and value not in self.references.get(kind, {}):
                    problems.append(message)
                else:
                    record[key] = value
        if problems:
            raise Invalid(problems)
        return record

    def _buyers(self, buyers, own_id: str | None, problems: list[str]) -> list[dict]:
        if not isinstance(buyers, list) or not all(isinstance(b, dict) for b in buyers):
            problems.append("Buyers is invalid")
            return []
        if len(buyers) > 1:
            problems.append("Buyers is too long (maximum is 1 buyer)")  # [I] wording
            return []
        result = []
        for buyer in buyers:
            email = str(buyer.get("email_address") or "").strip()
            if not email:
                problems.append("Email address can't be blank")
            elif not EMAIL.match(email):
                problems.append("Email address is invalid")
            elif self.emails.get(email.lower(), own_id) != own_id:
                problems.append("Email address has already been taken")
            result.append({"name": str(buyer.get("name") or ""), "email_address": email})
        return result

    # --- reads --------------------------------------------------------------------------------
    def page(self, *, filters: dict, created_since: str | None, inclusive: bool, after, limit):
        """(records, has_more) of the matching customers older than the `after` position."""
        matches = []
        for record in self.store.all(KIND):
            if after is not None and (record["created"], record["_seq"]) >= after:
                continue
            if created_since is not None and (
                record["created"] < created_since
                or (not inclusive and record["created"] == created_since)
            ):
                continue
            if all(_matches(record, key, value) for key, value in filters.items()):
                matches.append(record)
        matches.sort(key=lambda r: (r["created"], r["_seq"]), reverse=True)
        return matches[:limit], len(matches) > limit

    def position(self, customer_id: str, *, allow_deleted: bool) -> tuple[str, int]:
        record = self.store.get(KIND, customer_id)
        if record is None and allow_deleted:
            record = self.store.get(TOMBSTONE, customer_id)
        if record is None:
            raise not_found("customer", customer_id)
        return record["created"], record["_seq"]


def _blank() -> dict:
    return {
        "company_name": "",
        "status": "active",  # [I] customers added by API or admin start active
        "reference": "",
        "internal_note": "",
        "buyers": [],
        "phone": "",
        "email_addresses": dict.fromkeys(EMAIL_KINDS, ""),
        "tax_number": "",
        "tax_rate_id": None,
        "addresses": [],
        "minimum_spend": None,
        "payment_terms_id": None,
        "customer_group_id": None,
        "price_list_id": None,
    }


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _email_addresses(value, current: dict, problems: list[str]) -> dict:
    if not isinstance(value, dict):
        problems.append("Email addresses is invalid")
        return current
    result = dict(current)
    for kind in EMAIL_KINDS:
        if kind in value:
            text = "" if value[kind] is None else str(value[kind])
            parts = [p.strip() for p in text.split(",") if p.strip()]
            if any(not EMAIL.match(p) for p in parts):
                problems.append(f"Email addresses {kind} is invalid")
            result[kind] = text
    return result


def _addresses(value, problems: list[str]) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(a, dict) for a in value):
        problems.append("Addresses is invalid")
        return []
    result = []
    for address in value:
        clean = {key: "" if address.get(key) is None else str(address[key]) for key in ADDRESS_KEYS}
        country = clean["country"].strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            problems.append("Addresses country is invalid")
        clean["country"] = country
        result.append(clean)
    return result


def _matches(record: dict, key: str, value: str) -> bool:
    if key == "buyers_email_address":
        return any(b["email_address"].lower() == value.lower() for b in record["buyers"])
    return str(record.get(key) or "") == value


def output(record: dict, created_field: str) -> dict:
    """The API's shape of a stored customer, keys in the documented order."""
    result = {}
    for key in OUTPUT_ORDER:
        if key == "created":
            if created_field in ("created", "both"):
                result["created"] = record["created"]
            if created_field in ("created_at", "both"):
                result["created_at"] = record["created"]
        else:
            result[key] = record[key]
    return result
