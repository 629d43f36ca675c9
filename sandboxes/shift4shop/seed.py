"""Deterministic credentials, customer groups and customers for the Shift4Shop sandbox.

Customers are the shared people (`sandboxes.kit.people`), so they overlap HighLevel's
seed: same e-mail addresses, with names and phone numbers spelled the platform's way for
about a third of them. Shift4Shop keeps names and phones only on the billing and shipping
addresses, so that is where they go.
"""

import random
import string

from sandboxes.kit.people import people, platform_variant
from sandboxes.shift4shop import customers

GROUPS = [
    {"CustomerGroupID": 1, "Name": "Retail", "Description": "Default retail pricing"},
    {"CustomerGroupID": 2, "Name": "Wholesale", "Description": "Trade prices, tax exempt"},
    {"CustomerGroupID": 3, "Name": "VIP", "Description": "Free shipping over $50"},
]
GROUP_FOR_TAG = {"wholesale": 2, "reseller": 2, "vip": 3}


def _hex(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(string.hexdigits.lower()[:16]) for _ in range(length))


def credentials(random_seed: int) -> dict:
    """One store and one app, as the merchant and the developer portal would issue them."""
    rng = random.Random(f"shift4shop-credentials:{random_seed}")
    return {
        "secure_url": f"https://sandbox-{_hex(rng, 6)}.3dcartstores.com",
        "store_name": "Sandbox Outfitters",
        "private_key": _hex(rng, 32),
        "token": _hex(rng, 32),
    }


def _record(person, rng: random.Random) -> dict:
    variant = platform_variant(person, rng)
    billing = {
        "BillingCompany": variant.company,
        "BillingFirstName": variant.first_name,
        "BillingLastName": variant.last_name,
        "BillingAddress1": variant.address1,
        "BillingCity": variant.city,
        "BillingState": variant.state,
        "BillingZipCode": variant.postal_code,
        "BillingCountry": variant.country,
        "BillingPhoneNumber": variant.phone,
    }
    same_address = rng.random() < 0.8
    shipping = (
        {key.replace("Billing", "Shipping", 1): value for key, value in billing.items()}
        if same_address
        else {}
    )
    group = next((GROUP_FOR_TAG[tag] for tag in person.tags if tag in GROUP_FOR_TAG), 1)
    return {
        "Email": variant.email,
        **billing,
        **shipping,
        "CustomerGroupID": group,
        "MailList": "newsletter" in person.tags,
        "NonTaxable": group == 2,
        "Comments": "Met at the trade show" if "trade-show" in person.tags else "",
    }


def seed_customers(store, count: int, random_seed: int) -> int:
    """Store `count` customers with ids 1..count; returns the next free id."""
    rng = random.Random(f"shift4shop-seed:{random_seed}")
    for customer_id, person in enumerate(people(count, random_seed), start=1):
        record = customers.new_record(customer_id, _record(person, rng), person.created_at)
        store.put("customer", str(customer_id), record)
    for group in GROUPS:
        store.put("group", str(group["CustomerGroupID"]), group)
    return count + 1
