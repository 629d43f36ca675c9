import logging

import pytest

from integrations.redaction import (
    REDACTED,
    RedactingLogFilter,
    is_secret_variable,
    redact,
    redact_headers,
    redact_url,
    remember_secret,
    scrub_report_text,
    scrub_text,
)


def test_redact_replaces_values_under_secret_keys_recursively():
    data = {
        "name": "Shop",
        "client_secret": "abc",
        "nested": {"access_token": "t", "list": [{"password": "p", "ok": 1}]},
    }
    assert redact(data) == {
        "name": "Shop",
        "client_secret": REDACTED,
        "nested": {"access_token": REDACTED, "list": [{"password": REDACTED, "ok": 1}]},
    }


def test_redact_headers_hides_auth_headers_of_every_provider():
    headers = {
        "Authorization": "Bearer abc",
        "PrivateKey": "k",
        "Token": "t",
        "api-auth-applicationkey": "a",
        "Accept": "application/json",
    }
    assert redact_headers(headers) == {
        "Authorization": REDACTED,
        "PrivateKey": REDACTED,
        "Token": REDACTED,
        "api-auth-applicationkey": REDACTED,
        "Accept": "application/json",
    }


def test_redact_url_hides_secret_query_parameters_and_passwords():
    url = "https://user:pw123@api.example.com/v3/1/customers?token=secret_abc&limit=5"
    redacted = redact_url(url)
    assert "secret_abc" not in redacted and "pw123" not in redacted
    assert "limit=5" in redacted


def test_scrub_text_hides_bearer_tokens_and_key_value_pairs():
    text = 'Authorization: Bearer eyJabc.def-ghi sent {"refresh_token": "r-123456"}'
    scrubbed = scrub_text(text)
    assert "eyJabc.def-ghi" not in scrubbed and "r-123456" not in scrubbed


def test_known_secret_values_are_scrubbed_wherever_they_appear():
    remember_secret("plain-looking-value-42")
    assert "plain-looking-value-42" not in scrub_text("oops: plain-looking-value-42 leaked")


def test_log_filter_scrubs_messages_and_arguments():
    remember_secret("hunter2-hunter2")
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "key is %s", ("hunter2-hunter2",), None
    )
    RedactingLogFilter().filter(record)
    assert "hunter2-hunter2" not in record.getMessage()


@pytest.mark.parametrize(
    "name",
    [
        "credentials",
        "signing_key",
        "webhook_keys",
        "key",
        "sig",
        "client_secret",
        "access_token",
        "password",
        "x_signature",
        "creds",
        "private_key",
        "hmac",
    ],
)
def test_variables_named_like_secrets_are_recognised(name):
    assert is_secret_variable(name)


@pytest.mark.parametrize("name", ["store_id", "response", "monkey", "keyboard_layout", "name"])
def test_ordinary_variable_names_are_left_alone(name):
    assert not is_secret_variable(name)


def test_report_text_loses_secret_query_values_and_url_passwords():
    remember_secret("decrypted-value-123456")
    text = (
        "GET /cb?code=abc123&state=s1&page=2 redis://:pw-9876@redis:6379/0 "
        "&lt;WSGIRequest: GET &#x27;/x?token=t0k&amp;page=3&#x27;&gt; saw decrypted-value-123456"
    )
    assert scrub_report_text(text) == (
        "GET /cb?code=[redacted]&state=s1&page=2 redis://:[redacted]@redis:6379/0 "
        "&lt;WSGIRequest: GET &#x27;/x?token=[redacted]&amp;page=3&#x27;&gt; saw [redacted]"
    )
