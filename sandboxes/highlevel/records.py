"""IDs and timestamps in HighLevel's formats: 20-character alphanumeric record IDs, 24-hex
business IDs, and ISO-8601 UTC timestamps with milliseconds ("2025-01-01T09:30:00.000Z")."""

import random
import secrets
import string
import time
from datetime import UTC, datetime

ID_ALPHABET = string.ascii_letters + string.digits


def new_id(rng: random.Random | None = None) -> str:
    """A record ID like `jKy701hlSIPdiw0x12WA`; seeded when `rng` is given, random otherwise."""
    if rng is None:
        return "".join(secrets.choice(ID_ALPHABET) for _ in range(20))
    return "".join(rng.choice(ID_ALPHABET) for _ in range(20))


def new_hex_id(rng: random.Random | None = None) -> str:
    """A 24-hex ID (Mongo ObjectId style), as businesses and app IDs have."""
    if rng is None:
        return secrets.token_hex(12)
    return "".join(rng.choice("0123456789abcdef") for _ in range(24))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def from_datetime(moment: datetime) -> str:
    return iso(int(moment.timestamp() * 1000))


def parse_iso(value: str) -> int | None:
    """Epoch milliseconds of an ISO-8601 date or date-time string, or None if it is not one.
    A date or a date-time without an offset is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def ms_of(record: dict, field: str) -> int:
    """Epoch milliseconds of a stored ISO timestamp field (0 when absent)."""
    value = record.get(field)
    parsed = parse_iso(value) if value else None
    return parsed if parsed is not None else 0
