from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Membership, User, Workspace


def workspaces_for_user(*, user: User) -> QuerySet[Workspace]:
    return Workspace.objects.filter(memberships__user=user).order_by("name", "pk")


def membership_for_user(*, user: User, workspace_id: int) -> Membership:
    """The user's membership of a workspace, or 404: outsiders must not learn it exists."""
    membership = (
        Membership.objects.select_related("workspace")
        .filter(user=user, workspace_id=workspace_id)
        .first()
    )
    if membership is None:
        raise Http404("No such workspace.")
    return membership


def memberships_of_workspace(*, workspace: Workspace) -> QuerySet[Membership]:
    return workspace.memberships.select_related("user").order_by("user__email")
