"""Request-body checks with class-validator's wording, and the parsing of contact input.

HighLevel is a NestJS service: a bad body gets 422 with one message per failed rule
("email must be an email", "property locationId should not exist"). Clients log these, so
the wording matters more than the exact rule set."""

import re
from typing import Any

from sandboxes.highlevel.errors import bad_request, unprocessable
from sandboxes.highlevel.records import iso, parse_iso

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DND_CHANNELS_V2 = ("Call", "Email", "SMS", "WhatsApp", "GMB", "FB")
DND_V3_TO_V2 = {
    "call": "Call",
    "email": "Email",
    "sms": "SMS",
    "whatsApp": "WhatsApp",
    "gmb": "GMB",
    "fb": "FB",
}
DND_V2_TO_V3 = {value: key for key, value in DND_V3_TO_V2.items()}
DND_STATUSES = ("active", "inactive", "permanent")


class Checks:
    """Collects messages for one JSON body; `done()` raises 422 if any rule failed."""

    def __init__(self, body: Any, *, allowed: set[str] | None = None, strict: bool = True):
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise bad_request("Request body must be a JSON object")
        self.body = body
        self.errors: list[str] = []
        if strict and allowed is not None:
            self.errors += [
                f"property {key} should not exist" for key in body if key not in allowed
            ]

    def has(self, name: str) -> bool:
        return name in self.body

    def _missing(self, name: str, required: bool, type_message: str) -> bool:
        value = self.body.get(name)
        if value is None or value == "":
            if required:
                self.errors += [f"{name} should not be empty", type_message]
            return True
        return False

    def string(self, name: str, *, required: bool = False) -> str | None:
        message = f"{name} must be a string"
        if self._missing(name, required, message):
            return None
        value = self.body[name]
        if not isinstance(value, str):
            self.errors.append(message)
            return None
        return value

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        message = f"{name} must be a boolean value"
        if self._missing(name, required, message):
            return None
        value = self.body[name]
        if not isinstance(value, bool):
            self.errors.append(message)
            return None
        return value

    def strings(self, name: str, *, required: bool = False) -> list[str] | None:
        if name not in self.body or self.body[name] is None:
            if required:
                self.errors += [f"{name} should not be empty", f"{name} must be an array"]
            return None
        value = self.body[name]
        if not isinstance(value, list):
            self.errors.append(f"{name} must be an array")
            return None
        if not all(isinstance(item, str) for item in value):
            self.errors.append(f"each value in {name} must be a string")
            return None
        return value

    def iso_date(self, name: str, *, required: bool = False) -> int | None:
        message = f"{name} must be a valid ISO 8601 date string"
        if self._missing(name, required, message):
            return None
        parsed = parse_iso(self.body[name]) if isinstance(self.body[name], str) else None
        if parsed is None:
            self.errors.append(message)
        return parsed

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        message = f"{name} must be a number conforming to the specified constraints"
        if self._missing(name, required, message):
            return None
        value = self.body[name]
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)  # NestJS transforms numeric strings in these DTOs
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors.append(message)
            return None
        if minimum is not None and value < minimum:
            self.errors.append(f"{name} must not be less than {minimum}")
        elif maximum is not None and value > maximum:
            self.errors.append(f"{name} must not be greater than {maximum}")
        return value

    def done(self) -> None:
        if self.errors:
            raise unprocessable(self.errors)


def normalise_phone(raw: str) -> str | None:
    """E.164 as HighLevel stores it: US numbers without a country code get +1."""
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 7:
        return None
    if raw.strip().startswith("+"):
        return "+" + digits
    if len(digits) == 10:
        return "+1" + digits
    return "+" + digits


def normalise_tags(tags: list[str], lower: bool) -> list[str]:
    result: list[str] = []
    for tag in tags:
        tag = tag.strip().lower() if lower else tag.strip()
        if tag and tag not in result:
            result.append(tag)
    return result


