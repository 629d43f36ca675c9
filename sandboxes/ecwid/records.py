"""Ecwid customer records: the date format, input validation and the output shape.

Stored documents are the API's own shape plus two private integers, `_registered` and
`_updated` (UNIX seconds, the platform's precision); dates are rendered on the way out as
Ecwid writes them: "2021-12-21 06:05:58 +0000".
"""

import re
from datetime import UTC, datetime

from sandboxes.kit.web import HTTPError

DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"
CONTACT_TYPES = (
    "EMAIL",
    "PHONE",
    "FACEBOOK",
    "INSTAGRAM",
    "TWITTER",
    "YOUTUBE",
    "TIKTOK",
    "PINTEREST",
    "VK",
    "FB_MESSENGER",
    "WHATSAPP",
    "TELEGRAM",
    "VIBER",
    "URL",
    "OTHER",
)
PERSON_FIELDS = (
    "name",
    "firstName",
    "lastName",
    "companyName",
    "street",
    "city",
    "countryCode",
    "postalCode",
    "stateOrProvinceCode",
    "phone",
)
COUNTRIES = {"US": "United States", "CA": "Canada", "GB": "United Kingdom", "DE": "Germany"}
US_STATES = {
    "AZ": "Arizona",
    "CA": "California",
    "CO": "Colorado",
    "FL": "Florida",
    "GA": "Georgia",
    "IL": "Illinois",
    "MA": "Massachusetts",
    "NY": "New York",
    "OR": "Oregon",
    "TX": "Texas",
    "WA": "Washington",
}
# Top-level fields a client may write; anything else in a body is ignored, as Ecwid does.
WRITABLE = (
    "email",
    "password",
    "billingPerson",
    "shippingAddresses",
    "contacts",
    "customerGroupId",
    "taxExempt",
    "taxId",
    "b2b_b2c",
    "fiscalCode",
    "electronicInvoicePecEmail",
    "electronicInvoiceSdiCode",
    "acceptMarketing",
    "lang",
    "privateAdminNotes",
)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def format_date(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime(DATE_FORMAT)


def parse_date_param(name: str, value: str) -> int:
    """A date filter as Ecwid accepts it: UNIX seconds, "yyyy-MM-dd HH:mm:ss Z" or
    "yyyy-MM-dd" (midnight UTC)."""
    text = value.strip()
    if re.fullmatch(r"\d{1,12}", text):
        return int(text)
    for pattern in (DATE_FORMAT, "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())
    raise wrong_parameter(f"Wrong {name} format: {value!r}")


def error(status: int, message: str, code: str | None = None, headers=None) -> HTTPError:
    body = {"errorMessage": message}
    if code:
        body["errorCode"] = code
    return HTTPError(status, body, headers)


def wrong_parameter(message: str) -> HTTPError:
    return error(400, message, "WRONG_PARAMETER")


def _string(path: str, value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise wrong_parameter(f"Field {path} must be a string")
    return value


def _boolean(path: str, value) -> bool:
    if not isinstance(value, bool):
        raise wrong_parameter(f"Field {path} must be a boolean")
    return value


def person(path: str, value, current: dict | None = None) -> dict:
    """A billing person or shipping address: known fields only, names derived both ways."""
    if not isinstance(value, dict):
        raise wrong_parameter(f"Field {path} must be an object")
    result = dict(current or {})
    for key in PERSON_FIELDS:
        if key in value:
            result[key] = _string(f"{path}.{key}", value[key])
    code = result.get("countryCode", "")
    if code and not re.fullmatch(r"[A-Z]{2}", code):
        raise wrong_parameter(f"Field {path}.countryCode must be a 2-letter country code")
    if "name" in value and not ({"firstName", "lastName"} & value.keys()):
        first, _, last = result.get("name", "").partition(" ")
        result["firstName"], result["lastName"] = first, last
    elif {"firstName", "lastName"} & value.keys() and "name" not in value:
        result["name"] = " ".join(
            part for part in (result.get("firstName"), result.get("lastName")) if part
        )
    result["countryName"] = COUNTRIES.get(code, "")
    state = result.get("stateOrProvinceCode", "")
    result["stateOrProvinceName"] = US_STATES.get(state, state) if code == "US" else state
    return result


def _contacts(value, next_id, now: int) -> list[dict]:
    if not isinstance(value, list):
        raise wrong_parameter("Field contacts must be an array")
    result = []
    for index, item in enumerate(value):
        path = f"contacts[{index}]"
        if not isinstance(item, dict):
            raise wrong_parameter(f"Field {path} must be an object")
        kind = item.get("type")
        if kind not in CONTACT_TYPES:
            raise wrong_parameter(f"Field {path}.type must be one of {', '.join(CONTACT_TYPES)}")
        order_by = item.get("orderBy", index)
        result.append(
            {
                "id": item["id"] if isinstance(item.get("id"), int) else next_id(),
                "contact": _string(f"{path}.contact", item.get("contact")),
                "handle": _string(f"{path}.handle", item.get("handle")),
                "note": _string(f"{path}.note", item.get("note")),
                "type": kind,
                "default": _boolean(f"{path}.default", item.get("default", index == 0)),
                "orderBy": order_by if isinstance(order_by, int) else index,
                "timestamp": format_date(now),
            }
        )
    return result


def _shipping(value, next_id, now: int) -> list[dict]:
    if not isinstance(value, list):
        raise wrong_parameter("Field shippingAddresses must be an array")
    result = []
    for index, item in enumerate(value):
        address = person(f"shippingAddresses[{index}]", item)
        address["id"] = item["id"] if isinstance(item.get("id"), int) else next_id()
        address["createdDate"] = format_date(now)
        address["defaultAddress"] = index == 0
        address["orderBy"] = index
        address["addressFormatted"] = ", ".join(
            part
            for part in (address.get("street"), address.get("city"), address.get("postalCode"))
            if part
        )
        result.append(address)
    return result


def apply_input(
    doc: dict,
    body,
    *,
    creating: bool,
    group_ids: set[int],
    next_id,
    now: int,
    merge_billing: bool,
) -> dict:
    """Validate a POST/PUT body and apply it to `doc` (a copy of the stored customer).
    Unknown fields are ignored; a field present in the body replaces the stored one, except
    `billingPerson`, which is merged unless `merge_billing` is off."""
    if not isinstance(body, dict):
        raise wrong_parameter("Request body must be a JSON object")
    if creating and not body.get("email"):
        raise wrong_parameter("Email is required")
    if "email" in body:
        email = _string("email", body["email"]).strip()
        if not EMAIL.match(email):
            raise wrong_parameter(f"Email {email!r} is invalid")
        doc["email"] = email
    if "billingPerson" in body:
        current = doc.get("billingPerson") if merge_billing else None
        doc["billingPerson"] = person("billingPerson", body["billingPerson"] or {}, current)
    if "shippingAddresses" in body:
        doc["shippingAddresses"] = _shipping(body["shippingAddresses"] or [], next_id, now)
    if "contacts" in body:  # [V] replaces the whole list
        doc["contacts"] = _contacts(body["contacts"] or [], next_id, now)
    if "customerGroupId" in body:
        group = body["customerGroupId"]
        if isinstance(group, bool) or not isinstance(group, int) or group not in group_ids:
            raise wrong_parameter(f"Customer group {group!r} is not found")
        doc["customerGroupId"] = group
    for key in ("taxExempt", "acceptMarketing"):
        if key in body:
            doc[key] = _boolean(key, body[key])
    for key in (
        "taxId",
        "fiscalCode",
        "electronicInvoicePecEmail",
        "electronicInvoiceSdiCode",
        "lang",
        "privateAdminNotes",
    ):
        if key in body:
            doc[key] = _string(key, body[key])
    if "b2b_b2c" in body:
        if body["b2b_b2c"] not in ("b2b", "b2c"):
            raise wrong_parameter("Field b2b_b2c must be b2b or b2c")
        doc["b2b_b2c"] = body["b2b_b2c"]
    if "password" in body:  # write-only: kept as a flag, never rendered
        doc["_has_password"] = bool(_string("password", body["password"]))
    doc["name"] = (doc.get("billingPerson") or {}).get("name", "")
    return doc


def new_customer(customer_id: int, now: int) -> dict:
    return {
        "id": customer_id,
        "email": "",
        "name": "",
        "totalOrderCount": 0,
        "customerGroupId": 0,
        "billingPerson": {},
        "shippingAddresses": [],
        "contacts": [],
        "taxExempt": False,
        "taxId": "",
        "taxIdValid": True,
        "b2b_b2c": "b2c",
        "fiscalCode": "",
        "electronicInvoicePecEmail": "",
        "electronicInvoiceSdiCode": "",
        "acceptMarketing": False,
        "lang": "en",
        "stats": {
            "numberOfOrders": 0,
            "salesValue": 0.0,
            "averageOrderValue": 0.0,
            "firstOrderDate": None,
            "lastOrderDate": None,
        },
        "privateAdminNotes": "",
        "favorites": [],
        "_registered": now,
        "_updated": now,
    }


def customer_out(doc: dict, group_names: dict[int, str]) -> dict:
    """The customer as the API returns it: private keys dropped, dates in Ecwid's format."""
    out = {key: value for key, value in doc.items() if not key.startswith("_")}
    out["registered"] = format_date(doc["_registered"])
    out["updated"] = format_date(doc["_updated"])
    out["customerGroupName"] = group_names.get(doc.get("customerGroupId", 0), "General")
    return out
