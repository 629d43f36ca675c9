"""Error reports never show a secret: not the DEBUG 500 page, not the error e-mail to ADMINS,
not the logged error. Settings, request data and every traceback frame's local variables are
cleansed by integrations.redaction's reporter and filter."""

import io
import logging
import sys

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from django.urls import path
from django.views.debug import technical_500_response

from integrations import redaction
from integrations.crypto import decrypt_credentials, encrypt_credentials
from integrations.redaction import SecretSafeExceptionReporterFilter

API_TOKEN = "pit-live-7c1d9e2f4a6b8c0d"
CLIENT_SECRET = "cs-live-93ab17fe52c4d860"
SIGNING_KEY = "whsec-signing-5e8f0a2b4c6d"
NESTED_SECRET = "nested-hook-secret-1f2e3d4c"
FORM_SECRET = "typed-in-secret-0a9b8c7d6e"
QUERY_CODE = "oauth-code-4d3c2b1a0f9e"
HEADER_TOKEN = "header-bearer-8e7d6c5b4a39"
HEADER_SIGNATURE = "header-signature-2b3c4d5e6f70"
SETTING_KEY = "setting-webhook-key-6a5b4c3d2e"
SECRETS = [
    API_TOKEN,
    CLIENT_SECRET,
    SIGNING_KEY,
    NESTED_SECRET,
    FORM_SECRET,
    QUERY_CODE,
    HEADER_TOKEN,
    HEADER_SIGNATURE,
    SETTING_KEY,
]


def _fail_with_secrets():
    # What a sync or webhook handler has in hand when something goes wrong.
    credentials = decrypt_credentials(
        encrypt_credentials(
            {"api_token": API_TOKEN, "client_secret": CLIENT_SECRET, "store_id": "1003"}
        )
    )
    plain_copy = dict(credentials)
    signing_key = SIGNING_KEY
    webhook_keys = [SIGNING_KEY]
    hook_config = {"store": {"webhook_secret": NESTED_SECRET, "topic": "customer.updated"}}
    outgoing = f"Bearer {credentials['api_token']}"  # a known decrypted value in a plain string
    assert plain_copy and signing_key and webhook_keys and hook_config and outgoing
    raise RuntimeError(f"HighLevel refused the token {credentials['api_token']}")


def explode(request):
    _fail_with_secrets()


urlpatterns = [path("explode/", explode)]


def _request_kwargs():
    return {
        "path": f"/explode/?code={QUERY_CODE}&page=2",
        "data": {"client_secret": FORM_SECRET, "name": "Shop"},
        "HTTP_AUTHORIZATION": f"Bearer {HEADER_TOKEN}",
        "HTTP_X_WH_SIGNATURE": HEADER_SIGNATURE,
    }


@pytest.fixture(autouse=True)
def _settings_with_secrets(settings):
    settings.SHOP_WEBHOOK_SIGNING_KEYS = [SETTING_KEY]
    settings.ADMINS = [("Ops", "ops@example.com")]


@pytest.fixture(autouse=True)
def _no_secrets_remembered_by_earlier_tests():
    """The log scrubber also hides every credential this process has decrypted; an earlier
    test's credential "secret" would hide this file's function names in the reports."""
    with redaction._known_lock:
        redaction._known_secrets.clear()


def _assert_no_secret(text: str, settings):
    for secret in [*SECRETS, settings.SECRET_KEY, *settings.CREDENTIALS_KEYS]:
        assert secret not in text


def test_the_debug_500_page_shows_no_secret(settings):
    settings.DEBUG = True
    kwargs = _request_kwargs()
    request = RequestFactory().post(kwargs.pop("path"), kwargs.pop("data"), **kwargs)
    try:
        _fail_with_secrets()
    except RuntimeError:
        response = technical_500_response(request, *sys.exc_info())
    page = response.content.decode()
    assert response.status_code == 500 and "RuntimeError" in page
    _assert_no_secret(page, settings)
    # Still a useful page: names and harmless values are all there.
    for shown in ["signing_key", "webhook_keys", "store_id", "1003", "customer.updated", "page"]:
        assert shown in page


def test_the_debug_500_page_of_a_real_request_shows_no_secret(settings):
    settings.DEBUG = True
    settings.ROOT_URLCONF = __name__
    kwargs = _request_kwargs()
    response = Client(raise_request_exception=False).post(
        kwargs.pop("path"), kwargs.pop("data"), **kwargs
    )
    page = response.content.decode()
    assert response.status_code == 500 and "Traceback" in page
    _assert_no_secret(page, settings)


def test_the_error_email_and_log_line_show_no_secret(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    captured = io.StringIO()
    original = console.setStream(captured)
    try:
        kwargs = _request_kwargs()
        response = Client(raise_request_exception=False).post(
            kwargs.pop("path"), kwargs.pop("data"), **kwargs
        )
    finally:
        console.setStream(original)
    assert response.status_code == 500
    assert "Server Error" in response.content.decode()
    _assert_no_secret(response.content.decode(), settings)
    [email] = mail.outbox
    report = email.subject + email.body + "".join(a[0] for a in email.alternatives)
    assert "RuntimeError" in report and "_fail_with_secrets" in report
    _assert_no_secret(report, settings)
    logged = captured.getvalue()
    assert "Internal Server Error" in logged and "RuntimeError" in logged
    _assert_no_secret(logged, settings)


@pytest.mark.parametrize(
    "name",
    [
        "CREDENTIALS_KEYS",
        "SECRET_KEY",
        "HIGHLEVEL_WEBHOOK_PUBLIC_KEYS",
        "SHOP_WEBHOOK_SIGNING_KEYS",
        "EMAIL_HOST_PASSWORD",
        "SOME_API_TOKEN",
        "PAYLOAD_SIGNATURE_SECRET",
        "PRIVATE_KEY_PEM",
    ],
)
def test_secret_settings_are_hidden_by_name(name):
    cleansed = SecretSafeExceptionReporterFilter().cleanse_setting(name, ["value"])
    assert cleansed == SecretSafeExceptionReporterFilter.cleansed_substitute


def test_urls_with_passwords_and_secret_dict_values_are_cleansed():
    report_filter = SecretSafeExceptionReporterFilter()
    assert (
        report_filter.cleanse_setting("CELERY_BROKER_URL", "redis://:hunter2-pw@redis:6379/0")
        == "redis://:[redacted]@redis:6379/0"
    )
    caches = {"default": {"LOCATION": "redis://u:hunter2-pw@redis/1", "OPTIONS": {"x": 1}}}
    assert "hunter2-pw" not in str(report_filter.cleanse_setting("CACHES", caches))
    assert report_filter.cleanse_setting("CONFIG", {"access_token": "t0k3n", "name": "n"}) == {
        "access_token": report_filter.cleansed_substitute,
        "name": "n",
    }
