"""Raising and resolving alerts. Callers pass their own rows (a Connection, a Workspace);
only their ids are used, so this module needs nothing of the apps that call it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from alerts.models import Alert

if TYPE_CHECKING:
    from accounts.models import Workspace
    from integrations.models import Connection


@transaction.atomic
def alert_raise(
    *,
    kind: str,
    message: str,
    connection: Connection | None = None,
    workspace: Workspace | None = None,
    subject: str = "",
) -> Alert:
    """One open alert per connection (or workspace), kind and subject: a repeat updates its
    message."""
    if connection is None and workspace is None:
        raise ValueError("An alert is about a connection or a workspace.")
    workspace_id = connection.workspace_id if connection is not None else workspace.pk
    open_alerts = Alert.objects.select_for_update().filter(
        workspace_id=workspace_id,
        connection_id=connection.pk if connection is not None else None,
        kind=kind,
        subject=subject,
        resolved_at=None,
    )
    alert = open_alerts.first()
    if alert is not None:
        alert.message = message
        alert.full_clean()
        alert.save(update_fields=["message"])
        return alert
    alert = Alert(
        workspace_id=workspace_id,
        connection_id=connection.pk if connection is not None else None,
        kind=kind,
        subject=subject,
        message=message,
    )
    alert.full_clean()
    alert.save()
    return alert


def alert_resolve(*, connection: Connection, kind: str | None = None) -> int:
    """Resolve the connection's open alerts (of one kind, or all); returns how many."""
    alerts = Alert.objects.filter(connection_id=connection.pk, resolved_at=None)
    if kind:
        alerts = alerts.filter(kind=kind)
    return alerts.update(resolved_at=timezone.now())


def alert_resolve_subjects(*, workspace_id: int, kind: str, subjects: list[str]) -> int:
    """Resolve a workspace's open alerts of one kind about these subjects; returns how many."""
    if not subjects:
        return 0
    alerts = Alert.objects.filter(
        workspace_id=workspace_id, kind=kind, subject__in=subjects, resolved_at=None
    )
    return alerts.update(resolved_at=timezone.now())
