"""Words and numbers for the Diagnostics pages."""

from django import template

from accounts.templatetags.ui import status_words
from diagnostics.rate_headers import rate_numbers

register = template.Library()


@register.filter
def kind_words(kind) -> str:
    """An error class or outcome as a person says it, in the words the badges use:
    "rate_limited" → "Rate limited"; "errors" (the filter for any of them) → "Any error"."""
    return "Any error" if str(kind) == "errors" else status_words(kind)


@register.filter
def thousands(value) -> str:
    """12345 → "12,345" (the alerts and messages write numbers this way too)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "" if value is None else str(value)


@register.filter
def rate_summary(headers) -> str:
    """A call's X-RateLimit-* headers in a few words: "burst 97/100 · day 199,969/200,000"."""
    numbers, parts = rate_numbers(headers), []
    if numbers.burst_remaining is not None and numbers.burst_limit is not None:
        parts.append(f"burst {numbers.burst_remaining:,}/{numbers.burst_limit:,}")
    if numbers.daily_remaining is not None and numbers.daily_limit is not None:
        parts.append(f"day {numbers.daily_remaining:,}/{numbers.daily_limit:,}")
    return " · ".join(parts)


@register.filter
def took(run) -> float | None:
    """Seconds a finished run took (None while it has not started or finished)."""
    if not (run.started_at and run.finished_at):
        return None
    return max((run.finished_at - run.started_at).total_seconds(), 0)
