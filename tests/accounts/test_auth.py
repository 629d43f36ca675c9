"""Sign-up, sign-in, MFA and rate limits, through allauth's real views."""

import re

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Role, User
from tests.factories import PASSWORD, UserFactory


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


def _signup(client):
    return client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )


def test_open_signup_creates_a_user_with_an_own_workspace(client, db, settings):
    settings.ACCOUNT_SIGNUP_OPEN = True
    response = _signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER


def _signup_answer(email: str) -> tuple:
    """Everything a visitor sees after signing up with `email`, the address taken out."""
    client = Client()
    response = client.post(
        reverse("account_signup"),
        {"email": email, "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )
    page = client.get(response.url)
    home = client.get("/")
    return (
        response.status_code,
        response.url,
        page.status_code,
        re.sub(
            r'(x-csrftoken": "|csrfmiddlewaretoken" value=")\w+', "CSRF", page.content.decode()
        ).replace(email, "ADDRESS"),
        home.url.startswith(reverse("account_login")),  # not signed in either way
    )


@pytest.mark.parametrize("verification", ["optional", "mandatory"])
def test_signup_answers_the_same_for_a_taken_and_a_new_address(db, settings, verification):
    settings.ACCOUNT_SIGNUP_OPEN = True
    settings.ACCOUNT_EMAIL_VERIFICATION = verification
    UserFactory(email="taken@example.com")
    taken, new = _signup_answer("taken@example.com"), _signup_answer("new@example.com")
    assert taken == new
    assert new[1] == reverse("account_email_verification_sent") and new[4] is True
    assert User.objects.filter(email="taken@example.com").count() == 1
    assert User.objects.filter(email="new@example.com").exists()
    # Each address hears about it by e-mail: a confirmation link, or "you already have an
    # account", which only the address's owner reads.
    assert sorted(m.to[0] for m in mail.outbox) == ["new@example.com", "taken@example.com"]


def test_a_new_account_signs_in_with_its_password_after_signing_up(client, db, settings):
    settings.ACCOUNT_SIGNUP_OPEN = True
    _signup(client)
    response = client.post(
        reverse("account_login"), {"login": "new@example.com", "password": "a-long-pass-phrase"}
    )
    assert response.status_code == 302
    assert not client.get("/").url.startswith(reverse("account_login"))


def test_password_reset_answers_the_same_for_a_known_and_an_unknown_address(client, db):
    UserFactory(email="known@example.com")
    answers = []
    for email in ["known@example.com", "unknown@example.com"]:
        response = client.post(reverse("account_reset_password"), {"email": email})
        answers.append((response.status_code, response.url))
    assert answers[0] == answers[1]


def test_closed_signup_refuses_and_creates_nothing(client, db, settings):
    settings.ACCOUNT_SIGNUP_OPEN = False
    response = _signup(client)
    assert "Sign Up Closed" in response.content.decode()
    assert not User.objects.filter(email="new@example.com").exists()


def test_login_with_email_and_password(client, db):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # on to the user's workspace, not the login


def test_wrong_password_is_refused(client, db):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_failed_logins_are_rate_limited(client, db):
    user = UserFactory()
    pages = [
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
        for _ in range(6)
    ]
    assert "Too many failed login attempts" not in pages[0].content.decode()
    assert "Too many failed login attempts" in pages[-1].content.decode()
    # Even the right password is refused while the limit holds.
    blocked = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in blocked.content.decode()
    assert client.get("/").url.startswith(reverse("account_login"))


def _current_code(secret: str) -> str:
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def test_totp_users_must_enter_a_code_after_their_password(client, db):
    user = UserFactory()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    assert client.get("/").url.startswith(reverse("account_login"))  # not signed in yet
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    ok = client.post(reverse("mfa_authenticate"), {"code": _current_code(secret)})
    assert ok.status_code == 302
    assert not client.get("/").url.startswith(reverse("account_login"))


def test_totp_setup_page_is_offered_to_signed_in_users(client, db):
    client.force_login(UserFactory())
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code in (200, 302)  # 302 = reauthenticate first
