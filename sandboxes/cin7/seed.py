"""Credentials, the account's reference data and the first-start customers, all derived
from the random seed. Customers come from the shared `people()` list (same e-mail as the
HighLevel seed; part of them with the name or phone written differently)."""

import random
import uuid
from datetime import timedelta

from sandboxes.kit.people import Person, people, platform_variant

ACCOUNT_NAME = "Demo Wholesale (Sandbox)"
BASE_CURRENCY = "USD"
CURRENCIES = ("USD", "AUD", "CAD", "EUR", "GBP", "NZD")
PAYMENT_TERMS = ("30 days", "15 days", "7 days", "COD", "Prepaid")
TAX_RULES = ("Tax Exempt", "Sales Tax", "GST Free Exports")
PRICE_TIERS = tuple(f"Tier {n}" for n in range(1, 11))
CARRIERS = ("DEFAULT Carrier", "UPS Ground", "FedEx 2Day")
LOCATIONS = ("Main Warehouse", "East Coast DC")
SEED_NOTES = ("", "", "Prefers delivery before noon.", "", "Trade account: invoice monthly.")
SALES_REPS = ("Avery Stone", "Jordan Lee")
DEFAULT_ACCOUNT_RECEIVABLE = "610"
DEFAULT_REVENUE_ACCOUNT = "200"
DEFAULT_PAYMENT_TERM = "30 days"
DEFAULT_TAX_RULE = "Tax Exempt"
# The chart of accounts (GET /ref/account): (Code, Name, Class, Type, SystemAccount).
ACCOUNTS = (
    ("090", "Business Bank Account", "ASSET", "BANK", None),
    (DEFAULT_ACCOUNT_RECEIVABLE, "Accounts Receivable", "ASSET", "CURRENT", "DEBTORS"),
    ("800", "Accounts Payable", "LIABILITY", "CURRLIAB", "CREDITORS"),
    (DEFAULT_REVENUE_ACCOUNT, "Sales", "REVENUE", "REVENUE", "SALES"),
    ("260", "Other Revenue", "REVENUE", "OTHERINCOME", None),
)
ADDRESS_TYPES = ("Billing", "Business", "Shipping")
COUNTRY_NAMES = {"US": "United States"}
WEBHOOK_TYPES = (
    "Customer/Updated",
    "Supplier/Updated",
    "Sale/QuoteAuthorised",
    "Sale/OrderAuthorised",
    "Sale/InvoiceAuthorised",
    "Purchase/OrderAuthorised",
    "Stock/AvailableStockLevelChanged",
)


def new_guid(rng: random.Random | None = None) -> str:
    if rng is None:
        return str(uuid.uuid4())
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso_ms(moment) -> str:
    """Cin7's timestamp form: UTC, milliseconds, Z ("2018-01-24T05:07:23.917Z")."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def credentials(random_seed: int) -> dict:
    rng = random.Random(f"cin7-credentials:{random_seed}")
    return {"account_id": new_guid(rng), "application_key": new_guid(rng)}


def blank_customer() -> dict:
    """Every field a customer read carries, with Cin7's empty values."""
    record = {
        "ID": None,
        "Name": None,
        "DisplayName": None,
        "Currency": None,
        "PaymentTerm": None,
        "Discount": 0,
        "TaxRule": None,
        "Carrier": None,
        "SalesRepresentative": None,
        "Location": None,
        "Comments": None,
        "AccountReceivable": None,
        "RevenueAccount": None,
        "PriceTier": None,
        "TaxNumber": None,
    }
    record.update({f"AdditionalAttribute{n}": None for n in range(1, 11)})
    record.update(
        {
            "AttributeSet": None,
            "Tags": None,
            "Status": "Active",
            "CreditLimit": 0,
            "IsOnCreditHold": False,
            "IsLegalEntity": False,
            "CustomerParentID": None,
            "CustomerParentName": None,
            "IsBillParent": False,
            "LastModifiedOn": None,
            "Addresses": [],
            "Contacts": [],
            "ChildCustomers": [],
        }
    )
    return record


def _unique_name(person: Person, taken: set[str]) -> str:
    for name in (
        person.full_name,
        f"{person.full_name} - {person.company}",
        f"{person.full_name} #{person.index}",
    ):
        if name.casefold() not in taken:
            return name
    raise AssertionError("unreachable: the index makes the last form unique")


def customer_from_person(person: Person, rng: random.Random, taken: set[str], seq: int) -> dict:
    variant = platform_variant(person, rng)
    name = _unique_name(variant, taken)
    taken.add(name.casefold())
    customer_id = new_guid(rng)
    modified = person.created_at + timedelta(
        minutes=rng.randint(0, 600), milliseconds=rng.randint(0, 999)
    )
    address = {
        "ID": new_guid(rng),
        "Line1": variant.address1,
        "Line2": None,
        "City": variant.city,
        "State": variant.state,
        "Postcode": variant.postal_code,
        "Country": COUNTRY_NAMES.get(variant.country, variant.country),
        "Type": "Billing",
        "DefaultForType": True,
    }
    addresses = [address]
    if rng.random() < 0.4:
        addresses.append({**address, "ID": new_guid(rng), "Type": "Shipping"})
    record = blank_customer()
    record.update(
        {
            "ID": customer_id,
            "Name": name,
            "DisplayName": variant.full_name,
            "Currency": BASE_CURRENCY,
            "PaymentTerm": rng.choice(PAYMENT_TERMS),
            "TaxRule": rng.choice(TAX_RULES[:2]),
            "Carrier": CARRIERS[0],
            "SalesRepresentative": rng.choice(SALES_REPS),
            "Location": LOCATIONS[0],
            # A note on some customers, picked without drawing from `rng` so the rest of the
            # seeded data stays as it was.
            "Comments": SEED_NOTES[int(customer_id[:4], 16) % len(SEED_NOTES)],
            "AccountReceivable": DEFAULT_ACCOUNT_RECEIVABLE,
            "RevenueAccount": DEFAULT_REVENUE_ACCOUNT,
            "PriceTier": rng.choice(PRICE_TIERS[:3]),
            "TaxNumber": "",
            "Tags": ",".join(variant.tags),
            "Status": "Deprecated" if rng.random() < 0.04 else "Active",
            "LastModifiedOn": iso_ms(modified),
            "Addresses": addresses,
            "Contacts": [
                {
                    "ID": new_guid(rng),
                    "Name": variant.full_name,
                    "JobTitle": None,
                    "Phone": variant.phone,
                    "MobilePhone": None,
                    "Fax": None,
                    "Email": variant.email,
                    "Website": None,
                    "Default": True,
                    "Comment": None,
                    "IncludeInEmail": True,
                }
            ],
        }
    )
    record.update({f"AdditionalAttribute{n}": "" for n in range(1, 11)})
    record["AdditionalAttribute1"] = variant.company
    record["_seq"] = seq
    return record


def customers(count: int, random_seed: int) -> list[dict]:
    rng = random.Random(f"cin7-customers:{random_seed}")
    taken: set[str] = set()
    return [
        customer_from_person(person, rng, taken, seq)
        for seq, person in enumerate(people(count, random_seed))
    ]
