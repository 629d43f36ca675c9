from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from alerts.models import Alert

if TYPE_CHECKING:
    from accounts.models import Workspace
    from integrations.models import Connection


def open_alerts(*, workspace: Workspace, connection: Connection | None = None) -> QuerySet[Alert]:
    """A workspace's unresolved alerts (or one connection's), newest first, each with its
    connection in the same query."""
    alerts = Alert.objects.filter(workspace=workspace, resolved_at=None).select_related(
        "connection"
    )
    if connection is not None:
        alerts = alerts.filter(connection=connection)
    return alerts.order_by("-created_at", "-pk")
