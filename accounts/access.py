"""The one place views ask "may this user see / change this workspace?"."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from accounts.models import Membership, Role
from accounts.selectors import membership_for_user

CURRENT_WORKSPACE_SESSION_KEY = "current_workspace_id"
VIEWER_CANNOT_CHANGE = (
    "Your role in this workspace is viewer: you can look but not change anything."
)


def workspace_access(
    request: HttpRequest, workspace_id: int, role: str = Role.VIEWER
) -> Membership:
    """Return the signed-in user's membership or raise 404 (outsider) / 403 (role too low).

    Also remembers the workspace as the user's current one, for the navigation.
    """
    membership = membership_for_user(user=request.user, workspace_id=workspace_id)
    if not membership.has_role(role):
        raise PermissionDenied(
            VIEWER_CANNOT_CHANGE if membership.role == Role.VIEWER else "Only owners can do that."
        )
    if request.session.get(CURRENT_WORKSPACE_SESSION_KEY) != membership.workspace_id:
        request.session[CURRENT_WORKSPACE_SESSION_KEY] = membership.workspace_id
    request.membership = membership
    return membership
