"""Shared look: `{% status_badge value %}` and `{% logo provider_key %}` for every page.

One table says every status in words a person uses, with a tone that picks the badge's
colour, so no page shows a raw key such as `needs_reconnect`. A key whose words depend on
what it belongs to ("open" conflict vs "open" incident) has a "<kind>:<key>" entry; pass
the kind: `{% status_badge conflict.status "conflict" %}`.
"""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from integrations.providers.keys import PROVIDER_NAMES

register = template.Library()

OK, WARN, BAD, NEUTRAL, INFO = "ok", "warn", "bad", "neutral", "info"
TONES = (OK, WARN, BAD, NEUTRAL, INFO)

# key -> (words, tone). Keys come from the models' choices (grep TextChoices), Diagnostics'
# health states, the worker heartbeat and mapping tests.
STATUS_WORDS: dict[str, tuple[str, str]] = {
    # Connection.status
    "new": ("Not tested yet", NEUTRAL),
    "connected": ("Connected", OK),
    "needs_reconnect": ("Needs reconnecting", BAD),
    "failing": ("Failing", BAD),
    "disabled": ("Disabled", NEUTRAL),
    # WebhookEvent / WebhookTarget.status
    "unconfirmed": ("Waiting for confirmation", INFO),
    "pending": ("Pending", INFO),
    "processed": ("Processed", OK),
    "ignored": ("Ignored", NEUTRAL),
    "rejected": ("Rejected", BAD),
    # Flow mode and state; Diagnostics health (diagnostics/health.py)
    "test": ("Test mode", INFO),
    "live": ("Live", OK),
    "enabled": ("On", OK),
    "paused": ("Paused", NEUTRAL),
    "healthy": ("Healthy", OK),
    "degraded": ("Degraded", WARN),
    # Run.status
    "queued": ("Queued", INFO),
    "running": ("Running", INFO),
    "succeeded": ("Succeeded", OK),
    "partial": ("Partly failed", WARN),
    "failed": ("Failed", BAD),
    "cancelled": ("Cancelled", NEUTRAL),
    "waiting": ("Waiting for budget", NEUTRAL),
    # RunItem.outcome
    "created": ("Created", OK),
    "updated": ("Updated", INFO),
    "unchanged": ("Unchanged", NEUTRAL),
    "skipped": ("Skipped by condition", NEUTRAL),
    "deleted": ("Deleted", WARN),
    "archived": ("Archived", WARN),
    # PendingChange.status, DriftReport.status
    "done": ("Done", OK),
    "dead": ("Dead letter", BAD),
    # Conflict.status and resolution
    "open": ("Open", WARN),
    "conflict:open": ("Waiting for a decision", WARN),
    "resolved": ("Resolved", OK),
    "conflict:source": ("Source value kept", NEUTRAL),
    "conflict:target": ("Target value kept", NEUTRAL),
    "conflict:edited": ("Value edited by hand", NEUTRAL),
    # DriftItem.kind
    "only_source": ("Only in the source", WARN),
    "only_target": ("Only in the target", WARN),
    "differs": ("Fields differ", WARN),
    # AlertIncident.level, AlertDelivery.event and status; alert rules on/off
    "warning": ("Warning", WARN),
    "breach": ("Alert", BAD),
    "opened": ("Opened", BAD),
    "sent": ("Sent", OK),
    "on": ("On", OK),
    "off": ("Off", NEUTRAL),
    # The worker heartbeat (diagnostics/selectors.py)
    "worker:ok": ("Running", OK),
    "worker:stale": ("Not responding", BAD),
    "worker:never": ("Never seen", BAD),
    # Mapping tests (MappingTest.passed True/False/None) and mappings
    "passed": ("Passed", OK),
    "not_run": ("Not run yet", NEUTRAL),
    "ready": ("Ready", OK),
    "problem:spec": ("Rule problem", BAD),  # a mapping problem's kind (mappings/checks.py)
    "problem:drift": ("Field changed", BAD),
    "problem:test": ("Test fails", BAD),
    "expired": ("Expired", BAD),
    # API call error kinds (integrations/calls.py ERROR_KINDS)
    "ok": ("Succeeded", OK),
    "auth": ("Authentication refused", BAD),
    "scope": ("Scope missing", BAD),
    "rate_limited": ("Rate limited", WARN),
    "validation": ("Validation error", BAD),
    "not_found": ("Not found", WARN),
    "server": ("Server error", BAD),
    "network": ("Network error", BAD),
    "client": ("Client error", BAD),
}

# A mapping test's `passed` is a three-way boolean.
BOOLEAN_KEYS = {True: "passed", False: "failed", None: "not_run"}


def status_key(value) -> str:
    if value is True or value is False or value is None:
        return BOOLEAN_KEYS[value]
    return str(value)


def status_info(value, kind: str = "") -> tuple[str, str]:
    """(words, tone) for a status; an unknown key is still shown as words, never raw."""
    key = status_key(value)
    if kind and f"{kind}:{key}" in STATUS_WORDS:
        return STATUS_WORDS[f"{kind}:{key}"]
    if key in STATUS_WORDS:
        return STATUS_WORDS[key]
    words = key.replace("_", " ").strip()
    return (words[:1].upper() + words[1:], NEUTRAL)


@register.simple_tag
def status_badge(value, kind: str = "", words: str = "", title: str = "", count=None):
    """<span class="badge badge-<tone> status-<key>">Words</span>. `words` replaces the
    table's words and keeps the tone; `count` puts a number first ("2 failing")."""
    table_words, tone = status_info(value, kind)
    text = words or table_words
    if count is not None:
        text = f"{count} {text[:1].lower()}{text[1:]}"
    key = status_key(value)
    if title:
        return format_html(
            '<span class="badge badge-{} status-{}" title="{}">{}</span>', tone, key, title, text
        )
    return format_html('<span class="badge badge-{} status-{}">{}</span>', tone, key, text)


@register.filter
def status_words(value, kind: str = "") -> str:
    """The words alone, for sentences: "3 {{ state|status_words|lower }} flows"."""
    return status_info(value, kind)[0]


@register.filter
def status_tone(value, kind: str = "") -> str:
    return status_info(value, kind)[1]


@register.simple_tag
def logo(provider_key, size: str = ""):
    """A system's mark (static/img/logos/<key>.svg, see LICENSE.md there), sized by CSS:
    `.logo` (2rem), `{% logo key "sm" %}` (1.25rem) or `"lg"` (3rem)."""
    key = str(provider_key)
    name = PROVIDER_NAMES.get(key)
    src = static(f"img/logos/{key}.svg" if name else "img/logos/generic.svg")
    css = f"logo logo-{size}" if size else "logo"
    return format_html(
        '<img class="{}" src="{}" alt="{} logo" width="32" height="32">',
        css,
        src,
        name or key.replace("_", " ").capitalize() or "System",
    )


@register.filter
def system_name(provider_key) -> str:
    """ "cscart" → "CS-Cart": a provider key as its product name."""
    key = str(provider_key)
    return PROVIDER_NAMES.get(key, key.replace("_", " ").capitalize())
