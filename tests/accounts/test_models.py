import pytest

from accounts.models import Membership, Role, User
from tests.factories import MembershipFactory


def test_user_manager_lowercases_email_and_requires_one(db):
    user = User.objects.create_user(email="Pat@Example.COM", password="x-long-password")
    assert user.email == "pat@example.com"
    assert user.check_password("x-long-password")
    with pytest.raises(ValueError):
        User.objects.create_user(email="", password="x")


def test_superuser_is_staff(db):
    admin = User.objects.create_superuser(email="root@example.com", password="pw-long-enough")
    assert admin.is_staff and admin.is_superuser


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        (Role.VIEWER, Role.VIEWER, True),
        (Role.VIEWER, Role.EDITOR, False),
        (Role.EDITOR, Role.EDITOR, True),
        (Role.EDITOR, Role.OWNER, False),
        (Role.OWNER, Role.EDITOR, True),
    ],
)
def test_membership_role_ranks(db, role, needed, allowed):
    assert MembershipFactory(role=role).has_role(needed) is allowed


def test_one_membership_per_user_and_workspace(workspace, owner):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(workspace=workspace, user=owner, role=Role.VIEWER)
