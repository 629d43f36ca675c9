"""Proactive token refresh against the HighLevel sandbox, failures, alerts and what the pages
show about them."""

from datetime import timedelta

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from alerts.services import alert_raise
from integrations import tasks
from integrations.models import Connection
from integrations.token_health import (
    REFRESH_AHEAD,
    TRANSIENT_FAILURES_BEFORE_ALERT,
    connection_token_refresh,
    connections_due,
)
from tests.factories import ConnectionFactory
from tests.integrations.test_wizard import control, described, hl_sandbox  # noqa: F401

TIMEOUT = 10


def oauth_connection(workspace, described, **fields):  # noqa: F811
    issued = control(described, issue_token={"kind": "oauth"})["result"]["issued"]
    connection = ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        settings={"location_id": described["location_id"], "base_url": described["base_url"]},
        credentials={
            "client_id": described["client_id"],
            "client_secret": described["client_secret"],
            "access_token": issued["access_token"],
            "refresh_token": issued["refresh_token"],
        },
        scopes=issued["scope"].split(),
        token_expires_at=fields.pop("token_expires_at", timezone.now() + timedelta(hours=1)),
        **fields,
    )
    return connection, issued


def test_due_means_expiring_soon_or_not_refreshed_for_a_day(workspace):
    now = timezone.now()
    oauth = {"access_token": "at-1", "refresh_token": "rt-1", "client_id": "app"}

    def make(**fields):
        return ConnectionFactory(
            workspace=workspace, provider="highlevel", credentials=oauth, **fields
        ).pk

    expiring = make(token_expires_at=now + REFRESH_AHEAD / 2, token_refreshed_at=now)
    stale = make(
        token_expires_at=now + timedelta(hours=20), token_refreshed_at=now - timedelta(days=2)
    )
    never = make(token_expires_at=now + timedelta(hours=20))
    fresh = make(token_expires_at=now + timedelta(hours=20), token_refreshed_at=now)
    no_token = make()
    disabled = make(token_expires_at=now, status=Connection.Status.DISABLED)
    dead = make(token_expires_at=now, status=Connection.Status.NEEDS_RECONNECT)
    store = ConnectionFactory(workspace=workspace, token_expires_at=now).pk  # no refresher
    # Client-credentials tokens (Orderspace private integrations) are bought on demand.
    bought = ConnectionFactory(
        workspace=workspace,
        provider="orderspace",
        credentials={"client_id": "c", "client_secret": "s", "access_token": "at"},
        token_expires_at=now,
    ).pk
    due = {c.pk for c in connections_due()}
    assert due == {expiring, stale, never}
    assert not due & {fresh, no_token, disabled, dead, store, bought}


def test_beat_task_fans_out_one_task_per_due_connection(workspace, monkeypatch):
    now = timezone.now()
    due = [
        ConnectionFactory(
            workspace=workspace,
            provider="highlevel",
            credentials={"access_token": "at", "refresh_token": "rt"},
            token_expires_at=now,
        ).pk
        for _ in range(2)
    ]
    sent = []
    monkeypatch.setattr(tasks.token_refresh, "delay", sent.append)
    assert tasks.token_refresh_due() == 2
    assert sorted(sent) == sorted(due)


def test_beat_schedule_runs_the_refresh_every_15_minutes():
    from config.celery import app

    entry = app.conf.beat_schedule["token-refresh"]
    assert entry["task"] == "integrations.tasks.token_refresh_due"
    assert entry["schedule"] == 15 * 60


