"""The shared look's template tags: every status in words with a tone, every system's logo."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template

from accounts.templatetags.ui import STATUS_WORDS, TONES, status_info
from alerts.models import Alert
from diagnostics import health
from diagnostics.models import AlertDelivery, AlertIncident
from integrations.models import Connection, WebhookEvent, WebhookEventTarget
from integrations.providers.keys import PROVIDER_KEYS
from sync.models import Conflict, DriftItem, DriftReport, Flow, PendingChange, Run, RunItem

MODEL_STATUSES = [
    Connection.Status,
    WebhookEvent.Status,
    WebhookEventTarget.Status,
    Flow.Mode,
    Run.Status,
    RunItem.Outcome,
    PendingChange.Status,
    Conflict.Status,
    DriftReport.Status,
    DriftItem.Kind,
    AlertIncident.Level,
    AlertDelivery.Event,
    AlertDelivery.Status,
]
HEALTH_STATES = [health.HEALTHY, health.DEGRADED, health.FAILING, health.PAUSED]


def render(source: str, **context) -> str:
    return Template("{% load ui %}" + source).render(Context(context))


@pytest.mark.parametrize(
    "key",
    sorted({value for choices in MODEL_STATUSES for value in choices.values} | set(HEALTH_STATES)),
)
def test_every_status_of_the_models_has_words_and_a_tone(key):
    assert key in STATUS_WORDS, f"add {key!r} to accounts/templatetags/ui.py STATUS_WORDS"
    words, tone = STATUS_WORDS[key]
    assert tone in TONES
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", words), words


def test_every_table_entry_uses_a_known_tone_and_human_words():
    for key, (words, tone) in STATUS_WORDS.items():
        assert tone in TONES, key
        assert words[:1].isupper() and "_" not in words, key


def test_the_badge_shows_words_and_the_tone_never_the_raw_key():
    html = render("{% status_badge s %}", s="needs_reconnect")
    assert html == '<span class="badge badge-bad status-needs_reconnect">Needs reconnecting</span>'


def test_a_kind_picks_the_words_for_that_kind_of_thing():
    assert "Waiting for a decision" in render('{% status_badge "open" "conflict" %}')
    assert ">Open<" in render('{% status_badge "open" %}')
    assert "Not responding" in render('{% status_badge "stale" "worker" %}')


def test_a_mapping_tests_three_way_result_reads_as_words():
    assert "Passed" in render("{% status_badge p %}", p=True)
    assert "badge-bad" in render("{% status_badge p %}", p=False)
    assert "Not run yet" in render("{% status_badge p %}", p=None)


def test_an_unknown_status_is_still_words():
    assert status_info("some_new_state") == ("Some new state", "neutral")


def test_words_and_title_can_be_given_and_are_escaped():
    html = render('{% status_badge "failed" words=w title=t %}', w="3 <b>failed</b>", t='a"b')
    assert "3 &lt;b&gt;failed&lt;/b&gt;" in html and 'title="a&quot;b"' in html
    assert "badge-bad" in html


def test_words_filter_for_sentences():
    assert render("{{ s|status_words }}", s="partial") == "Partly failed"
    assert render("{{ s|status_tone }}", s="partial") == "warn"


@pytest.mark.parametrize("key", PROVIDER_KEYS)
def test_every_system_has_a_logo_with_alt_text(key):
    html = render("{% logo k %}", k=key)
    src = re.search(r'src="([^"]+)"', html).group(1)
    assert finders.find(src.removeprefix("/static/")), src
    assert re.search(r'alt="[^"]+ logo"', html)
    assert 'class="logo"' in html


def test_an_unknown_system_gets_the_generic_mark_and_a_size_class():
    html = render('{% logo "nosuch" "sm" %}')
    assert "generic.svg" in html and 'class="logo logo-sm"' in html and 'alt="Nosuch logo"' in html


def test_the_logos_licence_is_noted():
    assert finders.find("img/logos/LICENSE.md")
    assert finders.find("img/favicon.svg")


def test_alert_kinds_are_not_statuses_but_have_their_own_labels():
    # Alert.Kind has human labels in the model: get_kind_display, not the badge table.
    assert all(label and "_" not in label for label in Alert.Kind.labels)


def test_a_count_goes_first_and_the_words_follow_in_lower_case():
    assert ">2 failing<" in render('{% status_badge "failing" count=2 %}')


def test_a_mapping_problems_kind_is_not_read_as_test_mode():
    assert ">Test fails<" in render('{% status_badge "test" "problem" %}')
    assert ">Test mode<" in render('{% status_badge "test" %}')
