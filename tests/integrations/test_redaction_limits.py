"""The edges of redaction: how far into nested values the error-report filter looks, what it
does with odd objects, and the bounded memory of decrypted secrets."""

import pytest
from django.utils.datastructures import MultiValueDict

from integrations import redaction
from integrations.redaction import (
    REDACTED,
    SecretSafeExceptionReporterFilter,
    redact,
    redact_url,
    remember_secret,
    scrub_text,
)

SUBSTITUTE = SecretSafeExceptionReporterFilter.cleansed_substitute


def _cleanse(value):
    return SecretSafeExceptionReporterFilter()._cleanse(value)


def test_secret_keys_are_hidden_in_lists_tuples_and_sets():
    cleansed = _cleanse({"items": [{"password": "pw-1"}], "pair": ("Bearer abcdef123456", 1)})
    assert cleansed["items"] == [{"password": SUBSTITUTE}]
    assert cleansed["pair"] == (f"Bearer {REDACTED}", 1)
    assert _cleanse({"token=abcdef1234"}) == (f"token={REDACTED}",)


def test_form_data_in_a_frame_is_cleansed_by_name():
    data = MultiValueDict({"client_secret": ["cs-123456"], "name": ["Ann"]})
    cleansed = _cleanse(data)
    assert cleansed["client_secret"] == SUBSTITUTE and cleansed["name"] == "Ann"


def test_objects_are_judged_by_their_repr():
    class Holder:
        def __repr__(self):
            return "Holder(api_key=ak-12345678)"

    class Plain:
        def __repr__(self):
            return "Plain()"

    class Broken:
        def __repr__(self):
            raise ValueError("no repr")

    shown = _cleanse(Holder())
    assert shown.startswith(f"Holder(api_key={REDACTED}") and "ak-12345678" not in shown
    plain, broken = Plain(), Broken()
    assert _cleanse(plain) is plain  # nothing to hide: the object itself, as Django shows it
    assert _cleanse(broken) is broken  # a broken __repr__ does not break the error page


def test_nesting_deeper_than_the_limit_is_left_alone_not_recursed_forever():
    deep: dict = {"password": "pw-deep"}
    for _ in range(redaction._MAX_DEPTH + 3):
        deep = {"next": deep}
    cleansed = _cleanse(deep)  # returns; the depth cap stops the walk
    for _ in range(redaction._MAX_DEPTH + 1):
        cleansed = cleansed["next"]
    assert isinstance(cleansed, dict)


def test_no_request_means_no_post_parameters():
    assert SecretSafeExceptionReporterFilter().get_post_parameters(None) == {}


def test_known_secrets_are_bounded_newest_kept(monkeypatch):
    monkeypatch.setattr(redaction, "_known_secrets", type(redaction._known_secrets)())
    monkeypatch.setattr(redaction, "_MAX_KNOWN_SECRETS", 3)
    for value in ["first-secret", "second-secret", "third-secret", "fourth-secret"]:
        remember_secret(value)
    remember_secret("short")  # under the minimum length: would scrub innocent words
    remember_secret(12345678)  # not text
    assert list(redaction._known_secrets) == ["second-secret", "third-secret", "fourth-secret"]
    assert scrub_text("first-secret fourth-secret") == f"first-secret {REDACTED}"


def test_redact_leaves_plain_values_and_urls_without_secrets_as_they_are():
    assert redact("text") == "text" and redact(5) == 5
    assert redact([{"apiKey": "x"}, ("a",)]) == [{"apiKey": REDACTED}, ["a"]]
    url = "https://api.example.com/v1/contacts"
    assert redact_url(url) is url


def _nested(depth: int, make, leaf):
    value = leaf
    for _ in range(depth):
        value = make(value)
    return value


def _unwrap(value, depth: int, take):
    for _ in range(depth):
        value = take(value)
    return value


@pytest.mark.parametrize(
    ("make", "take"),
    [
        (lambda inner: {"next": inner}, lambda outer: outer["next"]),
        (lambda inner: [inner], lambda outer: outer[0]),
        (lambda inner: (inner,), lambda outer: outer[0]),
    ],
    ids=["dicts", "lists", "tuples"],
)
def test_a_secret_at_the_deepest_level_looked_at_is_still_hidden(make, take):
    depth = redaction._MAX_DEPTH  # the innermost dict is looked at, at exactly this depth
    cleansed = _cleanse(_nested(depth, make, {"password": "pw-edge-1234"}))
    assert _unwrap(cleansed, depth, take) == {"password": SUBSTITUTE}
    beyond = _cleanse(_nested(depth + 1, make, {"password": "pw-edge-1234"}))
    assert _unwrap(beyond, depth + 1, take) == {"password": "pw-edge-1234"}  # not walked


def test_self_referencing_values_do_not_recurse_forever():
    loop: dict = {"token": "tk-loop-1234"}
    loop["self"] = loop
    chain: list = ["Bearer abcdef123456"]
    chain.append(chain)
    holder = ([],)
    holder[0].append(holder)
    cleansed = _cleanse({"loop": loop, "chain": chain, "holder": holder})
    assert cleansed["loop"]["token"] == SUBSTITUTE
    assert cleansed["chain"][0] == f"Bearer {REDACTED}"


def test_secret_query_parameters_are_hidden_in_get_items_and_query_string():
    from django.test import RequestFactory

    from integrations.redaction import SecretSafeExceptionReporter

    request = RequestFactory().get("/cb", {"api_key": "ak-query-1234", "page": "2"})
    try:
        raise ValueError("boom")
    except ValueError as exc:
        reporter = SecretSafeExceptionReporter(request, type(exc), exc, exc.__traceback__)
        items = dict(reporter.get_traceback_data()["request_GET_items"])
    assert items == {"api_key": SUBSTITUTE, "page": "2"}
    report_filter = SecretSafeExceptionReporterFilter()
    query = report_filter.cleanse_setting("QUERY_STRING", "page=2&token=abcdef1234")
    assert query == f"page=2&token={REDACTED}"
    assert report_filter.cleanse_setting("DEFAULT_FROM_EMAIL", "a@b.org") == "a@b.org"


def test_secret_form_fields_are_hidden_in_the_post_data_of_a_report():
    from django.test import RequestFactory

    request = RequestFactory().post("/save", {"client_secret": "cs-post-1234", "name": "Ann"})
    posted = SecretSafeExceptionReporterFilter().get_post_parameters(request)
    assert posted["client_secret"] == SUBSTITUTE and posted["name"] == "Ann"
