"""Deterministic start-up data: the integration's credentials, reference lists (payment
terms, customer groups, price lists, tax rates) and customers from the shared `people()`
list, so they overlap the HighLevel seed by e-mail while spelling names/phones their own way.
"""

import random
import string

from sandboxes.kit.people import people, platform_variant
from sandboxes.orderspace.records import Customers
from sandboxes.orderspace.webhooks import new_signing_key

REFERENCE_NAMES = {
    "payment_terms": ["Pay on order", "15 Days", "30 Days", "60 Days"],
    "customer_groups": ["Retail", "Wholesale", "Distributors", "Trade show leads"],
    "price_lists": ["Standard GBP", "Trade USD", "Distributor EUR"],
    "tax_rates": ["Standard 20%", "Reduced 5%", "Zero rated"],
}
PREFIXES = {
    "payment_terms": "pt_",
    "customer_groups": "cg_",
    "price_lists": "pr_",
    "tax_rates": "tr_",
}


def _token(rng: random.Random, length: int, alphabet=string.ascii_letters + string.digits):
    return "".join(rng.choice(alphabet) for _ in range(length))


def credentials(random_seed: int) -> dict:
    rng = random.Random(f"orderspace-credentials:{random_seed}")
    return {
        "client_id": _token(rng, 43, string.ascii_letters + string.digits + "-_"),
        "client_secret": _token(rng, 43, string.ascii_letters + string.digits + "-_"),
        "admin_signing_key": new_signing_key(rng),
        "site_name": "Sandbox Wholesale Ltd",
    }


def references(random_seed: int) -> dict[str, dict[str, str]]:
    rng = random.Random(f"orderspace-reference:{random_seed}")
    alphabet = string.ascii_lowercase + string.digits
    return {
        kind: {PREFIXES[kind] + _token(rng, 8, alphabet): name for name in names}
        for kind, names in REFERENCE_NAMES.items()
    }


def seed_customers(customers: Customers, count: int, random_seed: int) -> None:
    rng = random.Random(f"orderspace-customers:{random_seed}")
    refs = customers.references
    for person in people(count, random_seed):
        variant = platform_variant(person, rng)
        name = f"{variant.first_name} {variant.last_name}"
        roll = rng.random()
        fields = {
            "company_name": person.company,
            "status": "active" if roll < 0.8 else ("new" if roll < 0.92 else "closed"),
            "reference": f"C{10000 + person.index}",
            "internal_note": "Met at the trade show" if "trade-show" in person.tags else "",
            "buyers": [{"name": name, "email_address": person.email}],
            "phone": variant.phone,
            "email_addresses": {
                "orders": person.email,
                "dispatches": person.email,
                "invoices": person.email,
            },
            "tax_number": f"GB{rng.randint(100000000, 999999999)}" if rng.random() < 0.3 else "",
            "addresses": [
                {
                    "company_name": person.company,
                    "contact_name": name,
                    "line1": person.address1,
                    "line2": "",
                    "city": person.city,
                    "state": person.state,
                    "postal_code": person.postal_code,
                    "country": person.country,
                }
            ],
            "minimum_spend": rng.choice([None, None, 100.0, 150.0, 250.0]),
            "payment_terms_id": rng.choice([None, *refs["payment_terms"]]),
            "customer_group_id": rng.choice([None, *refs["customer_groups"]]),
            "price_list_id": rng.choice([None, *refs["price_lists"]]),
        }
        created = person.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        customers.create(fields, created=created)