_DOB_FORMATS = [
    re.compile(r"^(?P<y>\d{4})[/\-._](?P<m>\d{1,2})[/\-._](?P<d>\d{1,2})$"),
    re.compile(r"^(?P<m>\d{1,2})[/\-._](?P<d>\d{1,2})[/\-._](?P<y>\d{4})$"),
]


def parse_date_of_birth(value: str) -> str | None:
    """YYYY-MM-DD or MM-DD-YYYY with any of / - . _ (or a full ISO date-time) ->
    `1990-09-25T00:00:00.000Z`; None if it is not a date."""
    for pattern in _DOB_FORMATS:
        match = pattern.match(value.strip())
        if match:
            text = f"{int(match['y']):04d}-{int(match['m']):02d}-{int(match['d']):02d}"
            parsed = parse_iso(text)
            return iso(parsed) if parsed is not None else None
    parsed = parse_iso(value)
    return iso(parsed - parsed % 86_400_000) if parsed is not None else None


def check_dnd_settings(
    value: Any, version: str, prefix: str = "dndSettings"
) -> tuple[dict, list[str]]:
    """Validate dndSettings in the version's key style; returns it with v2 keys (storage)."""
    if not isinstance(value, dict):
        return {}, [f"{prefix} must be an object"]
    names = DND_V3_TO_V2 if version == "v3" else {key: key for key in DND_CHANNELS_V2}
    result, errors = {}, []
    for key, setting in value.items():
        if key not in names:
            errors.append(f"{prefix}.property {key} should not exist")
            continue
        if not isinstance(setting, dict):
            errors.append(f"{prefix}.{key} must be an object")
            continue
        if setting.get("status") not in DND_STATUSES:
            statuses = ", ".join(DND_STATUSES)
            errors.append(f"{prefix}.{key}.status must be one of the following values: {statuses}")
            continue
        clean = {"status": setting["status"]}
        for extra in ("message", "code"):
            if setting.get(extra) is not None:
                clean[extra] = str(setting[extra])
        result[names[key]] = clean
    return result, errors


def check_inbound_dnd(value: Any) -> tuple[dict, list[str]]:
    if not isinstance(value, dict) or set(value) - {"all"}:
        return {}, ["inboundDndSettings must be an object with the key all"]
    setting = value.get("all")
    if setting is None:
        return {}, []
    if not isinstance(setting, dict) or setting.get("status") not in ("active", "inactive"):
        return {}, [
            "inboundDndSettings.all.status must be one of the following values: active, inactive"
        ]
    clean = {"status": setting["status"]}
    if setting.get("message") is not None:
        clean["message"] = str(setting["message"])
    return {"all": clean}, []


def coerce_custom_value(definition: dict, value: Any) -> Any:
    """A stored value for the field's data type; None clears the field. Values HighLevel
    would not store (text in a number field) are dropped, i.e. also None."""
    if value is None or value == "" or value == []:
        return None
    kind = definition["dataType"]
    if kind in ("NUMERICAL", "MONETORY"):
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return value
        try:
            number = float(str(value).strip())
        except ValueError:
            return None
        return int(number) if number.is_integer() else number
    if kind in ("CHECKBOX", "MULTIPLE_OPTIONS"):
        items = value if isinstance(value, list) else [value]
        return [str(item) for item in items if item not in (None, "")] or None
    if isinstance(value, dict | list):
        return value if kind == "FILE_UPLOAD" else None
    return str(value)


def check_custom_fields(value: Any, definitions: list[dict]) -> tuple[dict[str, Any], list[str]]:
    """`[{id|key, field_value|fieldValue|value}]` -> {fieldId: stored value or None}. Unknown
    ids and keys are ignored, as HighLevel does."""
    if not isinstance(value, list):
        return {}, ["customFields must be an array"]
    by_id = {d["id"]: d for d in definitions}
    by_key = {}
    for definition in definitions:
        by_key[definition["fieldKey"]] = definition
        by_key[definition["fieldKey"].removeprefix("contact.")] = definition
    updates: dict[str, Any] = {}
    errors: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            errors.append(f"customFields.{index} must be an object")
            continue
        definition = by_id.get(item.get("id")) or by_key.get(item.get("key"))
        if not item.get("id") and not item.get("key"):
            errors.append(f"customFields.{index}.id must be a string")
            continue
        if definition is None:
            continue
        for name in ("field_value", "fieldValue", "value"):
            if name in item:
                updates[definition["id"]] = coerce_custom_value(definition, item[name])
                break
    return updates, errors


