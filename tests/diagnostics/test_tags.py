"""The Diagnostics pages' words and numbers."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from diagnostics.templatetags.diagnostics_tags import kind_words, rate_summary, thousands, took


def test_error_classes_read_as_words():
    assert kind_words("rate_limited") == "Rate limited"
    assert kind_words("not_found") == "Not found"
    assert kind_words("server") == "Server error"
    assert kind_words("auth") == "Authentication refused"
    assert kind_words("errors") == "Any error"


def test_numbers_get_thousands_separators():
    assert thousands(199969) == "199,969"
    assert thousands("12") == "12" and thousands(None) == "" and thousands("n/a") == "n/a"


def test_rate_limit_headers_in_a_few_words():
    headers = {
        "X-RateLimit-Max": "100", "X-RateLimit-Remaining": "97",
        "x-ratelimit-limit-daily": "200000", "X-RateLimit-Daily-Remaining": "199969",
        "X-RateLimit-Interval-Milliseconds": "10000",
    }  # fmt: skip
    assert rate_summary(headers) == "burst 97/100 · day 199,969/200,000"
    assert rate_summary({"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59"}) == (
        "burst 59/60"
    )
    assert rate_summary({}) == rate_summary(None) == ""
    assert rate_summary({"X-RateLimit-Remaining": "x", "X-RateLimit-Max": "100"}) == ""


def test_how_long_a_run_took():
    start = datetime(2026, 12, 6, 10, tzinfo=UTC)
    assert took(SimpleNamespace(started_at=start, finished_at=start + timedelta(seconds=95))) == 95
    assert took(SimpleNamespace(started_at=start, finished_at=None)) is None
