"""Words and numbers for the Diagnostics pages."""

from django import template

register = template.Library()

KIND_WORDS = {
    "rate_limited": "rate limited",
    "not_found": "not found",
    "ok": "succeeded",
    "errors": "any error",
}


@register.filter
def kind_words(kind) -> str:
    """An error class or outcome as a person says it: "rate_limited" → "Rate limited"."""
    text = KIND_WORDS.get(str(kind), str(kind).replace("_", " "))
    return text[:1].upper() + text[1:]


@register.filter
def thousands(value) -> str:
    """12345 → "12,345" (the alerts and messages write numbers this way too)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "" if value is None else str(value)


def _header(headers: dict, name: str) -> str:
    lowered = {str(key).lower(): value for key, value in (headers or {}).items()}
    value = str(lowered.get(name.lower(), ""))
    return value if value.isdigit() else ""


@register.filter
def rate_summary(headers) -> str:
    """A call's X-RateLimit-* headers in a few words: "burst 97/100 · day 199,969/200,000"."""
    parts = []
    remaining, limit = (
        _header(headers, "x-ratelimit-remaining"),
        _header(headers, "x-ratelimit-max") or _header(headers, "x-ratelimit-limit"),
    )
    if remaining and limit:
        parts.append(f"burst {int(remaining):,}/{int(limit):,}")
    day_left, day = (
        _header(headers, "x-ratelimit-daily-remaining"),
        _header(headers, "x-ratelimit-limit-daily"),
    )
    if day_left and day:
        parts.append(f"day {int(day_left):,}/{int(day):,}")
    return " · ".join(parts)


@register.filter
def took(run) -> float | None:
    """Seconds a finished run took (None while it has not started or finished)."""
    if not (run.started_at and run.finished_at):
        return None
    return max((run.finished_at - run.started_at).total_seconds(), 0)
