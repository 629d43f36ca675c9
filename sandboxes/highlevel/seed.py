"""Credentials and first-start data, all derived from the random seed.

Two locations (sub-accounts) of one company have the app installed; the first is the one
the published Private Integration Token belongs to. Contacts come from the shared
`people()` list so the platform sandboxes overlap with them by e-mail."""

import random
import uuid
from datetime import timedelta

from sandboxes.highlevel import state
from sandboxes.highlevel.records import (
    from_datetime,
    iso,
    ms_of,
    new_hex_id,
    new_id,
    now_ms,
)
from sandboxes.kit.people import COMPANIES, people

LOCATION_NAMES = ("Demo Store (Sandbox)", "Second Sub-Account (Sandbox)")
USER_NAMES = (("Avery", "Stone", "admin"), ("Jordan", "Lee", "user"), ("Sam", "Rivera", "user"))
PIT_SCOPES = (
    "contacts.readonly contacts.write locations/customFields.readonly "
    "locations/customFields.write users.readonly"
)
# (fieldKey suffix, name, dataType, options)
CUSTOM_FIELDS = (
    ("favourite_colour", "Favourite colour", "SINGLE_OPTIONS", ["Red", "Green", "Blue", "Yellow"]),
    ("customer_since", "Customer since", "DATE", []),
    ("order_count", "Order count", "NUMERICAL", []),
    ("lifetime_value", "Lifetime value", "MONETORY", []),
    ("preferred_channels", "Preferred channels", "CHECKBOX", ["Email", "SMS", "Phone"]),
    ("loyalty_number", "Loyalty number", "TEXT", []),
    ("delivery_instructions", "Delivery instructions", "LARGE_TEXT", []),
)
SOURCES = ("website form", "facebook", "referral", "import", "trade show")
TIMEZONES = ("America/Chicago", "America/New_York", "America/Denver", "America/Los_Angeles")
TASK_TITLES = (
    "Call back about order",
    "Send wholesale price list",
    "Follow up on quote",
    "Check delivery",
)
NOTE_BODIES = (
    "Asked about bulk pricing for the spring range.",
    "<p>Prefers e-mail over phone. <strong>Do not call before 10am.</strong></p>",
    "Met at the trade show; interested in a reseller account.",
    "Complained about a late delivery, resolved with a discount code.",
)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def credentials(random_seed: int) -> dict:
    """The app's and the PIT's credentials, and the IDs of the company, locations and users."""
    rng = random.Random(f"highlevel-credentials:{random_seed}")
    app_id = new_hex_id(rng)
    suffix = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
    return {
        "company_id": new_id(rng),
        "location_ids": [new_id(rng), new_id(rng)],
        "user_ids": [new_id(rng) for _ in USER_NAMES],
        "app_id": app_id,
        "client_id": f"{app_id}-{suffix}",
        "client_secret": _uuid(rng),
        "private_integration_token": f"pit-{_uuid(rng)}",
        "jwt_secret": "".join(rng.choice("0123456789abcdef") for _ in range(64)),
    }


def seed_reference(data: state.Data, creds: dict, random_seed: int) -> None:
    rng = random.Random(f"highlevel-reference:{random_seed}")
    company, locations = creds["company_id"], creds["location_ids"]
    for location_id, name in zip(locations, LOCATION_NAMES, strict=True):
        data.put_reference(
            state.LOCATION,
            {
                "id": location_id,
                "companyId": company,
                "name": name,
                "address": "1 Market St",
                "city": "Austin",
                "state": "TX",
                "country": "US",
                "postalCode": "78701",
                "timezone": "America/Chicago",
            },
        )
        for position, (key, label, kind, options) in enumerate(CUSTOM_FIELDS):
            data.put_reference(
                state.CUSTOM_FIELD,
                {
                    "id": new_id(rng),
                    "name": label,
                    "fieldKey": f"contact.{key}",
                    "placeholder": "",
                    "dataType": kind,
                    "position": position * 50,
                    "picklistOptions": options,
                    "isAllowedCustomOption": False,
                    "locationId": location_id,
                    "model": "contact",
                    "dateAdded": "2024-11-04T10:00:00.000Z",
                },
            )
    for user_id, (first, last, role) in zip(creds["user_ids"], USER_NAMES, strict=True):
        data.put_reference(
            state.USER,
            {
                "id": user_id,
                "name": f"{first} {last}",
                "firstName": first,
                "lastName": last,
                "email": f"{first.lower()}.{last.lower()}@demo-store.example.com",
                "phone": f"+1512555{rng.randint(1000, 9999)}",
                "roles": {"type": "account", "role": role, "locationIds": list(locations)},
                "deleted": False,
            },
        )
    for name in COMPANIES[:4]:
        business_id = new_hex_id(rng)
        data.put_reference(
            state.BUSINESS, {"id": business_id, "name": name, "locationId": locations[0]}
        )


