"""What the explorer shows of a body: pretty, redacted JSON, and never a 500 or a secret for
bodies that are not JSON it can read."""

from integrations.explorer import _pretty


def test_json_bodies_are_pretty_and_redacted():
    shown = _pretty(b'{"access_token": "tok-123456", "name": "Ada"}')
    assert '"name": "Ada"' in shown and "tok-123456" not in shown


def test_bodies_nested_too_deep_are_shown_as_text_not_a_crash():
    body = "[" * 100_000 + "]" * 100_000
    assert _pretty(body).startswith("[[[")


def test_secrets_in_bodies_that_are_not_json_are_scrubbed():
    shown = _pretty(b"grant_type=refresh_token&refresh_token=rt-987654321&client_id=abc")
    assert "rt-987654321" not in shown and "client_id=abc" in shown
