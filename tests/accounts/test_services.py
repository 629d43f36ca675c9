import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Invitation, Membership, Role
from accounts.selectors import invitation_for_token
from accounts.services import (
    ALREADY_MEMBER_ERROR,
    INVITATION_INVALID_ERROR,
    INVITATION_OTHER_EMAIL_ERROR,
    LAST_OWNER_ERROR,
    invitation_accept,
    invitation_cancel,
    invitation_create,
    membership_change_role,
    membership_remove,
    workspace_create,
    workspace_rename,
)
from tests.factories import MembershipFactory, UserFactory


def test_workspace_create_makes_the_creator_owner(db):
    user = UserFactory()
    workspace = workspace_create(name="  Acme  ", owner=user)
    assert workspace.name == "Acme"
    assert Membership.objects.get(workspace=workspace, user=user).role == Role.OWNER


def test_workspace_create_refuses_an_empty_name(db):
    with pytest.raises(ValidationError):
        workspace_create(name="   ", owner=UserFactory())
    assert not Membership.objects.exists()


def test_workspace_rename(workspace):
    workspace_rename(workspace=workspace, name="New name")
    workspace.refresh_from_db()
    assert workspace.name == "New name"


def _invite(workspace, owner, email, role=Role.EDITOR, *, capture):
    with capture(execute=True):
        return invitation_create(workspace=workspace, email=email, role=role, invited_by=owner)


def _anonymised(message) -> tuple[str, str]:
    """An invitation e-mail with its address and link token taken out."""
    body = re.sub(r"/invitations/[\w-]+/", "/invitations/TOKEN/", message.body)
    return message.subject, body.replace(message.to[0], "ADDRESS")


def test_registered_and_unknown_addresses_get_the_same_invitation(
    workspace, owner, django_capture_on_commit_callbacks
):
    UserFactory(email="pat@example.com")
    known, _ = _invite(
        workspace, owner, "pat@example.com", capture=django_capture_on_commit_callbacks
    )
    unknown, _ = _invite(
        workspace, owner, "nobody@example.com", capture=django_capture_on_commit_callbacks
    )
    # Nobody joins before accepting, so the owner cannot tell the two apart.
    assert not Membership.objects.filter(user__email="pat@example.com").exists()
    assert (known.role, known.workspace) == (unknown.role, unknown.workspace)
    assert [m.to for m in mail.outbox] == [["pat@example.com"], ["nobody@example.com"]]
    assert _anonymised(mail.outbox[0]) == _anonymised(mail.outbox[1])


def test_invitation_create_is_case_insensitive_and_stores_only_a_hash(
    workspace, owner, django_capture_on_commit_callbacks
):
    invitation, token = _invite(
        workspace, owner, "  PAT@Example.com ", capture=django_capture_on_commit_callbacks
    )
    assert invitation.email == "pat@example.com"
    assert token not in invitation.token_hash and token in mail.outbox[0].body
    assert invitation_for_token(token=token) == invitation


def test_inviting_again_sends_a_new_link_and_retires_the_old_one(
    workspace, owner, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _, old = _invite(workspace, owner, "pat@example.com", Role.VIEWER, capture=capture)
    invitation, new = _invite(workspace, owner, "pat@example.com", Role.EDITOR, capture=capture)
    assert Invitation.objects.count() == 1 and invitation.role == Role.EDITOR
    assert invitation_for_token(token=old) is None
    assert invitation_for_token(token=new) == invitation


def test_invitation_create_refuses_existing_member(workspace, owner, editor):
    with pytest.raises(ValidationError) as error:
        invitation_create(
            workspace=workspace, email=editor.email.upper(), role=Role.VIEWER, invited_by=owner
        )
    assert error.value.message_dict == {"email": [ALREADY_MEMBER_ERROR]}


def test_invitation_create_refuses_unknown_role(workspace, owner):
    with pytest.raises(ValidationError):
        invitation_create(
            workspace=workspace, email="pat@example.com", role="admin", invited_by=owner
        )
    assert not Invitation.objects.exists()


def test_accepting_makes_the_invited_person_a_member(
    workspace, owner, django_capture_on_commit_callbacks
):
    pat = UserFactory(email="pat@example.com")
    _, token = _invite(
        workspace, owner, "Pat@example.com", capture=django_capture_on_commit_callbacks
    )
    membership = invitation_accept(invitation=invitation_for_token(token=token), user=pat)
    assert (membership.user, membership.workspace, membership.role) == (pat, workspace, Role.EDITOR)
    assert not Invitation.objects.exists()


def test_an_invitation_is_only_for_its_own_address(
    workspace, owner, django_capture_on_commit_callbacks
):
    _, token = _invite(
        workspace, owner, "pat@example.com", capture=django_capture_on_commit_callbacks
    )
    with pytest.raises(ValidationError) as error:
        invitation_accept(invitation=invitation_for_token(token=token), user=UserFactory())
    assert error.value.messages == [INVITATION_OTHER_EMAIL_ERROR]
    assert Invitation.objects.exists()


def test_expired_or_unknown_links_are_invalid(workspace, owner, django_capture_on_commit_callbacks):
    _, token = _invite(
        workspace, owner, "pat@example.com", capture=django_capture_on_commit_callbacks
    )
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert invitation_for_token(token=token) is None
    assert invitation_for_token(token="not-a-token") is None
    with pytest.raises(ValidationError) as error:
        invitation_accept(invitation=None, user=UserFactory(email="pat@example.com"))
    assert error.value.messages == [INVITATION_INVALID_ERROR]


def test_invitation_cancel(workspace, owner, django_capture_on_commit_callbacks):
    invitation, token = _invite(
        workspace, owner, "pat@example.com", capture=django_capture_on_commit_callbacks
    )
    invitation_cancel(invitation=invitation)
    assert invitation_for_token(token=token) is None


def test_last_owner_cannot_be_demoted_or_removed(workspace, owner):
    membership = Membership.objects.get(workspace=workspace, user=owner)
    with pytest.raises(ValidationError) as error:
        membership_change_role(membership=membership, role=Role.VIEWER)
    assert LAST_OWNER_ERROR in error.value.messages
    with pytest.raises(ValidationError):
        membership_remove(membership=membership)
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_an_owner_can_step_down_when_another_owner_exists(workspace, owner):
    MembershipFactory(workspace=workspace, role=Role.OWNER)
    membership = Membership.objects.get(workspace=workspace, user=owner)
    membership_change_role(membership=membership, role=Role.EDITOR)
    membership.refresh_from_db()
    assert membership.role == Role.EDITOR
