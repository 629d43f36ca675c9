"""`manage.py bootstrap_demo` (run by `make run`): the demo login and workspace are created
once, the password is printed only when it is new, and --reset-password makes another."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.management.commands import bootstrap_demo
from accounts.models import Membership, Role, User, Workspace

PASSWORD_LINE = re.compile(r"^  password: (\S+)$", re.MULTILINE)


def _run(*args) -> str:
    out = StringIO()
    call_command("bootstrap_demo", *args, stdout=out)
    return out.getvalue()


def _password(output: str) -> str:
    [password] = PASSWORD_LINE.findall(output)
    assert output.count(password) == 1  # shown once, not echoed elsewhere in the output
    return password


def _signs_in(client, email: str, password: str) -> bool:
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    client.logout()
    return response.status_code == 302


@pytest.mark.django_db
def test_the_first_run_creates_the_login_and_its_workspace(client):
    output = _run()
    user = User.objects.get(email=bootstrap_demo.DEMO_EMAIL)
    membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER and membership.workspace.name == "Demo workspace"
    assert "Created the demo login" in output and bootstrap_demo.DEMO_EMAIL in output
    password = _password(output)
    assert len(password) >= 16  # token_urlsafe(12): 96 random bits
    assert user.check_password(password) and _signs_in(client, user.email, password)


@pytest.mark.django_db
def test_a_second_run_changes_nothing_and_prints_no_password():
    password = _password(_run())
    output = _run()
    assert "already exists" in output and "--reset-password" in output
    assert not PASSWORD_LINE.search(output) and password not in output
    assert User.objects.count() == 1 and Workspace.objects.count() == 1
    assert User.objects.get().check_password(password)


@pytest.mark.django_db
def test_reset_password_makes_a_new_one_and_shows_it_once(client):
    old = _password(_run())
    output = _run("--reset-password")
    assert "Reset the demo password" in output
    new = _password(output)
    assert new != old
    user = User.objects.get()
    assert user.check_password(new) and not user.check_password(old)
    assert _signs_in(client, user.email, new) and not _signs_in(client, user.email, old)
    assert Workspace.objects.count() == 1  # no second demo workspace


@pytest.mark.django_db
def test_reset_password_on_a_fresh_database_just_creates_the_login():
    output = _run("--reset-password")
    assert "Created the demo login" in output
    assert User.objects.get().check_password(_password(output))


@pytest.mark.django_db
def test_another_email_can_be_given():
    output = _run("--email", "someone@example.org")
    assert User.objects.get().email == "someone@example.org"
    assert "someone@example.org" in output
    assert not User.objects.filter(email=bootstrap_demo.DEMO_EMAIL).exists()


@pytest.mark.django_db
def test_passwords_differ_between_databases():
    first = _password(_run())
    User.objects.all().delete()
    assert _password(_run()) != first  # random, never a fixed demo password


@pytest.mark.django_db(transaction=True)
def test_a_failure_half_way_leaves_no_login_behind(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the workspace could not be made")

    monkeypatch.setattr(bootstrap_demo, "workspace_create", broken)
    with pytest.raises(RuntimeError):
        _run()
    # A login without a workspace would make the next run say "already exists" forever.
    assert not User.objects.exists()


@pytest.mark.django_db
def test_the_demo_login_opens_django_admin(client):
    password = _password(_run())
    client.post(
        reverse("account_login"), {"login": bootstrap_demo.DEMO_EMAIL, "password": password}
    )
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200 and b"ContactBridge administration" in response.content


@pytest.mark.django_db
def test_a_demo_login_from_before_becomes_an_administrator_on_the_next_run():
    User.objects.create_user(email=bootstrap_demo.DEMO_EMAIL, password="x" * 20)
    output = _run()
    user = User.objects.get(email=bootstrap_demo.DEMO_EMAIL)
    assert user.is_staff and user.is_superuser
    assert not PASSWORD_LINE.search(output)  # nothing new to show


@pytest.mark.django_db
def test_the_sign_in_address_follows_the_site_url(settings):
    settings.SITE_URL = "http://127.0.0.1:8123"
    output = _run()
    assert "Sign in at http://127.0.0.1:8123/ with" in output
    assert "http://127.0.0.1:8123/admin/" in output
