from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import (
    INVITATION_MAX_AGE,
    Invitation,
    Membership,
    User,
    Workspace,
    invitation_token_hash,
)


def workspaces_for_user(*, user: User) -> QuerySet[Workspace]:
    return Workspace.objects.filter(memberships__user=user).order_by("name", "pk")


# Past the largest 64-bit id no workspace exists, and SQLite cannot even compare such a number
# with a foreign key (OverflowError): /w/9223372036854775808/ is simply not found.
MAX_ID = 2**63 - 1


def membership_for_user(*, user: User, workspace_id: int) -> Membership:
    """The user's membership of a workspace, or 404: outsiders must not learn it exists."""
    if not 0 < workspace_id <= MAX_ID:
        raise Http404("No such workspace.")
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


def invitations_of_workspace(*, workspace: Workspace) -> QuerySet[Invitation]:
    return workspace.invitations.order_by("email")


def invitation_for_token(*, token: str) -> Invitation | None:
    """The invitation a link's token belongs to, unless it has expired."""
    return (
        Invitation.objects.select_related("workspace")
        .filter(
            token_hash=invitation_token_hash(token),
            sent_at__gte=timezone.now() - INVITATION_MAX_AGE,
        )
        .first()
    )
