from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Membership, Role, User, Workspace

LAST_OWNER_ERROR = "A workspace needs at least one owner: make someone else owner first."
NO_SUCH_USER_ERROR = "No one has signed up with that e-mail address yet."
ALREADY_MEMBER_ERROR = "That person is already a member of this workspace."


@transaction.atomic
def workspace_create(*, name: str, owner: User) -> Workspace:
    workspace = Workspace(name=name.strip())
    workspace.full_clean()
    workspace.save()
    Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    return workspace


@transaction.atomic
def workspace_rename(*, workspace: Workspace, name: str) -> Workspace:
    workspace.name = name.strip()
    workspace.full_clean()
    workspace.save(update_fields=["name"])
    return workspace


@transaction.atomic
def membership_add(*, workspace: Workspace, email: str, role: str) -> Membership:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise ValidationError({"email": NO_SUCH_USER_ERROR})
    if Membership.objects.filter(workspace=workspace, user=user).exists():
        raise ValidationError({"email": ALREADY_MEMBER_ERROR})
    membership = Membership(workspace=workspace, user=user, role=role)
    membership.full_clean()
    membership.save()
    return membership


def _owners_left_without(membership: Membership) -> int:
    return (
        Membership.objects.select_for_update()
        .filter(workspace=membership.workspace, role=Role.OWNER)
        .exclude(pk=membership.pk)
        .count()
    )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str) -> Membership:
    if (
        membership.role == Role.OWNER
        and role != Role.OWNER
        and not _owners_left_without(membership)
    ):
        raise ValidationError({"role": LAST_OWNER_ERROR})
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    if membership.role == Role.OWNER and not _owners_left_without(membership):
        raise ValidationError({"role": LAST_OWNER_ERROR})
    membership.delete()
