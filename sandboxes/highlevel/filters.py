"""The `filters` grammar of POST /contacts/search (HighLevel documents it only on an external
page the spec links to, so this is the sandbox's own, modelled on what clients send).

`filters` is a list; all its entries must hold (AND). An entry is either a condition

    {"field": "email", "operator": "eq", "value": "ada@example.com"}

or a group, whose `filters` are combined with AND or OR:

    {"group": "OR", "filters": [<condition or group>, ...]}

Fields: id, email, phone, firstName, lastName, firstNameLowerCase, lastNameLowerCase,
companyName, address1, city, state, country, postalCode, source, type, assignedTo,
businessId, timezone (text); tags (a list); dnd (boolean); dateAdded, dateUpdated,
dateOfBirth (dates).

Operators:
  eq / not_eq        text: equal ignoring case (phone compared in E.164); a list value means
                     "any of". tags: has the tag (any of the listed tags). dates: same
                     millisecond. dnd: equal.
  contains / not_contains   text: substring ignoring case; tags: some tag contains it.
  exists / not_exists       the field is set (non-empty); no value.
  range              dates (ISO string or epoch ms) or text:
                     {"gte"|"gt"|"lte"|"lt": bound}, in any mix.
  gt / gte / lt / lte       shorthand for a one-sided range.
An unknown field or operator, or a value of the wrong type, is a 422.
"""

from collections.abc import Callable
from typing import Any

from sandboxes.highlevel.records import ms_of, parse_iso
from sandboxes.highlevel.validation import normalise_phone

TEXT = (
    "id",
    "email",
    "phone",
    "firstName",
    "lastName",
    "companyName",
    "address1",
    "city",
    "state",
    "country",
    "postalCode",
    "source",
    "type",
    "assignedTo",
    "businessId",
    "timezone",
)
ALIASES = {"firstNameLowerCase": "firstName", "lastNameLowerCase": "lastName"}
DATES = ("dateAdded", "dateUpdated", "dateOfBirth")
OPERATORS = (
    "eq",
    "not_eq",
    "contains",
    "not_contains",
    "exists",
    "not_exists",
    "range",
    "gt",
    "gte",
    "lt",
    "lte",
)
BOUNDS = ("gt", "gte", "lt", "lte")

Predicate = Callable[[dict], bool]


def _text(contact: dict, field: str) -> str:
    return str(contact.get(field) or "").lower()


def _bound(field: str, value: Any) -> Any:
    if field in DATES:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return int(value)
        parsed = parse_iso(value) if isinstance(value, str) else None
        if parsed is None:
            raise ValueError(f"a {field} bound must be an ISO date or epoch milliseconds")
        return parsed
    if not isinstance(value, str):
        raise ValueError(f"a {field} bound must be a string")
    return value.lower()


def _condition(entry: dict) -> Predicate:
    field = ALIASES.get(entry.get("field"), entry.get("field"))
    operator = entry.get("operator")
    value = entry.get("value")
    if field not in (*TEXT, *DATES, "tags", "dnd"):
        raise ValueError(f"field {entry.get('field')!r} is not searchable")
    if operator not in OPERATORS:
        raise ValueError(f"operator must be one of the following values: {', '.join(OPERATORS)}")

    def read(contact: dict) -> Any:
        if field in DATES:
            return ms_of(contact, field) if contact.get(field) else None
        if field == "tags":
            return contact.get("tags", [])
        if field == "dnd":
            return bool(contact.get("dnd"))
        return _text(contact, field) or None

    if operator in ("exists", "not_exists"):
        wanted = operator == "exists"
        return lambda c: bool(read(c)) == wanted
    if operator in BOUNDS:
        operator, value = "range", {operator: value}
    if operator == "range":
        if not isinstance(value, dict) or not value or set(value) - set(BOUNDS):
            raise ValueError("range value must be an object with gt, gte, lt and/or lte")
        bounds = {name: _bound(field, bound) for name, bound in value.items()}
        checks = {
            "gt": lambda a, b: a > b,
            "gte": lambda a, b: a >= b,
            "lt": lambda a, b: a < b,
            "lte": lambda a, b: a <= b,
        }

        def in_range(contact: dict) -> bool:
            current = read(contact)
            return current is not None and all(checks[n](current, b) for n, b in bounds.items())

        return in_range
    if field == "dnd":
        if not isinstance(value, bool) or operator not in ("eq", "not_eq"):
            raise ValueError("dnd takes eq or not_eq with a boolean value")
        return lambda c: (read(c) == value) == (operator == "eq")
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
        raise ValueError(f"value of a {operator} condition must be a string or a list of strings")
    if field in DATES:
        stamps = [_bound(field, v) for v in values]
        if operator not in ("eq", "not_eq"):
            raise ValueError("dates take eq, not_eq, range, gt, gte, lt or lte")
        return lambda c: (read(c) in stamps) == (operator == "eq")
    wanted = [str(v).lower() for v in values]
    if field == "phone":
        wanted = [(normalise_phone(v) or v).lower() for v in wanted]
    positive = operator in ("eq", "contains")
    if operator in ("eq", "not_eq"):
        if field == "tags":
            return lambda c: any(tag.lower() in wanted for tag in read(c)) == positive
        return lambda c: (read(c) in wanted) == positive
    if field == "tags":
        return lambda c: any(w in tag.lower() for tag in read(c) for w in wanted) == positive
    return lambda c: any(w in (read(c) or "") for w in wanted) == positive


def _compile(entries: Any, combine: str, path: str) -> Predicate:
    if not isinstance(entries, list):
        raise ValueError(f"{path} must be an array")
    parts = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValueError(f"{path}.{index} must be an object")
        if "group" in entry:
            if entry["group"] not in ("AND", "OR"):
                raise ValueError(
                    f"{path}.{index}.group must be one of the following values: AND, OR"
                )
            parts.append(_compile(entry.get("filters"), entry["group"], f"{path}.{index}.filters"))
        else:
            try:
                parts.append(_condition(entry))
            except ValueError as error:
                raise ValueError(f"{path}.{index}: {error}") from None
    if combine == "OR":
        return lambda contact: any(part(contact) for part in parts)
    return lambda contact: all(part(contact) for part in parts)


def compile_filters(filters: Any, errors: list[str]) -> Predicate | None:
    """A predicate for `filters` (None when there are none); problems go to `errors`."""
    if filters in (None, []):
        return None
    try:
        return _compile(filters, "AND", "filters")
    except ValueError as error:
        errors.append(str(error))
        return None


def matches_query(contact: dict, query: str) -> bool:
    """Free-text `query`: a substring of the name, e-mail, phone, company or a tag."""
    needle = query.lower()
    name = f"{contact.get('firstName') or ''} {contact.get('lastName') or ''}".lower()
    haystack = [
        name,
        _text(contact, "email"),
        _text(contact, "companyName"),
        *contact.get("tags", []),
    ]
    digits = "".join(ch for ch in needle if ch.isdigit())
    if digits and len(digits) >= 3 and digits in (contact.get("phone") or ""):
        return True
    return any(needle in text for text in haystack)
