import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    INVITATION_MAX_AGE,
    Invitation,
    Membership,
    Role,
    User,
    Workspace,
    invitation_token_hash,
)

LAST_OWNER_ERROR = "A workspace needs at least one owner: make someone else owner first."
ALREADY_MEMBER_ERROR = "That person is already a member of this workspace."
# The same words whether or not the address has an account: see Invitation.
INVITATION_SENT_MESSAGE = (
    "Invitation sent to {email}. They join as {role} once they accept it, signed in (or signed "
    "up) with that address."
)
INVITATION_INVALID_ERROR = (
    "This invitation link is no longer valid. Ask the workspace owner to invite you again."
)
INVITATION_OTHER_EMAIL_ERROR = (
    "This invitation was sent to another e-mail address. Sign in with that address to accept it."
)


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
def invitation_create(
    *, workspace: Workspace, email: str, role: str, invited_by: User
) -> tuple[Invitation, str]:
    """Invite an address (again: a new link replaces the old one); returns the link's token.

    Registered or not, the address gets the same e-mail and the owner sees the same pending
    invitation, so adding members cannot be used to find out who has an account.
    """
    email = email.strip().lower()
    if Membership.objects.filter(workspace=workspace, user__email__iexact=email).exists():
        raise ValidationError({"email": ALREADY_MEMBER_ERROR})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.filter(workspace=workspace, email=email).first()
    invitation = invitation or Invitation(workspace=workspace, email=email)
    invitation.role = role
    invitation.invited_by = invited_by
    invitation.token_hash = invitation_token_hash(token)
    invitation.sent_at = timezone.now()
    invitation.full_clean()
    invitation.save()
    transaction.on_commit(lambda: _invitation_send(invitation=invitation, token=token))
    return invitation, token


def _invitation_send(*, invitation: Invitation, token: str) -> None:
    url = settings.SITE_URL + reverse("accounts:invitation-accept", args=[token])
    inviter = invitation.invited_by.email if invitation.invited_by else "A ContactBridge user"
    send_mail(
        f"Invitation to the ContactBridge workspace “{invitation.workspace.name}”",
        f"{inviter} invites you to the ContactBridge workspace “{invitation.workspace.name}” "
        f"as {invitation.get_role_display().lower()}.\n\n"
        f"To accept, open {url}\n"
        f"and sign in with this address ({invitation.email}); if you have no account with it "
        "yet, sign up with it first.\n\n"
        f"The link works for {INVITATION_MAX_AGE.days} days. If you did not expect this "
        "invitation, ignore this e-mail.",
        None,
        [invitation.email],
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation | None, user: User) -> Membership:
    """Make `user` a member as invited; the invitation must be theirs (same address)."""
    if invitation is None:
        raise ValidationError(INVITATION_INVALID_ERROR)
    if user.email.lower() != invitation.email:
        raise ValidationError(INVITATION_OTHER_EMAIL_ERROR)
    membership, _ = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.delete()
    return membership


@transaction.atomic
def invitation_cancel(*, invitation: Invitation) -> None:
    invitation.delete()


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
