"""Opt-in body capture for debugging: off by default, on for an hour from the connection
page, ending by itself; what it keeps is redacted. Real HTTP against the Ecwid sandbox."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from integrations import calls
from integrations.models import ConnectionAudit
from integrations.providers.base import ObjectType
from integrations.providers.registry import adapter_for
from integrations.redaction import REDACTED
from integrations.services import connection_body_capture
from tests.factories import ConnectionFactory
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID


@pytest.fixture(scope="module")
def ecwid():
    ECWID.start()
    yield ECWID
    ECWID.stop()


@pytest.fixture
def seen():
    """The calls the transport reports, to this test only."""
    saved, told = list(calls._observers), []
    calls._observers[:] = [told.append]
    yield told
    calls._observers[:] = saved


def _until(connection):
    return connection.settings.get(calls.CAPTURE_SETTING)


def test_capture_is_on_only_until_its_time(db):
    connection = ConnectionFactory()
    now = datetime.now(UTC)
    assert not calls.body_capture_on(connection)
    connection.settings[calls.CAPTURE_SETTING] = (now + timedelta(minutes=5)).isoformat()
    assert calls.body_capture_on(connection, now)
    assert not calls.body_capture_on(connection, now + timedelta(minutes=6))
    for bad in ("soon", "2026-12-06T10:00:00", 12):  # unreadable, or without a time zone
        connection.settings[calls.CAPTURE_SETTING] = bad
        assert not calls.body_capture_on(connection, now)


def test_kept_bodies_are_redacted_and_cut():
    kept = calls.body_text(b'{"email": "a@b.c", "apiKey": "k-123", "nested": {"token": "t"}}')
    assert '"a@b.c"' in kept and "k-123" not in kept and kept.count(REDACTED) == 2
    assert calls.body_text({"password": "hunter2"}) == f'{{"password": "{REDACTED}"}}'
    assert "abc123secret" not in calls.body_text("Authorization: Bearer abc123secret")
    assert len(calls.body_text("x" * 10_000)) == calls.BODY_LIMIT
    assert calls.body_text(None) == calls.body_text(b"") == ""


def test_a_captured_call_carries_its_bodies_and_an_uncaptured_one_none(ecwid, workspace, seen):
    connection = ECWID.make_connection(workspace)
    adapter = adapter_for(connection, ObjectType.CONTACT)
    adapter.create({"email": "plain-call@example.com"})
    assert seen and all(c.request_body == c.response_body == "" for c in seen)

    seen.clear()
    connection_body_capture(connection=connection, minutes=60)
    adapter = adapter_for(connection, ObjectType.CONTACT)
    adapter.create({"email": "captured-call@example.com"})
    post = next(c for c in seen if c.method == "POST")
    assert "captured-call@example.com" in post.request_body
    assert post.response_body.startswith("{") and '"id"' in post.response_body
    assert "secret_token" not in post.request_body + post.response_body

    seen.clear()
    connection_body_capture(connection=connection, minutes=0)
    adapter_for(connection, ObjectType.CONTACT).create({"email": "after-capture@example.com"})
    assert seen and all(c.request_body == "" for c in seen)


def test_the_capture_is_audited_and_at_most_a_day(db):
    connection = ConnectionFactory()
    connection_body_capture(connection=connection, minutes=10_000)
    until = datetime.fromisoformat(_until(connection))
    assert timedelta(hours=23) < until - datetime.now(UTC) <= timedelta(days=1)
    audit = ConnectionAudit.objects.filter(connection=connection).latest("pk")
    assert audit.changes == {"body_capture_minutes": 24 * 60}


def test_the_connection_page_turns_capture_on_and_off(client, owner, viewer, outsider, workspace):
    connection = ConnectionFactory(workspace=workspace)
    url = reverse("integrations:connection-capture", args=[workspace.pk, connection.pk])
    detail = reverse("integrations:connection-detail", args=[workspace.pk, connection.pk])
    assert client.post(url, {"capture": "on"}).status_code == 302  # to the sign-in page
    for person, status in ((outsider, 404), (viewer, 403)):
        client.force_login(person)
        assert client.post(url, {"capture": "on"}).status_code == status
    connection.refresh_from_db()
    assert not _until(connection)

    client.force_login(owner)
    assert "Capture bodies for an hour" in client.get(detail).content.decode()
    assert client.post(url, {"capture": "on"}).status_code == 302
    connection.refresh_from_db()
    assert calls.body_capture_on(connection)
    assert "Stop capture" in client.get(detail).content.decode()
    client.post(url, {"capture": "off"})
    connection.refresh_from_db()
    assert not _until(connection)
