from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Workspace
from integrations.models import Connection, ConnectionAudit


def connections_for_workspace(*, workspace: Workspace) -> QuerySet[Connection]:
    """The workspace's connections, without the setup wizard's unfinished drafts."""
    return Connection.objects.finished().filter(workspace=workspace).order_by("name")


def connection_drafts_for_workspace(*, workspace: Workspace) -> QuerySet[Connection]:
    """Setups started in the wizard and not saved yet, newest first (to resume them)."""
    return Connection.objects.drafts().filter(workspace=workspace).order_by("-updated_at")


def connection_for_workspace(
    *, workspace: Workspace, connection_id: int, drafts: bool = True
) -> Connection:
    """The workspace's connection, or 404 (another tenant's id looks like no id at all);
    with `drafts=False` a wizard draft is a 404 too."""
    connections = Connection.objects.all() if drafts else Connection.objects.finished()
    return get_object_or_404(connections, pk=connection_id, workspace=workspace)


def flows_using_connection(*, connection: Connection) -> list:
    """The flows that read from or write to this connection (the sync app's flows, through
    their foreign keys' reverse names: integrations does not import sync)."""
    flows = [*connection.flows_out.all(), *connection.flows_in.all()]
    return sorted(set(flows), key=lambda flow: flow.name)


def connection_audits(*, connection: Connection, limit: int = 20) -> list[ConnectionAudit]:
    return list(connection.audits.select_related("actor")[:limit])