TEXT_FIELDS = (
    "firstName",
    "lastName",
    "name",
    "email",
    "phone",
    "companyName",
    "address1",
    "city",
    "state",
    "postalCode",
    "country",
    "website",
    "timezone",
    "source",
    "gender",
    "assignedTo",
)
CONTACT_FIELDS = {
    *TEXT_FIELDS,
    "dnd",
    "dndSettings",
    "inboundDndSettings",
    "tags",
    "customFields",
    "dateOfBirth",
}


def _text_change(checks: Checks, name: str) -> tuple[bool, str | None]:
    """(present, value) for one text field; an empty string or null clears the field."""
    value = checks.body[name]
    if value is None or (isinstance(value, str) and not value.strip()):
        return True, None
    text = checks.string(name)
    if text is None:
        return False, None
    text = text.strip()
    if name == "email" and not EMAIL_RE.match(text):
        checks.errors.append("email must be an email")
        return False, None
    if name == "phone":
        phone = normalise_phone(text)
        if phone is None:
            checks.errors.append("phone must be a valid phone number")
        return phone is not None, phone
    if name == "country" and len(text) == 2:
        text = text.upper()
    return True, text


def parse_contact_input(
    body: Any, *, mode: str, version: str, strict: bool, definitions: list[dict], lower_tags: bool
) -> dict:
    """Check a create/upsert/update body; returns the changes in storage form, where None
    clears a field and `customFields` maps field IDs to values. `mode` is create, upsert or
    update (update bodies may not carry `locationId`, as the live API answers)."""
    allowed = set(CONTACT_FIELDS)
    if mode != "update":
        allowed.add("locationId")
    if mode == "upsert":
        allowed.add("createNewIfDuplicateAllowed")
    checks = Checks(body, allowed=allowed, strict=strict)
    changes: dict[str, Any] = {}
    if mode != "update":
        changes["locationId"] = checks.string("locationId", required=True)
    for name in TEXT_FIELDS:
        if checks.has(name):
            ok, value = _text_change(checks, name)
            if ok:
                changes[name] = value
    if (dnd := checks.boolean("dnd")) is not None:
        changes["dnd"] = dnd
    if (tags := checks.strings("tags")) is not None:
        changes["tags"] = normalise_tags(tags, lower_tags)
    if checks.body.get("dndSettings") is not None:
        changes["dndSettings"], errors = check_dnd_settings(checks.body["dndSettings"], version)
        checks.errors += errors
    if checks.body.get("inboundDndSettings") is not None:
        changes["inboundDndSettings"], errors = check_inbound_dnd(checks.body["inboundDndSettings"])
        checks.errors += errors
    if checks.has("dateOfBirth"):
        raw = checks.body["dateOfBirth"]
        parsed = parse_date_of_birth(raw) if isinstance(raw, str) and raw.strip() else None
        if raw not in (None, "") and parsed is None:
            checks.errors.append("dateOfBirth must be a valid date")
        else:
            changes["dateOfBirth"] = parsed
    if checks.body.get("customFields") is not None:
        changes["customFields"], errors = check_custom_fields(
            checks.body["customFields"], definitions
        )
        checks.errors += errors
    if mode == "upsert":
        changes["createNewIfDuplicateAllowed"] = bool(checks.boolean("createNewIfDuplicateAllowed"))
    checks.done()
    name = changes.pop("name", None)
    if name and "firstName" not in changes and "lastName" not in changes:
        first, _, last = name.partition(" ")
        changes["firstName"] = first
        if last.strip():
            changes["lastName"] = last.strip()
    return changes
