"""The public webhook endpoints under hostile input: whatever is posted, the answer is a JSON
error below 500, and bodies no provider sends never reach a provider's verifier."""

import dataclasses
import json
import logging

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.models import WebhookEvent, WebhookRejection
from integrations.providers import registry
from tests.factories import ConnectionFactory

RECEIVING = sorted(p.key for p in registry.all_providers() if p.verify_webhook is not None)
DEEP = 100_000


def _url(key: str) -> str:
    return reverse("integrations:webhook-receive", args=[key])


def _rejections(key: str, reason: str) -> int:
    row = WebhookRejection.objects.filter(provider=key, reason=reason).first()
    return row.count if row else 0


def _assert_json_error(response, status: int) -> str:
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


@pytest.fixture
def verifier_must_not_run(monkeypatch):
    """Make every provider's verifier fail the test if it is called."""
    calls = []

    def refuse(body, headers):
        calls.append(body)
        raise AssertionError("the verifier saw a body the view should have refused")

    for key in RECEIVING:
        provider = registry.PROVIDERS[key]
        monkeypatch.setitem(
            registry.PROVIDERS, key, dataclasses.replace(provider, verify_webhook=refuse)
        )
    return calls


def test_every_provider_that_sends_webhooks_is_covered():
    assert {"highlevel", "ecwid", "orderspace", "shift4shop", "cin7"} <= set(RECEIVING)


@pytest.mark.parametrize("key", RECEIVING)
def test_an_empty_body_is_refused(client, db, key, verifier_must_not_run):
    for body in (b"", b"  \r\n\t "):
        response = client.post(_url(key), body, content_type="application/json")
        assert "empty" in _assert_json_error(response, 400)
    assert _rejections(key, "empty") == 2 and not verifier_must_not_run


@pytest.mark.parametrize("key", RECEIVING)
def test_a_body_that_is_not_utf8_is_refused(client, db, key, verifier_must_not_run):
    for body in (b"\xff\xfe{}", b'{"email": "caf\xe9"}', b"\xc3"):
        response = client.post(_url(key), body, content_type="application/json")
        assert "UTF-8" in _assert_json_error(response, 400)
    assert _rejections(key, "not_utf8") == 3 and not verifier_must_not_run


@pytest.mark.parametrize("key", RECEIVING)
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "text/html; charset=utf-8", ""],
)
def test_a_body_that_is_not_declared_json_is_refused(
    client, db, key, content_type, verifier_must_not_run
):
    response = client.generic("POST", _url(key), b"{}", content_type=content_type)
    assert "application/json" in _assert_json_error(response, 415)
    assert _rejections(key, "content_type") == 1 and not verifier_must_not_run


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"],
)
def test_json_with_or_without_a_charset_reaches_the_verifier(client, db, content_type):
    response = client.generic("POST", _url("orderspace"), b"{}", content_type=content_type)
    assert response.status_code == 401  # unsigned: the verifier's answer, not the view's


