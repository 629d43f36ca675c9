from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Workspace
from integrations.models import Connection


def connections_for_workspace(*, workspace: Workspace) -> QuerySet[Connection]:
    return Connection.objects.filter(workspace=workspace).order_by("name")


def connection_for_workspace(*, workspace: Workspace, connection_id: int) -> Connection:
    """The workspace's connection, or 404 (another tenant's id looks like no id at all)."""
    return get_object_or_404(Connection, pk=connection_id, workspace=workspace)
