"""Walk every URL pattern and prove that nothing is reachable without signing in, except the
pages that exist for people who are not signed in yet."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Public by design: signing in/up, password reset, e-mail confirmation, health, webhooks.
PUBLIC_NAMES = {
    "health",
    "metrics",
    "account_login",
    "account_signup",
    "account_logout",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_confirm_email",
    "account_email_verification_sent",
    "account_inactive",
    "account_login_code_confirm",
    "account_request_login_code",
    "account_confirm_login_code",
    "account_confirm_password_reset_code",
    "account_reset_password_code",
    "mfa_authenticate",
    "mfa_reauthenticate",
    "mfa_trust",
}
PUBLIC_PREFIXES = ("webhooks/",)


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def _concrete(route: str) -> str:
    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<(?:str|slug|path):?\w*>", "x", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    return "/" + route.replace("\\", "")


def test_every_view_requires_login_unless_public(client, db):
    checked = 0
    for route, name in _walk(get_resolver().url_patterns):
        if name in PUBLIC_NAMES or route.startswith(PUBLIC_PREFIXES):
            continue
        url = _concrete(route)
        if "static" in url:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (302, 401, 405), f"{method} {url} ({name}) is public"
            if response.status_code == 302:
                # Follow the chain: the admin's own login page hands over to allauth's.
                final = getattr(client, method)(url, follow=True).redirect_chain[-1][0]
                assert final.startswith("/accounts/login/"), f"{url} ({name}) -> {final}"
        checked += 1
    assert checked > 20


@pytest.mark.parametrize("name", ["health", "account_login", "account_signup"])
def test_public_pages_answer_anonymously(client, db, name):
    from django.urls import reverse

    assert client.get(reverse(name)).status_code == 200
