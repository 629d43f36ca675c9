"""Credentials and first-start data, all derived from the random seed.

Customers come from the shared `people()` list, so they overlap with the HighLevel seed by
e-mail: four in five are HighLevel's people (a third of those spelled differently, via
`platform_variant`), every fifth is a shopper HighLevel does not have."""

import random
import string
from datetime import timedelta

from sandboxes.ecwid import records
from sandboxes.ecwid.state import CUSTOMER, GROUP
from sandboxes.kit.people import Person, people, platform_variant
from sandboxes.kit.store import Store

GROUPS = (("Wholesale", "wholesale"), ("VIP", "vip"), ("Resellers", "reseller"))
SCOPES = (
    "read_store_profile",
    "read_customers",
    "update_customers",
    "create_customers",
)
NOTES = (
    "Prefers delivery after 10am.",
    "Asked for a trade account.",
    "Returned an order in March; refunded.",
)


def _token(rng: random.Random, prefix: str) -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(rng.choice(alphabet) for _ in range(32))


def credentials(random_seed: int) -> dict:
    rng = random.Random(f"ecwid-credentials:{random_seed}")
    store_id = rng.randint(10_000_000, 99_999_999)
    return {
        "store_id": store_id,
        "store_name": "Sandbox Outdoor Shop",
        "account_name": "Robin Keller",
        "account_email": "owner@sandbox-shop.example.com",
        "client_id": f"contactbridge-sandbox-{store_id}",
        "client_secret": _token(rng, ""),
        "secret_token": _token(rng, "secret_"),
        "public_token": _token(rng, "public_"),
    }


def tokens(creds: dict) -> dict:
    return {
        creds["secret_token"]: {"scopes": list(SCOPES)},
        creds["public_token"]: {"scopes": ["read_store_profile", "read_catalog"]},
    }


def _billing(person: Person) -> dict:
    return {
        "firstName": person.first_name,
        "lastName": person.last_name,
        "companyName": person.company,
        "street": person.address1,
        "city": person.city,
        "countryCode": person.country,
        "postalCode": person.postal_code,
        "stateOrProvinceCode": person.state,
        "phone": person.phone,
    }


def _customer(rng: random.Random, person: Person, group_ids: dict[str, int], next_id) -> dict:
    registered = int(person.created_at.timestamp())
    updated = registered + int(timedelta(hours=rng.randint(0, 24 * 90)).total_seconds())
    group = next((group_ids[tag] for tag in person.tags if tag in group_ids), 0)
    orders = rng.randint(0, 12)
    sales = round(orders * rng.uniform(20, 180), 2)
    doc = records.new_customer(next_id(), registered)
    body = {
        "email": person.email,
        "billingPerson": _billing(person),
        "shippingAddresses": [_billing(person)] if rng.random() < 0.6 else [],
        "contacts": [
            {"type": "EMAIL", "contact": person.email, "default": True},
            {"type": "PHONE", "contact": person.phone, "default": False},
        ],
        "customerGroupId": group,
        "acceptMarketing": "newsletter" in person.tags,
        "b2b_b2c": "b2b" if group else "b2c",
        "privateAdminNotes": rng.choice(NOTES) if rng.random() < 0.2 else "",
    }
    doc = records.apply_input(
        doc,
        body,
        creating=True,
        group_ids={0, *group_ids.values()},
        next_id=next_id,
        now=registered,
        merge_billing=True,
    )
    doc["totalOrderCount"] = orders
    doc["stats"].update(
        numberOfOrders=orders,
        salesValue=sales,
        averageOrderValue=round(sales / orders, 2) if orders else 0.0,
    )
    doc["_updated"] = updated
    return doc


def seed(store: Store, count: int, random_seed: int, next_id) -> None:
    """Customer groups and `count` customers (HighLevel's people and some of the store's own)."""
    rng = random.Random(f"ecwid-customers:{random_seed}")
    group_ids = {}
    for name, tag in GROUPS:
        group_ids[tag] = next_id()
        store.put(GROUP, str(group_ids[tag]), {"id": group_ids[tag], "name": name})
    extra = count // 5
    everyone = people(count + extra, random_seed)
    for index in range(count):
        own = index % 5 == 4  # a shopper HighLevel's seed of `count` does not contain
        person = everyone[count + index // 5] if own else platform_variant(everyone[index], rng)
        doc = _customer(rng, person, group_ids, next_id)
        store.put(CUSTOMER, str(doc["id"]), doc)