@pytest.mark.parametrize("key", RECEIVING)
@pytest.mark.parametrize(
    "body",
    [
        "[" * DEEP + "]" * DEEP,
        '{"a":' * DEEP + "1" + "}" * DEEP,
        '{"a": [' * (DEEP // 2) + "]}" * (DEEP // 2),
        "[" * DEEP,  # and never closed
    ],
    ids=["arrays", "objects", "mixed", "unclosed"],
)
def test_json_nested_100000_deep_is_refused_before_the_verifier(
    client, db, key, body, verifier_must_not_run
):
    response = client.post(_url(key), body.encode(), content_type="application/json")
    assert "nested deeper than" in _assert_json_error(response, 400)
    assert _rejections(key, "too_deep") == 1 and not verifier_must_not_run


def test_brackets_inside_strings_do_not_count_as_nesting(client, db):
    body = json.dumps({"note": "[" * 1000, "name": "{{{{"}).encode()
    response = client.post(_url("orderspace"), body, content_type="application/json")
    assert response.status_code == 401  # reached the verifier: refused for its signature


@pytest.mark.parametrize("key", RECEIVING)
def test_a_body_too_large_is_refused(client, db, key, verifier_must_not_run):
    body = b'{"padding": "' + b"x" * 1_000_001 + b'"}'
    response = client.post(_url(key), body, content_type="application/json")
    assert "too large" in _assert_json_error(response, 413)
    assert _rejections(key, "too_large") == 1


@pytest.mark.parametrize("key", RECEIVING)
def test_a_verifier_that_crashes_answers_400_logs_and_counts(client, db, key, monkeypatch, caplog):
    def crash(body, headers):
        raise KeyError("a bug in the verifier")

    provider = registry.PROVIDERS[key]
    monkeypatch.setitem(
        registry.PROVIDERS, key, dataclasses.replace(provider, verify_webhook=crash)
    )
    with caplog.at_level(logging.ERROR, logger="integrations.webhooks"):
        response = client.post(_url(key), b'{"id": 1}', content_type="application/json")
    assert _assert_json_error(response, 400) == "Could not read this webhook."
    assert _rejections(key, "verifier_error") == 1
    [record] = [r for r in caplog.records if r.name == "integrations.webhooks"]
    assert record.exc_info and "a bug in the verifier" in str(record.exc_info[1])
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "field",
    [
        b'"BillingFirstName": NaN',
        b'"BillingFirstName": -Infinity',
        b'"BillingFirstName": "half \\ud800 a pair"',
        b'"BillingFirstName": "nul \\u0000 inside"',
        b'"nul \\u0000 key": 1',
    ],
)
def test_json_the_database_cannot_store_is_refused_not_a_500(client, db, field):
    """Shift4Shop's deliveries are stored unconfirmed, so its endpoint stores what anyone
    posts in the right shape: PostgreSQL's jsonb would refuse these with an error."""
    ConnectionFactory(provider="shift4shop", settings={"secure_url": "https://shop.example"})
    body = b'[{"CustomerID": 5, "Email": "pat@example.org", ' + field + b"}]"
    response = client.post(_url("shift4shop"), body, content_type="application/json")
    _assert_json_error(response, 400)
    # Refused by the verifier's parser (NaN, a lone surrogate) or by the storability check
    # (NUL): either way counted once, and nothing stored.
    refused = _rejections("shift4shop", "unstorable") + _rejections("shift4shop", "malformed")
    assert refused == 1
    assert not WebhookEvent.objects.exists()


# --- property-based: anything at all, at every endpoint -------------------------------------

SIGNATURE_HEADERS = [
    "X-GHL-Signature",
    "X-WH-Signature",
    "X-Ecwid-Webhook-Signature",
    "X-Orderspace-Signature",
    "X-ContactBridge-Token",
    "Authorization",
]
CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "text/plain", ""]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.lists(
        st.fixed_dictionaries(
            {"CustomerID": st.integers() | st.text(max_size=5), "Email": st.text(max_size=20)}
        ),
        max_size=3,
    ).map(lambda value: json.dumps(value).encode()),
    st.integers(1, 5_000).map(lambda depth: ("[" * depth + "]" * depth).encode()),
)
# Header values as a server receives them: latin-1 text without line breaks.
header_values = st.text(
    st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=60
)
headers = st.dictionaries(st.sampled_from(SIGNATURE_HEADERS), header_values, max_size=3)


@pytest.fixture
def some_connections(db):
    ConnectionFactory(provider="highlevel", settings={"location_id": "loc1"})
    ConnectionFactory(provider="ecwid", settings={"store_id": "1003"})
    ConnectionFactory(provider="orderspace", settings={"webhook_secret": "s"})
    ConnectionFactory(provider="cin7", settings={})
    ConnectionFactory(provider="shift4shop", settings={"secure_url": "https://127.0.0.1:9"})


@pytest.mark.parametrize("key", RECEIVING)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies, sent_headers=headers, content_type=st.sampled_from(CONTENT_TYPES))
def test_whatever_is_posted_the_answer_is_json_below_500(
    client, some_connections, key, body, sent_headers, content_type
):
    meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in sent_headers.items()}
    response = client.generic("POST", _url(key), body, content_type=content_type, **meta)
    assert response.status_code < 500
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    assert ("error" in answer) if response.status_code >= 400 else ("status" in answer)
