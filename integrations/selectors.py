from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Workspace
from integrations.models import Connection, ConnectionAudit


def connections_for_workspace(*, workspace: Workspace) -> QuerySet[Connection]:
    return Connection.objects.filter(workspace=workspace).order_by("name")


def connection_for_workspace(*, workspace: Workspace, connection_id: int) -> Connection:
    """The workspace's connection, or 404 (another tenant's id looks like no id at all)."""
    return get_object_or_404(Connection, pk=connection_id, workspace=workspace)


def flows_using_connection(*, connection: Connection) -> list:
    """The flows that read from or write to this connection (the sync app's flows, through
    their foreign keys' reverse names: integrations does not import sync)."""
    flows = [*connection.flows_out.all(), *connection.flows_in.all()]
    return sorted(set(flows), key=lambda flow: flow.name)


def connection_audits(*, connection: Connection, limit: int = 20) -> list[ConnectionAudit]:
    return list(connection.audits.select_related("actor")[:limit])
