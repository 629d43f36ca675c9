"""Deterministic people for seeding every sandbox.

All sandboxes draw from the same list, so the HighLevel seed and each platform's seed share
people: platforms take the same e-mail addresses but spell names and phone numbers their own
way for part of them, which is what matching and conflict handling must cope with.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

FIRST_NAMES = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Sophia",
    "Elijah",
    "Mia",
    "James",
    "Harper",
    "Lucas",
    "Evelyn",
    "Mateo",
    "Aria",
    "Levi",
    "Chloe",
    "Asher",
    "Nora",
    "Ethan",
    "Zoë",
    "José",
    "Siobhán",
    "Renée",
    "Björn",
    "Ana-Maria",
    "Mohammed",
    "Priya",
    "Wei",
    "Kofi",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "O'Brien",
    "van der Berg",
    "Nguyen",
    "Müller",
    "Okafor",
]
COMPANIES = [
    "Acme Wholesale",
    "Blue Harbor Goods",
    "Cedar & Pine Co",
    "Delta Supply",
    "Evergreen Retail",
    "Fjord Trading",
    "Golden Gate Gifts",
    "Harbor Lights Ltd",
    "Indigo Textiles",
    "Juniper Foods",
]
CITIES = [
    ("Austin", "TX", "78701"),
    ("Denver", "CO", "80202"),
    ("Portland", "OR", "97201"),
    ("Boston", "MA", "02108"),
    ("Chicago", "IL", "60601"),
    ("Seattle", "WA", "98101"),
    ("Miami", "FL", "33101"),
    ("Phoenix", "AZ", "85001"),
    ("Atlanta", "GA", "30301"),
]
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St", "Elm St", "Lake Rd"]
TAGS = ["wholesale", "retail", "vip", "newsletter", "trade-show", "reseller", "lapsed"]
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class Person:
    index: int
    first_name: str
    last_name: str
    email: str
    phone: str  # E.164
    company: str
    address1: str
    city: str
    state: str
    postal_code: str
    country: str
    tags: list[str] = field(default_factory=list)
    created_at: datetime = EPOCH

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def people(count: int, random_seed: int = 1) -> list[Person]:
    """The first `count` people of the deterministic sequence for `random_seed`."""
    rng = random.Random(random_seed)
    result = []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, state, postal = rng.choice(CITIES)
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        local = local.encode("ascii", "ignore").decode() or "customer"
        result.append(
            Person(
                index=index,
                first_name=first,
                last_name=last,
                email=f"{local}.{index}@example.com",
                phone=f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(1000, 9999)}",
                company=rng.choice(COMPANIES),
                address1=f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
                city=city,
                state=state,
                postal_code=postal,
                country="US",
                tags=sorted(rng.sample(TAGS, rng.randint(0, 3))),
                created_at=EPOCH + timedelta(minutes=17 * index + rng.randint(0, 16)),
            )
        )
    return result


def platform_variant(person: Person, rng: random.Random) -> Person:
    """The same person as a platform might hold them: same e-mail, but about a third get a
    differently written phone number or name, so matching must not rely on exact equality."""
    roll = rng.random()
    variant = Person(**{**person.__dict__, "tags": list(person.tags)})
    if roll < 0.15:
        digits = person.phone[2:]
        variant.phone = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    elif roll < 0.25:
        variant.first_name = person.first_name.upper()
    elif roll < 0.33:
        variant.last_name = person.last_name.lower()
    return variant