def test_refresh_replaces_the_tokens_and_resolves_alerts(workspace, described):  # noqa: F811
    connection, issued = oauth_connection(workspace, described, refresh_failures=2)
    alert = alert_raise(connection=connection, kind="token_refresh_failed", message="old")
    assert tasks.token_refresh(connection.pk) == "refreshed"
    connection.refresh_from_db()
    credentials = connection.get_credentials()
    assert credentials["access_token"] != issued["access_token"]
    assert credentials["refresh_token"] != issued["refresh_token"]
    assert connection.token_expires_at > timezone.now() + timedelta(hours=20)
    assert connection.refresh_failures == 0 and connection.token_refreshed_at is not None
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    # The new token works against the sandbox.
    response = requests.get(
        described["base_url"] + "/contacts/",
        params={"locationId": described["location_id"], "limit": 1},
        headers={"Authorization": f"Bearer {credentials['access_token']}", "Version": "2021-07-28"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200


def test_a_refused_refresh_needs_reconnect_and_raises_one_alert(workspace, described):  # noqa: F811
    connection, issued = oauth_connection(workspace, described)
    control(described, revoke_tokens=issued["refresh_token"])
    assert connection_token_refresh(connection_id=connection.pk) == "failed"
    connection.refresh_from_db()
    assert connection.status == Connection.Status.NEEDS_RECONNECT
    assert connection.refresh_failures == 1
    alert = Alert.objects.get(connection=connection, resolved_at=None)
    assert alert.kind == "token_refresh_failed" and alert.workspace == workspace
    assert "Reconnect it" in alert.message
    # Once it needs reconnecting, the beat leaves it alone (no retry storm on a dead token).
    assert connection.pk not in {c.pk for c in connections_due()}
    alert_raise(connection=connection, kind="token_refresh_failed", message="again")
    assert Alert.objects.filter(connection=connection, resolved_at=None).count() == 1


def test_an_unreachable_provider_alerts_only_after_repeated_failures(workspace, described):  # noqa: F811
    connection, _ = oauth_connection(workspace, described)
    Connection.objects.filter(pk=connection.pk).update(
        settings={**connection.settings, "base_url": "http://127.0.0.1:9"}
    )
    for attempt in range(1, TRANSIENT_FAILURES_BEFORE_ALERT + 1):
        assert connection_token_refresh(connection_id=connection.pk) == "failed"
        connection.refresh_from_db()
        assert connection.refresh_failures == attempt
        assert connection.status == Connection.Status.NEW  # not dead, just unreachable
        expected = 1 if attempt >= TRANSIENT_FAILURES_BEFORE_ALERT else 0
        assert Alert.objects.filter(connection=connection).count() == expected


def test_private_integration_tokens_and_disabled_connections_are_skipped(workspace):
    pit = ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        credentials={"private_integration_token": "pit-1234567"},
        token_expires_at=timezone.now(),
    )
    assert connection_token_refresh(connection_id=pit.pk) == "skipped"
    pit.status = Connection.Status.DISABLED
    pit.save()
    assert connection_token_refresh(connection_id=pit.pk) == "skipped"
    assert connection_token_refresh(connection_id=999_999) == "skipped"


def test_detail_shows_token_health_and_a_one_click_reconnect(
    owner_client,
    workspace,
    described,  # noqa: F811
):
    connection, issued = oauth_connection(workspace, described)
    control(described, revoke_tokens=issued["refresh_token"])
    connection_token_refresh(connection_id=connection.pk)
    url = reverse("integrations:connection-detail", args=[workspace.pk, connection.pk])
    body = owner_client.get(url).content.decode()
    assert "Token health" in body and "Refresh failures</dt><dd>1" in body
    assert "Token refresh failed" in body and "Reconnect now" in body
    assert "Needs reconnect" in body
    reconnect = reverse("integrations:connection-reconnect", args=[workspace.pk, connection.pk])
    assert f'action="{reconnect}"' in body
    assert issued["refresh_token"] not in body and issued["access_token"] not in body


def test_diagnostics_dashboard_lists_open_alerts_only(owner_client, workspace):
    connection = ConnectionFactory(workspace=workspace, name="Main CRM")
    alert_raise(connection=connection, kind="token_refresh_failed", message="Refresh refused.")
    resolved = Alert.objects.create(
        workspace=workspace,
        kind="token_refresh_failed",
        message="Long ago",
        resolved_at=timezone.now(),
    )
    other = ConnectionFactory(name="Elsewhere")
    alert_raise(connection=other, kind="token_refresh_failed", message="Not yours.")
    body = owner_client.get(reverse("diagnostics:dashboard", args=[workspace.pk])).content.decode()
    assert "Refresh refused." in body and "Main CRM" in body
    assert resolved.message not in body and "Not yours." not in body


@pytest.mark.parametrize("status", ["connected", "failing"])
def test_dashboard_without_alerts_says_so(owner_client, workspace, status):
    ConnectionFactory(workspace=workspace, status=status)
    body = owner_client.get(reverse("diagnostics:dashboard", args=[workspace.pk])).content.decode()
    assert "No open alerts." in body
