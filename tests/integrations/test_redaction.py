import logging

from integrations.redaction import (
    REDACTED,
    RedactingLogFilter,
    redact,
    redact_headers,
    redact_url,
    remember_secret,
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
