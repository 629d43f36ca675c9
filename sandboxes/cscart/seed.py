"""First-start data of the CS-Cart sandbox, all derived from the random seed.

Two administrators hold API keys: the store owner (root, every privilege) and a "viewer"
who may read users but not change them (so tests can provoke CS-Cart's 403). Customers come
from the shared `people()` list, as this store would hold them: the same e-mail addresses as
the HighLevel seed, with `platform_variant()` spelling some names and phones differently.
"""

import random
import string

from sandboxes.kit.people import people, platform_variant

STORE_NAME = "CS-Cart Sandbox Store"
COMPANY_ID = 1  # the storefront customers belong to (Ultimate edition's default company)

# usergroup_id -> (name, type, status). IDs 1 and 2 (Guest, Registered) are reserved and
# never listed, as in CS-Cart.
USERGROUPS = {
    3: ("Wholesale", "C", "A"),
    4: ("VIP", "C", "A"),
    5: ("Newsletter", "C", "A"),
    6: ("Store managers", "A", "A"),
}
TAG_GROUPS = {"wholesale": 3, "vip": 4, "newsletter": 5}
# Custom profile fields (Administration → Profile fields): field_id -> description.
PROFILE_FIELDS = {"38": "How did you hear about us?", "39": "Tax exemption number"}

ADDRESS_KEYS = ("firstname", "lastname", "address", "address_2", "city", "state", "country")
PROFILE_KEYS = tuple(
    f"{side}_{key}" for side in ("b", "s") for key in (*ADDRESS_KEYS, "zipcode", "phone")
)


def credentials(random_seed: int) -> dict:
    rng = random.Random(f"cscart-credentials:{random_seed}")
    alphabet = string.ascii_letters + string.digits

    def key() -> str:
        return "".join(rng.choice(alphabet) for _ in range(32))  # CS-Cart keys are 32 chars

    return {
        "email": "admin@cscart-sandbox.example",
        "api_key": key(),
        "viewer_email": "viewer@cscart-sandbox.example",
        "viewer_api_key": key(),
    }


def admins(creds: dict) -> list[dict]:
    base = {"user_type": "A", "status": "A", "company": "", "phone": "", "lang_code": "en"}
    return [
        {
            **base,
            "user_id": 1,
            "user_login": "admin",
            "is_root": "Y",
            "timestamp": 1700000000,
            "firstname": "Store",
            "lastname": "Owner",
            "email": creds["email"],
            "company_id": 0,
            "api_key": creds["api_key"],
            "privileges": ["view_users", "manage_users", "view_usergroups", "manage_usergroups"],
            "profile": {},
            "fields": {},
            "usergroups": {},
        },
        {
            **base,
            "user_id": 2,
            "user_login": "viewer",
            "is_root": "N",
            "timestamp": 1700000060,
            "firstname": "Read",
            "lastname": "Only",
            "email": creds["viewer_email"],
            "company_id": COMPANY_ID,
            "api_key": creds["viewer_api_key"],
            "privileges": ["view_users", "view_usergroups"],
            "profile": {},
            "fields": {},
            "usergroups": {"6": "A"},
        },
    ]


def customers(count: int, random_seed: int, first_id: int) -> list[dict]:
    """`count` customers with ids from `first_id`; a few are disabled, as in a real store."""
    rng = random.Random(f"cscart-variant:{random_seed}")
    result = []
    for offset, person in enumerate(people(count, random_seed)):
        p = platform_variant(person, rng)
        user_id = first_id + offset
        address = {
            "firstname": p.first_name,
            "lastname": p.last_name,
            "address": p.address1,
            "address_2": "",
            "city": p.city,
            "state": p.state,
            "country": p.country,
            "zipcode": p.postal_code,
            "phone": p.phone,
        }
        profile = {f"{side}_{k}": v for side in ("b", "s") for k, v in address.items()}
        fields = {"38": "Trade show"} if "trade-show" in p.tags else {}
        groups = {str(TAG_GROUPS[tag]): "A" for tag in p.tags if tag in TAG_GROUPS}
        result.append(
            {
                "user_id": user_id,
                "user_login": f"user_{user_id}",
                "is_root": "N",
                "timestamp": int(p.created_at.timestamp()),
                "user_type": "C",
                "status": "D" if person.index % 23 == 22 else "A",
                "firstname": p.first_name,
                "lastname": p.last_name,
                "email": p.email,
                "company": p.company,
                "company_id": COMPANY_ID,
                "phone": p.phone,
                "lang_code": "en",
                "profile": profile,
                "fields": fields,
                "usergroups": groups,
            }
        )
    return result
