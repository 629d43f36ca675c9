"""Stored records -> the JSON HighLevel answers with.

GET/PUT/upsert omit unset fields (no nulls) and never show `name`; search records carry
every field with null for unset ones; v3 writes DND channel keys in lower camel case.
Webhook payloads are not versioned: they always use the 2021-07-28 keys."""

import json
from typing import Any

from sandboxes.highlevel.validation import DND_V2_TO_V3

CONTACT_FIELDS = (
    "id",
    "locationId",
    "firstName",
    "lastName",
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
    "dnd",
    "dndSettings",
    "inboundDndSettings",
    "type",
    "source",
    "assignedTo",
    "gender",
    "tags",
    "dateOfBirth",
    "businessId",
    "attributionSource",
    "lastAttributionSource",
    "dateAdded",
    "dateUpdated",
    "lastActivity",
    "createdBy",
    "lastUpdatedBy",
)


def _render(value: Any, native: bool) -> Any:
    """A custom-field value: the spec's schema says string; `native` keeps the JSON type."""
    if native or isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def custom_fields(contact: dict, native: bool) -> list[dict]:
    return [
        {"id": key, "value": _render(value, native)}
        for key, value in contact.get("customFields", {}).items()
    ]


def dnd_settings(settings: dict, version: str) -> dict:
    if version != "v3":
        return dict(settings)
    return {DND_V2_TO_V3[key]: value for key, value in settings.items()}


def full_name(contact: dict) -> str:
    return " ".join(part for part in (contact.get("firstName"), contact.get("lastName")) if part)


def contact_out(contact: dict, version: str, native: bool) -> dict:
    """GET /contacts/{id}, PUT and upsert: set fields only."""
    out: dict[str, Any] = {}
    for key in CONTACT_FIELDS:
        value = contact.get(key)
        if value is None:
            continue
        out[key] = dnd_settings(value, version) if key == "dndSettings" else value
    if contact.get("firstName"):
        out["firstNameLowerCase"] = contact["firstName"].lower()
    if contact.get("lastName"):
        out["lastNameLowerCase"] = contact["lastName"].lower()
    if full_name(contact):
        out["fullNameLowerCase"] = full_name(contact).lower()
    if contact.get("email"):
        out["emailLowerCase"] = contact["email"].lower()
    out["tags"] = list(contact.get("tags", []))
    out["customFields"] = custom_fields(contact, native)
    out["additionalEmails"] = list(contact.get("additionalEmails", []))
    out["additionalPhones"] = list(contact.get("additionalPhones", []))
    out["followers"] = list(contact.get("followers", []))
    return out


def created_contact_out(contact: dict, version: str, native: bool) -> dict:
    """POST /contacts/: the GET shape plus the create-only fields (CreateContactSchema)."""
    out = contact_out(contact, version, native)
    out["deleted"] = False
    if contact.get("dateOfBirth"):
        out["birthMonth"] = int(contact["dateOfBirth"][5:7]) - 1  # JavaScript months
        out["birthDay"] = int(contact["dateOfBirth"][8:10])
    out["validEmail"] = None
    out["validEmailDate"] = None
    return out


def list_item(contact: dict, version: str, native: bool) -> dict:
    """GET /contacts/ and GET /contacts/business/{id} items (ContactsSearchSchema)."""
    out = contact_out(contact, version, native)
    out["contactName"] = full_name(contact).lower() or contact.get("email", "").lower()
    out["attributions"] = [contact["attributionSource"]] if contact.get("attributionSource") else []
    return out


def search_record(
    contact: dict, version: str, native: bool, search_after: list, business_name: str | None
) -> dict:
    """POST /contacts/search items: every field present, null when unset."""
    get = contact.get
    dnd = get("dndSettings")
    return {
        "id": contact["id"],
        "phoneLabel": None,
        "country": get("country"),
        "address": get("address1"),
        "source": get("source"),
        "type": get("type"),
        "locationId": contact["locationId"],
        "website": get("website"),
        "dnd": get("dnd", False),
        "state": get("state"),
        "businessName": business_name,
        "customFields": custom_fields(contact, native),
        "tags": list(get("tags", [])),
        "dateAdded": contact["dateAdded"],
        "additionalEmails": [{"email": email} for email in get("additionalEmails", [])],
        "phone": get("phone"),
        "companyName": get("companyName"),
        "additionalPhones": [{"phone": phone} for phone in get("additionalPhones", [])],
        "dateUpdated": contact["dateUpdated"],
        "city": get("city"),
        "dateOfBirth": get("dateOfBirth"),
        "firstNameLowerCase": get("firstName").lower() if get("firstName") else None,
        "lastNameLowerCase": get("lastName").lower() if get("lastName") else None,
        "firstName": get("firstName"),
        "lastName": get("lastName"),
        "contactName": full_name(contact).lower() or None,
        "email": get("email"),
        "assignedTo": get("assignedTo"),
        "followers": list(get("followers", [])),
        "validEmail": None,
        "dndSettings": dnd_settings(dnd, version) if dnd is not None else None,
        "opportunities": [],
        "postalCode": get("postalCode"),
        "businessId": get("businessId"),
        "searchAfter": search_after,
        "timezone": get("timezone"),
        "inboundDndSettings": get("inboundDndSettings"),
        "attributionSource": get("attributionSource"),
        "lastAttributionSource": get("lastAttributionSource"),
    }


def task_out(task: dict) -> dict:
    keys = ("id", "title", "body", "assignedTo", "dueDate", "completed", "contactId")
    return {key: task[key] for key in keys if task.get(key) is not None}


def note_out(note: dict) -> dict:
    keys = (
        "id",
        "body",
        "bodyText",
        "userId",
        "title",
        "color",
        "pinned",
        "dateAdded",
        "contactId",
    )
    out = {key: note[key] for key in keys if note.get(key) is not None}
    out["relations"] = []
    return out


def appointment_out(appointment: dict) -> dict:
    return {key: value for key, value in appointment.items() if value is not None}


# Webhook payloads (HighLevel webhook events docs): flat objects; the sender adds type, locationId,
# webhookId and timestamp.


def contact_event(contact: dict, *, with_dnd: bool = False) -> dict:
    keys = (
        "id",
        "address1",
        "city",
        "state",
        "companyName",
        "country",
        "source",
        "dateAdded",
        "dateOfBirth",
        "dnd",
        "email",
        "firstName",
        "lastName",
        "phone",
        "postalCode",
        "website",
        "assignedTo",
    )
    payload = {key: contact[key] for key in keys if contact.get(key) is not None}
    if full_name(contact):
        payload["name"] = full_name(contact)
    payload["tags"] = list(contact.get("tags", []))
    payload["attachments"] = []
    payload["customFields"] = custom_fields(contact, native=True)
    if with_dnd:
        payload["dndSettings"] = dict(contact.get("dndSettings") or {})
    return payload


def task_event(task: dict) -> dict:
    keys = ("id", "assignedTo", "body", "contactId", "title", "dateAdded", "dueDate", "completed")
    return {key: task[key] for key in keys if task.get(key) is not None}


def note_event(note: dict) -> dict:
    return {
        key: note[key]
        for key in ("id", "body", "contactId", "dateAdded")
        if note.get(key) is not None
    }