def _custom_values(rng: random.Random, definitions: list[dict], person) -> dict:
    by_key = {d["fieldKey"].removeprefix("contact."): d["id"] for d in definitions}
    values: dict = {}
    if rng.random() < 0.6:
        values[by_key["favourite_colour"]] = rng.choice(["Red", "Green", "Blue", "Yellow"])
    if rng.random() < 0.5:
        values[by_key["customer_since"]] = (
            person.created_at - timedelta(days=rng.randint(0, 900))
        ).strftime("%Y-%m-%d")
    if rng.random() < 0.5:
        values[by_key["order_count"]] = rng.randint(1, 60)
    if rng.random() < 0.4:
        values[by_key["lifetime_value"]] = round(rng.uniform(20, 5000), 2)
    if rng.random() < 0.4:
        values[by_key["preferred_channels"]] = sorted(
            rng.sample(["Email", "SMS", "Phone"], rng.randint(1, 2))
        )
    if rng.random() < 0.3:
        values[by_key["loyalty_number"]] = f"LN-{rng.randint(100000, 999999)}"
    if rng.random() < 0.1:
        values[by_key["delivery_instructions"]] = "Leave parcels with the neighbour at number 12."
    return values


def _contact(rng: random.Random, data: state.Data, location_id: str, person, creds: dict) -> dict:
    added = from_datetime(person.created_at)
    updated_ms = min(ms_of({"t": added}, "t") + rng.randint(0, 30 * 86_400_000), now_ms())
    contact = {
        "id": new_id(rng),
        "locationId": location_id,
        "firstName": person.first_name,
        "lastName": person.last_name,
        "email": person.email,
        "phone": person.phone,
        "companyName": person.company,
        "address1": person.address1,
        "city": person.city,
        "state": person.state,
        "postalCode": person.postal_code,
        "country": person.country,
        "dnd": False,
        "type": rng.choice(["lead", "customer"]),
        "source": rng.choice(SOURCES),
        "tags": list(person.tags),
        "customFields": _custom_values(rng, data.custom_fields[location_id], person),
        "dateAdded": added,
        "dateUpdated": iso(updated_ms),
        "createdBy": {
            "source": "WEB_USER",
            "channel": "APP",
            "sourceId": creds["user_ids"][0],
            "timestamp": added,
        },
    }
    if rng.random() < 0.5:
        contact["timezone"] = rng.choice(TIMEZONES)
    if rng.random() < 0.3:
        contact["assignedTo"] = rng.choice(creds["user_ids"])
    if rng.random() < 0.2:
        contact["dndSettings"] = {
            channel: {"status": "inactive", "message": "", "code": "103"}
            for channel in ("Call", "Email", "SMS")
        }
    elif rng.random() < 0.05:
        contact["dnd"] = True
        contact["dndSettings"] = {
            "Email": {"status": "active", "message": "Unsubscribed", "code": "101"}
        }
    businesses = {
        b["name"]: b["id"] for b in data.businesses.values() if b["locationId"] == location_id
    }
    if person.company in businesses and rng.random() < 0.5:
        contact["businessId"] = businesses[person.company]
    if rng.random() < 0.2:
        contact["attributionSource"] = {
            "url": "https://demo-store.example.com/wholesale",
            "medium": "organic",
        }
    return contact


def _children(rng: random.Random, data: state.Data, contact: dict, users: list[str]) -> None:
    added_ms = ms_of(contact, "dateAdded")
    if rng.random() < 0.25:
        for _ in range(rng.randint(1, 2)):
            task = {
                "id": new_id(rng),
                "contactId": contact["id"],
                "locationId": contact["locationId"],
                "title": rng.choice(TASK_TITLES),
                "body": "Created from the sandbox seed.",
                "dueDate": iso(added_ms + rng.randint(1, 30) * 86_400_000),
                "completed": rng.random() < 0.4,
                "dateAdded": iso(added_ms + 60_000),
            }
            if rng.random() < 0.5:
                task["assignedTo"] = rng.choice(users)
            data.save_child(state.TASK, task)
    if rng.random() < 0.3:
        for _ in range(rng.randint(1, 2)):
            body = rng.choice(NOTE_BODIES)
            data.save_child(
                state.NOTE,
                {
                    "id": new_id(rng),
                    "contactId": contact["id"],
                    "locationId": contact["locationId"],
                    "body": body,
                    "bodyText": body.replace("<p>", "")
                    .replace("</p>", "")
                    .replace("<strong>", "")
                    .replace("</strong>", ""),
                    "pinned": False,
                    "dateAdded": iso(added_ms + 120_000),
                },
            )
    if rng.random() < 0.12:
        start = added_ms + rng.randint(2, 40) * 86_400_000
        data.save_child(
            state.APPOINTMENT,
            {
                "id": new_id(rng),
                "calendarId": "sandboxCalendar00001",
                "status": "booked",
                "title": "Showroom visit",
                "assignedUserId": users[0],
                "notes": "Booked from the website.",
                "startTime": iso(start),
                "endTime": iso(start + 30 * 60_000),
                "address": "1 Market St, Austin TX",
                "locationId": contact["locationId"],
                "contactId": contact["id"],
                "groupId": "sandboxGroup00000001",
                "appointmentStatus": rng.choice(["booked", "confirmed", "showed"]),
                "users": [users[0]],
                "dateAdded": iso(added_ms + 180_000),
                "dateUpdated": iso(added_ms + 180_000),
                "assignedResources": [],
            },
        )


def seed_contacts(data: state.Data, creds: dict, count: int, random_seed: int) -> None:
    """`count` contacts in the first location (and every 20th person again in the second)."""
    rng = random.Random(f"highlevel-contacts:{random_seed}")
    first, second = creds["location_ids"]
    everyone = people(count, random_seed)
    for location_id, chosen in ((first, everyone), (second, everyone[::20])):
        for person in chosen:
            contact = _contact(rng, data, location_id, person, creds)
            data.save_contact(contact)
            _children(rng, data, contact, creds["user_ids"])
