"""What a connection form checks before any request, in each provider's own words.

The generic checks (an address, an e-mail, no stray spaces) are in forms.py; these are the
formats a provider documents or obviously uses: a store ID that is a number, a token with
its prefix, a GUID. A wrong value gets a message that says what the right one looks like and
where the provider shows it. Sources: /work/shared/reference/store-platform-apis.md and
docs/providers/<key>.md. Also here: the settings that are a choice (Cin7's webhook
authentication) and the follow-up fields only one answer needs.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError

from integrations.providers.cin7.webhooks import DEFAULT_HEADER, DEFAULT_USERNAME

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# An HTTP header name is an RFC 9110 token.
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")

ECWID_STORE_ID_ERROR = (
    "Store ID is a number, e.g. 1003 — find it in Ecwid's Control Panel → Settings → General."
)
ECWID_PUBLIC_TOKEN_ERROR = (
    "This is the public token (public_…): a public token cannot read customers. Paste the "
    "secret token, which starts with secret_ (Ecwid admin → Apps → My Apps → your app)."
)
ECWID_SECRET_TOKEN_ERROR = (
    "Ecwid's secret token starts with secret_ — copy it from Ecwid admin → Apps → My Apps → "
    "your app."
)
ECWID_CLIENT_SECRET_ERROR = (
    "This is an access token, not the app's client secret: the client_secret is shown next "
    "to the client_id under Apps → My Apps → your app (it has no secret_ or public_ prefix)."
)
HIGHLEVEL_PIT_ERROR = (
    "HighLevel Private Integration Tokens start with pit- — create one in the sub-account "
    "under Settings → Private Integrations."
)
HIGHLEVEL_JWT_ERROR = (
    "This looks like an OAuth access token, which expires within a day. Use the OAuth tab to "
    "sign in, or paste a Private Integration Token (it starts with pit-)."
)
HIGHLEVEL_LOCATION_ERROR = (
    "A Location ID is letters and digits only, e.g. ve9EPM428h8vShlRW1KT — find it in the "
    "sub-account under Settings → Business Profile."
)
CIN7_GUID_ERROR = (
    "Cin7 Core shows the {label} as a GUID such as 6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d — "
    "copy it from Integrations → API → Cin7 Core API."
)
CIN7_CURRENCY_ERROR = (
    "Cin7 Core wants the three-letter currency code, e.g. USD (your base currency is under "
    "Settings → General Settings)."
)
CIN7_HEADER_ERROR = (
    f"A header name is one word of letters, digits and dashes, e.g. {DEFAULT_HEADER}."
)
CIN7_USERNAME_ERROR = "A Basic authentication user name cannot contain a colon (:)."
SHIFT4SHOP_TIMEZONE_ERROR = (
    "Use the time zone's name, e.g. America/New_York (not an abbreviation such as EST)."
)
SHIFT4SHOP_RATE_ERROR = (
    "A number of requests per second between 0.1 and 50, e.g. 2 (0.5 is one every 2 s)."
)


def _refuse_unless(ok: bool, message: str) -> None:
    if not ok:
        raise ValidationError(message)


def _ecwid_secret_token(value: str) -> None:
    if value.startswith("public_"):
        raise ValidationError(ECWID_PUBLIC_TOKEN_ERROR)
    _refuse_unless(value.startswith("secret_"), ECWID_SECRET_TOKEN_ERROR)


def _ecwid_client_secret(value: str) -> None:
    _refuse_unless(not value.startswith(("secret_", "public_")), ECWID_CLIENT_SECRET_ERROR)


def _highlevel_token(value: str) -> None:
    if value.startswith("eyJ"):  # a JWT: base64 of '{"'
        raise ValidationError(HIGHLEVEL_JWT_ERROR)
    _refuse_unless(value.startswith("pit-"), HIGHLEVEL_PIT_ERROR)


def _guid(label: str) -> Callable[[str], None]:
    return lambda value: _refuse_unless(
        bool(GUID.match(value)), CIN7_GUID_ERROR.format(label=label)
    )


def _timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(SHIFT4SHOP_TIMEZONE_ERROR) from None


def _requests_per_second(value: str) -> None:
    try:
        rate = float(value)
    except ValueError:
        raise ValidationError(SHIFT4SHOP_RATE_ERROR) from None
    _refuse_unless(0.1 <= rate <= 50, SHIFT4SHOP_RATE_ERROR)


# (provider, field key) -> check; a check raises ValidationError with what to fix.
CHECKS: dict[tuple[str, str], Callable[[str], None]] = {
    ("ecwid", "store_id"): lambda v: _refuse_unless(
        v.isascii() and v.isdigit(), ECWID_STORE_ID_ERROR
    ),
    ("ecwid", "secret_token"): _ecwid_secret_token,
    ("ecwid", "client_secret"): _ecwid_client_secret,
    ("highlevel", "private_integration_token"): _highlevel_token,
    ("highlevel", "location_id"): lambda v: _refuse_unless(
        v.isascii() and v.isalnum(), HIGHLEVEL_LOCATION_ERROR
    ),
    ("cin7", "account_id"): _guid("Account ID"),
    ("cin7", "application_key"): _guid("Application Key"),
    ("cin7", "currency"): lambda v: _refuse_unless(
        len(v) == 3 and v.isascii() and v.isalpha(), CIN7_CURRENCY_ERROR
    ),
    ("cin7", "webhook_header"): lambda v: _refuse_unless(
        bool(HEADER_NAME.match(v)), CIN7_HEADER_ERROR
    ),
    ("cin7", "webhook_username"): lambda v: _refuse_unless(":" not in v, CIN7_USERNAME_ERROR),
    ("shift4shop", "store_timezone"): _timezone,
    ("shift4shop", "requests_per_second"): _requests_per_second,
}


def check(provider_key: str, key: str, value: str) -> None:
    """Raise ValidationError if `value` cannot be what `provider_key` calls `key`."""
    rule = CHECKS.get((provider_key, key))
    if value and rule is not None:
        rule(value)


# --- Settings that are a choice, and the fields each answer needs -------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    follow_ups: tuple[str, ...] = ()  # keys of the settings only this answer uses


# (provider, setting key) -> (choices, the default). Cin7 offers exactly these three ways to
# authenticate a webhook (ExternalAuthorizationType, or a header in ExternalHeaders); the
# secret is the Bearer token, the Basic password or the header's value (cin7/webhooks.py).
CHOICES: dict[tuple[str, str], tuple[tuple[Choice, ...], str]] = {
    ("cin7", "webhook_auth"): (
        (
            Choice("bearer", "Bearer token: Authorization: Bearer <secret> (the default)"),
            Choice(
                "basic",
                f"Basic: a user name (default {DEFAULT_USERNAME}) and the secret as password",
                ("webhook_username",),
            ),
            Choice(
                "header",
                f"Custom header: a header (default {DEFAULT_HEADER}) carrying the secret",
                ("webhook_header",),
            ),
        ),
        "bearer",
    ),
}


def choices_for(provider_key: str, key: str) -> tuple[tuple[Choice, ...], str] | None:
    return CHOICES.get((provider_key, key))
