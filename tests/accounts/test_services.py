import pytest
from django.core.exceptions import ValidationError

from accounts.models import Membership, Role
from accounts.services import (
    ALREADY_MEMBER_ERROR,
    LAST_OWNER_ERROR,
    NO_SUCH_USER_ERROR,
    membership_add,
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


def test_membership_add_by_email_is_case_insensitive(workspace):
    person = UserFactory(email="pat@example.com")
    membership = membership_add(workspace=workspace, email="PAT@example.com", role=Role.EDITOR)
    assert membership.user == person and membership.role == Role.EDITOR


def test_membership_add_refuses_unknown_email(workspace):
    with pytest.raises(ValidationError) as error:
        membership_add(workspace=workspace, email="nobody@example.com", role=Role.VIEWER)
    assert error.value.message_dict == {"email": [NO_SUCH_USER_ERROR]}


def test_membership_add_refuses_existing_member(workspace, editor):
    with pytest.raises(ValidationError) as error:
        membership_add(workspace=workspace, email=editor.email, role=Role.VIEWER)
    assert error.value.message_dict == {"email": [ALREADY_MEMBER_ERROR]}


def test_membership_add_refuses_unknown_role(workspace):
    UserFactory(email="pat@example.com")
    with pytest.raises(ValidationError):
        membership_add(workspace=workspace, email="pat@example.com", role="admin")


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
