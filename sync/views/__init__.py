"""The flow pages: thin views over sync.services, sync.runner and the catalogue.

flows.py: list, new, detail, edit, delete and the POST buttons (run, go live, pause, replay);
runs.py: one run, with its progress polled while it runs; catalogue.py: the catalogue.
"""

from django.http import Http404

from accounts.access import workspace_access
from accounts.models import Role
from sync.models import Flow, Run
from sync.selectors import flow_for_workspace, run_for_flow


def flow_for_user(request, workspace_id: int, flow_id: int, role: str = Role.VIEWER) -> Flow:
    """The flow, through the user's membership (outsider 404, role too low 403)."""
    membership = workspace_access(request, workspace_id, role)
    try:
        return flow_for_workspace(workspace_id=membership.workspace_id, flow_id=flow_id)
    except Flow.DoesNotExist:
        raise Http404("No such flow in this workspace.") from None


def run_for_user(request, workspace_id: int, flow_id: int, run_id: int) -> Run:
    flow = flow_for_user(request, workspace_id, flow_id)
    try:
        run = run_for_flow(flow=flow, run_id=run_id)
    except Run.DoesNotExist:
        raise Http404("No such run of this flow.") from None
    run.flow = flow  # already fetched, with its connections and mapping
    return run


def can_edit(request) -> bool:
    return request.membership.has_role(Role.EDITOR)
