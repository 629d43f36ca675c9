"""`/ExternalApi/v2/customer`: list/search, get, create and update (there is no delete;
a customer is deactivated with `"Status": "Deprecated"`).

Handlers take `(app, request)` and return `(status, body)`; they raise HTTPError through
`app.error(...)` for refusals, in the account's error format, and run under the app lock."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sandboxes.cin7 import seed
from sandboxes.cin7.state import CUSTOMER_KIND, Cin7State
from sandboxes.kit.web import Request

KIND = CUSTOMER_KIND
READ_ONLY = {"ID", "LastModifiedOn", "ChildCustomers", "ProductPrices"}
TEXT_FIELDS = (
    "DisplayName",
    "Carrier",
    "SalesRepresentative",
    "Location",
    "Comments",
    "AccountReceivable",
    "RevenueAccount",
    "TaxNumber",
    "AttributeSet",
    "CustomerParentID",
    "CustomerParentName",
    *(f"AdditionalAttribute{n}" for n in range(1, 11)),
)
BOOL_FIELDS = ("IsOnCreditHold", "IsLegalEntity", "IsBillParent")
CHOSEN = {  # field -> the account's list of allowed values
    "Currency": seed.CURRENCIES,
    "PaymentTerm": seed.PAYMENT_TERMS,
    "TaxRule": seed.TAX_RULES,
    "PriceTier": seed.PRICE_TIERS,
    "Carrier": seed.CARRIERS,
    "Location": seed.LOCATIONS,
}
CONTACT_FIELDS = ("Name", "JobTitle", "Phone", "MobilePhone", "Fax", "Email", "Website", "Comment")
ADDRESS_FIELDS = ("Line1", "Line2", "City", "State", "Postcode", "Country")


def public(record: dict, *, product_prices: bool = False) -> dict:
    out = {k: v for k, v in record.items() if not k.startswith("_")}
    if product_prices:
        out["ProductPrices"] = []
    return out


def envelope(records: list[dict], total: int, page: int = 1, **options) -> dict:
    return {
        "Total": total,
        "Page": page,
        "CustomerList": [public(r, **options) for r in records],
    }


def parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _int_arg(app: Cin7State, request: Request, name: str, default: int) -> int:
    raw = app.arg(request, name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise app.error(400, f"The value '{raw}' is not valid for {name}.") from None


def _bool_arg(app: Cin7State, request: Request, name: str) -> bool:
    raw = (app.arg(request, name) or "").strip().lower()
    if raw in ("", "false"):
        return False
    if raw == "true":
        return True
    raise app.error(400, f"The value '{raw}' is not valid for {name}.")


def _matches(record: dict, filters: dict) -> bool:
    if filters["id"] and record["ID"] != filters["id"]:
        return False
    if not filters["deprecated"] and record["Status"] == "Deprecated":
        return False
    if filters["name"] and not (record["Name"] or "").casefold().startswith(filters["name"]):
        return False
    since = filters["since"]
    if since is not None:
        modified = parse_time(record["LastModifiedOn"])
        if modified is None or modified < since or (modified == since and not filters["incl"]):
            return False
    contact = filters["contact"]
    if contact:
        return any(
            (c.get("Name") or "").casefold().startswith(contact)
            or (c.get("Email") or "").casefold() == contact
            for c in record["Contacts"]
        )
    return True


def list_customers(app: Cin7State, request: Request) -> tuple[int, dict]:
    knobs = app.knobs
    page = max(1, _int_arg(app, request, "Page", 1))
    limit = _int_arg(app, request, "Limit", knobs.default_limit)
    if limit < 1:
        raise app.error(400, "Limit must be between 1 and 1000.")
    if limit > knobs.max_limit:
        if knobs.limit_over_max == "error":
            raise app.error(400, f"Limit must be between 1 and {knobs.max_limit}.")
        limit = knobs.max_limit
    wanted_id = (app.arg(request, "ID") or "").strip()
    if wanted_id and not _is_guid(wanted_id):
        raise app.error(400, f"The value '{wanted_id}' is not valid for ID.")
    since_text = app.arg(request, "ModifiedSince") or ""
    since = parse_time(since_text) if since_text else None
    if since_text and since is None:
        raise app.error(400, f"The value '{since_text}' is not valid for ModifiedSince.")
    filters = {
        "id": wanted_id.lower(),
        "deprecated": _bool_arg(app, request, "IncludeDeprecated"),
        "name": (app.arg(request, "Name") or "").casefold(),
        "contact": (app.arg(request, "ContactFilter") or "").strip().casefold(),
        "since": since,
        "incl": knobs.modified_since_inclusive,
    }
    prices = _bool_arg(app, request, "IncludeProductPrices")
    found = [r for r in app.store.all(KIND) if _matches(r, filters)]
    if knobs.list_order == "name":
        found.sort(key=lambda r: ((r["Name"] or "").casefold(), r["ID"]))
    else:
        found.sort(key=lambda r: r["_seq"])
    chosen = found[(page - 1) * limit : page * limit]
    return 200, envelope(chosen, len(found), page, product_prices=prices)


# --- writes -----------------------------------------------------------------------------------


def _text(app, name: str, value: Any, max_length: int | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise app.error(400, f"{name} must be a string.")
    if max_length and len(value) > max_length:
        raise app.error(400, f"{name} must not be longer than {max_length} characters.")
    return value


def _number(app, name: str, value: Any, low: float, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise app.error(400, f"{name} must be a number.")
    if value < low or (high is not None and value > high):
        bound = f"between {low:g}% and {high:g}%" if high is not None else f"at least {low:g}"
        raise app.error(400, f"{name} must be {bound}.")
    return value


def _lines(app, name: str, value: Any, existing: list[dict], fields: tuple, extra) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise app.error(400, f"{name} must be an array of objects.")
    known = {line["ID"] for line in existing}
    result = []
    for item in value:
        line_id = item.get("ID") if item.get("ID") in known else seed.new_guid()
        line = {"ID": line_id}
        for field in fields:
            line[field] = _text(app, f"{name}.{field}", item.get(field), 256)
        result.append({**line, **extra(item)})
    return result


def _contact_extra(app):
    def extra(item: dict) -> dict:
        email = item.get("Email")
        if email and "@" not in email:
            raise app.error(400, f"Contact email '{email}' is not valid.")
        return {
            "Default": bool(item.get("Default", False)),
            "IncludeInEmail": bool(item.get("IncludeInEmail", False)),
        }

    return extra


def _address_extra(app):
    def extra(item: dict) -> dict:
        kind = item.get("Type") or "Billing"
        if kind not in seed.ADDRESS_TYPES:
            raise app.error(400, f"Address type '{kind}' is not valid.")
        return {"Type": kind, "DefaultForType": bool(item.get("DefaultForType", False))}

    return extra


REQUIRED_SEVEN = (
    "Name",
    "Status",
    "Currency",
    "PaymentTerm",
    "AccountReceivable",
    "RevenueAccount",
    "TaxRule",
)


def required_on_create(app: Cin7State) -> list[str]:
    """What POST /customer refuses to go without: the seven of the 2025 schema (knob
    `require_all_seven`), else the older five (Name, Status, Currency, PaymentTerm, TaxRule);
    PriceTier too when `require_price_tier` is on."""
    knobs = app.knobs
    required = [
        f
        for f in REQUIRED_SEVEN
        if knobs.require_all_seven or f not in ("AccountReceivable", "RevenueAccount")
    ]
    return [*required, "PriceTier"] if knobs.require_price_tier else required


def apply_changes(app: Cin7State, record: dict, body: dict, *, creating: bool) -> dict:
    """Validate `body` and return `record` with it applied (unknown keys are ignored, as
    Cin7's deserialiser does; read-only ones too)."""
    changed = dict(record)
    for key, value in body.items():
        if key in READ_ONLY:
            continue
        if key == "Name":
            name = _text(app, "Name", value, 256)
            if not name or not name.strip():
                raise app.error(400, "Name is required.")
            changed["Name"] = name.strip()
        elif key == "Status":
            if value not in ("Active", "Deprecated"):
                raise app.error(400, "Status should be 'Active' or 'Deprecated'.")
            changed["Status"] = value
        elif key in CHOSEN:
            if value is not None and value not in CHOSEN[key]:
                raise app.error(400, f"{key} '{value}' is not valid for this account.")
            changed[key] = value
        elif key == "Tags":
            changed["Tags"] = _text(app, "Tags", value)
        elif key in TEXT_FIELDS:
            changed[key] = _text(app, key, value, 2000 if key == "Comments" else 256)
        elif key in BOOL_FIELDS:
            if not isinstance(value, bool):
                raise app.error(400, f"{key} must be true or false.")
            changed[key] = value
        elif key == "Discount":
            changed[key] = _number(app, key, value, 0, 100)
        elif key == "CreditLimit":
            changed[key] = _number(app, key, value, 0)
        elif key == "Contacts":
            changed[key] = _lines(
                app, key, value, record["Contacts"], CONTACT_FIELDS, _contact_extra(app)
            )
            if changed[key] and not any(c["Default"] for c in changed[key]):
                changed[key][0]["Default"] = True
        elif key == "Addresses":
            changed[key] = _lines(
                app, key, value, record["Addresses"], ADDRESS_FIELDS, _address_extra(app)
            )
    if creating:
        missing = [f for f in required_on_create(app) if not body.get(f)]
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            raise app.error(400, f"{', '.join(missing)} {verb} required.")
    changed["AccountReceivable"] = changed["AccountReceivable"] or seed.DEFAULT_ACCOUNT_RECEIVABLE
    changed["RevenueAccount"] = changed["RevenueAccount"] or seed.DEFAULT_REVENUE_ACCOUNT
    same_name = app.customer_named(changed["Name"])
    if same_name is not None and same_name["ID"] != changed["ID"]:
        raise app.error(400, f"Customer with name '{changed['Name']}' already exists.")
    return changed


def create(app: Cin7State, body: Any, *, source: str, emit: bool = True) -> dict:
    if not isinstance(body, dict):
        raise app.error(400, "The request body must be a customer object.")
    record = seed.blank_customer()
    record["ID"] = seed.new_guid()
    record = apply_changes(app, record, body, creating=True)
    record["_seq"] = app.next_seq()
    return app.save_customer(record, created=True, source=source, emit=emit)


def update(
    app: Cin7State,
    body: Any,
    *,
    source: str,
    customer_id: str | None = None,
    emit: bool = True,
) -> dict:
    if not isinstance(body, dict):
        raise app.error(400, "The request body must be a customer object.")
    customer_id = customer_id or body.get("ID")
    if not customer_id:
        raise app.error(400, "ID is required.")
    record = app.store.get(KIND, str(customer_id).lower())
    if record is None:
        raise app.error(400, f"Customer with ID '{customer_id}' not found.")
    record = apply_changes(app, record, body, creating=False)
    return app.save_customer(record, created=False, source=source, emit=emit)


def post_customer(app: Cin7State, request: Request) -> tuple[int, dict]:
    record = create(app, app.body(request), source="api")
    return 200, envelope([record], 1)


def put_customer(app: Cin7State, request: Request) -> tuple[int, dict]:
    record = update(app, app.body(request), source="api")
    return 200, envelope([record], 1)
