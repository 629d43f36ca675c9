"""What a provider's X-RateLimit-* headers say, as numbers: one reading for the overview, the
call log and the alert rules. Header names come in any capitalisation. Pure Python."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RateNumbers:
    burst_remaining: int | None = None
    burst_limit: int | None = None
    daily_remaining: int | None = None
    daily_limit: int | None = None


def _number(lowered: Mapping, *names: str) -> int | None:
    for name in names:
        value = str(lowered.get(name, "")).strip()
        if value.isdigit():
            return int(value)
    return None


def rate_numbers(headers: Mapping | None) -> RateNumbers:
    """The numbers in one answer's rate-limit headers; None for each one not sent (or not a
    number). The burst limit is X-RateLimit-Max, or X-RateLimit-Limit where APIs send that."""
    lowered = {str(key).lower(): value for key, value in (headers or {}).items()}
    return RateNumbers(
        burst_remaining=_number(lowered, "x-ratelimit-remaining"),
        burst_limit=_number(lowered, "x-ratelimit-max", "x-ratelimit-limit"),
        daily_remaining=_number(lowered, "x-ratelimit-daily-remaining"),
        daily_limit=_number(lowered, "x-ratelimit-limit-daily"),
    )
