from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.services import alert_raise
from diagnostics.models import WorkerHeartbeat
from diagnostics.tasks import worker_heartbeat_record
from tests.factories import ConnectionFactory


def _url(workspace):
    return reverse("diagnostics:dashboard", args=[workspace.pk])


def test_dashboard_owner_outsider_anonymous(client, owner, outsider, workspace):
    response = client.get(_url(workspace))
    assert response.status_code == 302 and reverse("account_login") in response.url
    client.force_login(outsider)
    assert client.get(_url(workspace)).status_code == 404
    client.force_login(owner)
    assert client.get(_url(workspace)).status_code == 200


def test_dashboard_says_when_no_worker_was_ever_seen(owner_client, workspace):
    assert "Never seen" in owner_client.get(_url(workspace)).content.decode()


def test_heartbeat_task_records_and_dashboard_reports_running(owner_client, workspace):
    worker_heartbeat_record("worker-1")
    worker_heartbeat_record("worker-1")
    assert WorkerHeartbeat.objects.get(hostname="worker-1").beats == 2
    assert "Running" in owner_client.get(_url(workspace)).content.decode()


def test_dashboard_flags_a_silent_worker(owner_client, workspace):
    WorkerHeartbeat.objects.create(
        hostname="old", last_seen_at=timezone.now() - timedelta(minutes=10), beats=5
    )
    assert "Not responding" in owner_client.get(_url(workspace)).content.decode()


def test_dashboard_counts_connections_with_a_fixed_number_of_queries(
    owner_client, workspace, django_assert_max_num_queries
):
    for connection in ConnectionFactory.create_batch(5, workspace=workspace):
        alert_raise(connection=connection, kind="token_refresh_failed", message="Refused.")
    owner_client.get(_url(workspace))  # the first visit also stores the current workspace
    # Five alerts, each naming its connection, still cost one query (no N+1); the rest are
    # the overview's fixed aggregates (tests/diagnostics/test_pages.py: one flow or ten).
    with django_assert_max_num_queries(14):
        body = owner_client.get(_url(workspace)).content.decode()
    assert body.count("Not tested yet") == 5 and body.count("Refused.") == 5


@pytest.mark.django_db
def test_health_is_public_and_checks_the_database(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
