"""{% show_value %}: record values as people read them, never as Python prints them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mappings.templatetags.mapping_tags import MAX_ITEMS, as_json, breakable, show_value, when


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, '<span class="value-empty">empty</span>'),
        ("", '<span class="value-empty">empty text</span>'),
        ("  ", '<span class="value-empty">only spaces</span>'),
        ([], '<span class="value-empty">empty list</span>'),
        ({}, '<span class="value-empty">empty object</span>'),
        (True, '<span class="value-bool">yes</span>'),
        (7, '<span class="value-number">7</span>'),
        ("Ana", '<span class="value-text">Ana</span>'),
    ],
)
def test_scalars_and_empty_values(value, shown):
    assert show_value(value) == shown


def test_a_list_is_chips_and_an_object_is_labelled_lines():
    html = show_value(["resellers", "vip"])
    assert html == (
        '<ul class="chips value-list">'
        '<li class="chip"><span class="value-text">resellers</span></li>'
        '<li class="chip"><span class="value-text">vip</span></li></ul>'
    )
    html = show_value({"city": "Leeds", "lines": ["1 High St", None]})
    assert '<dt>city</dt><dd><span class="value-text">Leeds</span></dd>' in html
    assert '<li class="chip"><span class="value-empty">empty</span></li>' in html
    for python in ("['", "{'", "None", "True"):
        assert python not in html


def test_values_are_escaped():
    html = show_value({"<b>": ["<script>alert(1)</script>"]})
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;" in html


def test_long_lists_are_counted_and_deep_values_shown_as_json():
    html = show_value(list(range(MAX_ITEMS + 3)))
    assert html.count('class="chip"') == MAX_ITEMS and "and 3 more" in html
    deep = {"a": {"b": {"c": {"d": {"e": {"f": {"g": [1, True, None]}}}}}}}
    assert "<code>{&quot;g&quot;: [1, true, null]}</code>" in show_value(deep)


def test_paths_wrap_at_dots_conditions_read_as_json_and_times_as_ago():
    assert breakable("billingPerson.<x>") == "billingPerson.<wbr>&lt;x&gt;"
    assert as_json({"not": None}) == '{\n  "not": null\n}'
    assert when(timezone.now()) == "just now"
    assert when(timezone.now() - timedelta(minutes=5, seconds=3)) == "5\xa0minutes ago"
    assert when(None) == ""
