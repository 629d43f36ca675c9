"""Shift4Shop customer records: fields, validation, serialisation and list filters.

Field names and types follow the Customer resource model [V]. The record exposes no created
or updated timestamp [V], yet `lastupdatestart`/`lastupdateend` filter on one: the sandbox
keeps it beside the record (`_lastupdate`, UTC) and never serialises it.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sandboxes.shift4shop.knobs import DATE_FORMAT

ADDRESS = ("Company", "FirstName", "LastName", "Address1", "Address2", "City", "State")
ADDRESS_TAIL = ("ZipCode", "Country", "PhoneNumber")
BILLING = tuple(f"Billing{name}" for name in (*ADDRESS, *ADDRESS_TAIL, "TaxID"))
SHIPPING = tuple(f"Shipping{name}" for name in (*ADDRESS, *ADDRESS_TAIL))
TEXT_FIELDS = (
    "Email",
    *BILLING,
    *SHIPPING,
    "Comments",
    "AdditionalField1",
    "AdditionalField2",
    "AdditionalField3",
)
INT_FIELDS = ("CustomerGroupID", "ShippingAddressType")
BOOL_FIELDS = ("Enabled", "MailList", "NonTaxable", "DisableBillingSameAsShipping")
NUMBER_FIELDS = ("TotalStoreCredit",)
WRITE_ONLY = ("Password", "ResetPassword")
READ_ONLY = ("CustomerID",)
MAX_LENGTH = {"Email": 100, "Password": 50}
DEFAULTS = {
    **{name: "" for name in TEXT_FIELDS},
    "CustomerGroupID": 0,
    "ShippingAddressType": 0,
    "Enabled": True,
    "MailList": False,
    "NonTaxable": False,
    "DisableBillingSameAsShipping": False,
    "TotalStoreCredit": 0.0,
}
FIELD_ORDER = ("CustomerID", *DEFAULTS)


class Invalid(Exception):
    """A write the platform refuses; `messages` are shown in the status array."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def parse(body, *, creating: bool) -> dict:
    """Validate a customer body; returns the changes (write-only fields included)."""
    if not isinstance(body, dict):
        raise Invalid(["The customer must be a JSON object."])
    problems, changes = [], {}
    for name, value in body.items():
        if name in READ_ONLY:
            continue  # the id in a body is ignored (PUT takes it from the URL)
        if name in TEXT_FIELDS or name == "Password":
            ok = value is None or isinstance(value, str)
            value = value or ""
        elif name in INT_FIELDS:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif name in BOOL_FIELDS or name == "ResetPassword":
            ok = isinstance(value, bool)
        elif name in NUMBER_FIELDS:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            problems.append(f"{name} is not a field of Customer.")
            continue
        if not ok:
            problems.append(f"{name} has the wrong type.")
            continue
        limit = MAX_LENGTH.get(name)
        if limit and len(value) > limit:
            problems.append(f"{name} cannot be longer than {limit} characters.")
            continue
        changes[name] = value
    if creating:
        for name in ("Email", "Password"):
            if not changes.get(name):
                problems.append(f"{name} is required.")
    elif "Email" in changes and not changes["Email"]:
        problems.append("Email is required.")
    if changes.get("Email") and "@" not in changes["Email"]:
        problems.append("Email is not a valid e-mail address.")
    if problems:
        raise Invalid(problems)
    return changes


def apply(record: dict, changes: dict, now: datetime) -> dict:
    stored = {**record, **{k: v for k, v in changes.items() if k != "ResetPassword"}}
    if "TotalStoreCredit" in stored:
        stored["TotalStoreCredit"] = float(stored["TotalStoreCredit"])
    stored["_lastupdate"] = now.astimezone(UTC).isoformat()
    return stored


def new_record(customer_id: int, changes: dict, now: datetime) -> dict:
    return apply({"CustomerID": customer_id, **DEFAULTS}, changes, now)


def serialise(record: dict) -> dict:
    """The record as GET returns it: every field, in the model's order; no password."""
    return {name: record.get(name, DEFAULTS.get(name)) for name in FIELD_ORDER}


def last_update(record: dict) -> datetime:
    return datetime.fromisoformat(record["_lastupdate"])


def parse_store_time(text: str, timezone: str) -> datetime:
    """`mm/dd/yyyy hh:mm:ss` (or just the date) in the store's clock, as an aware datetime."""
    for fmt in (DATE_FORMAT, "%m/%d/%Y"):
        try:
            naive = datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=ZoneInfo(timezone))
    raise ValueError(text)


def store_time(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime(DATE_FORMAT)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def matches(record: dict, filters: dict, *, start=None, end=None) -> bool:
    """The list filters: e-mail exact, names and places contained, case-insensitive; phone by
    digits; lastupdate between start and end inclusive, compared to the second."""
    if start is not None or end is not None:
        moment = last_update(record).replace(microsecond=0)
        if (start is not None and moment < start) or (end is not None and moment > end):
            return False
    for name, value in filters.items():
        value = value.strip().lower()
        if not value:
            continue
        if name == "email":
            if record.get("Email", "").lower() != value:
                return False
        elif name == "phone":
            wanted = _digits(value)
            phones = (record.get("BillingPhoneNumber", ""), record.get("ShippingPhoneNumber", ""))
            if not any(wanted and wanted in _digits(phone) for phone in phones):
                return False
        else:
            field = {"firstname": "FirstName", "lastname": "LastName"}.get(name, name.title())
            haystack = f"{record.get('Billing' + field, '')} {record.get('Shipping' + field, '')}"
            if value not in haystack.lower():
                return False
    return True
