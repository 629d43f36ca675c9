"""accounts.access.workspace_access: what each role is told when a page needs more."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory

from accounts.access import VIEWER_CANNOT_CHANGE, workspace_access
from accounts.models import Role
from tests.factories import MembershipFactory


@pytest.mark.parametrize(
    ("role", "message"),
    [(Role.VIEWER, VIEWER_CANNOT_CHANGE), (Role.EDITOR, "Only owners can do that.")],
)
def test_a_page_for_owners_tells_each_role_why_not(workspace, role, message):
    member = MembershipFactory(workspace=workspace, role=role)
    request = RequestFactory().post("/")
    request.user, request.session = member.user, SessionStore()
    with pytest.raises(PermissionDenied) as refused:
        workspace_access(request, workspace.pk, Role.OWNER)
    assert str(refused.value) == message
    assert request.session.get("current_workspace_id") is None  # not remembered either
