import json
from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

register = template.Library()

MAX_DEPTH = 6  # deeper than any record we map; past it the rest is shown as JSON text
MAX_ITEMS = 50  # items of one list or keys of one object; the rest are counted, not shown


@register.filter
def get_item(mapping, key):
    """`{{ dict|get_item:key }}`: a dictionary lookup with a variable key (None if absent)."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.simple_tag
def show_value(value) -> SafeString:
    """A record value as a person reads it: text as it is, a list as chips, an object as
    labelled lines, and "empty" marked as such; never Python's repr (`['a']`, `None`)."""
    return _value_html(value, 0)


def _empty(words: str) -> SafeString:
    return format_html('<span class="value-empty">{}</span>', words)


def _value_html(value, depth: int) -> SafeString:
    if value is None:
        return _empty("empty")
    if isinstance(value, bool):
        return format_html('<span class="value-bool">{}</span>', "yes" if value else "no")
    if isinstance(value, int | float):
        return format_html('<span class="value-number">{}</span>', value)
    if isinstance(value, str):
        if not value.strip():
            return _empty("empty text" if not value else "only spaces")
        return format_html('<span class="value-text">{}</span>', value)
    if depth >= MAX_DEPTH:
        return format_html("<code>{}</code>", json.dumps(value, ensure_ascii=False))
    if isinstance(value, list | tuple):
        if not value:
            return _empty("empty list")
        items = format_html_join(
            "",
            '<li class="chip">{}</li>',
            ((_value_html(v, depth + 1),) for v in value[:MAX_ITEMS]),
        )
        return format_html('<ul class="chips value-list">{}{}</ul>', items, _more(len(value)))
    if isinstance(value, dict):
        if not value:
            return _empty("empty object")
        rows = format_html_join(
            "",
            "<div><dt>{}</dt><dd>{}</dd></div>",
            ((key, _value_html(item, depth + 1)) for key, item in list(value.items())[:MAX_ITEMS]),
        )
        return format_html('<dl class="value-object">{}{}</dl>', rows, _more(len(value)))
    return format_html('<span class="value-text">{}</span>', str(value))


def _more(count: int) -> SafeString:
    if count <= MAX_ITEMS:
        return SafeString("")
    return format_html('<li class="value-more">and {} more</li>', count - MAX_ITEMS)


@register.filter
def breakable(path) -> SafeString:
    """A field path that may wrap after its dots (billingPerson.<wbr>firstName) in a
    narrow column, rather than in the middle of a word."""
    return mark_safe(".<wbr>".join(escape(part) for part in str(path).split(".")))  # noqa: S308


@register.filter
def as_json(value) -> str:
    """A stored structure (a nested condition) as indented JSON, not as Python prints it."""
    return json.dumps(value, indent=2, ensure_ascii=False)


@register.filter
def when(moment: datetime | None) -> str:
    """ "just now", "5 minutes ago": how long ago something ran."""
    if moment is None:
        return ""
    if timezone.now() - moment < timedelta(minutes=1):
        return "just now"
    return f"{timesince(moment).split(',')[0]} ago"
