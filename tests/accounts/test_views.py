import pytest
from django.urls import reverse

from accounts.models import Membership, Role
from tests.factories import MembershipFactory, UserFactory


def _detail(workspace):
    return reverse("accounts:workspace-detail", args=[workspace.pk])


def test_home_sends_anonymous_people_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_home_sends_members_to_their_connections(owner_client, workspace):
    response = owner_client.get("/")
    assert response.url == reverse("integrations:connection-list", args=[workspace.pk])


def test_home_without_a_workspace_offers_to_create_one(client, db):
    client.force_login(UserFactory())
    assert client.get("/").url == reverse("accounts:workspace-new")


def test_workspace_new_creates_and_makes_owner(client, db):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("accounts:workspace-new"), {"name": "Second"})
    membership = Membership.objects.get(user=user, workspace__name="Second")
    assert membership.role == Role.OWNER
    assert response.url == _detail(membership.workspace)


def test_workspace_new_requires_login(client, db):
    assert client.get(reverse("accounts:workspace-new")).status_code == 302


def test_workspace_detail_as_owner_lists_members(owner_client, workspace, owner, viewer):
    response = owner_client.get(_detail(workspace))
    assert response.status_code == 200
    assert owner.email in response.content.decode() and viewer.email in response.content.decode()
    assert response.context["is_owner"] is True


def test_workspace_detail_as_outsider_is_404(outsider_client, workspace):
    assert outsider_client.get(_detail(workspace)).status_code == 404


def test_workspace_detail_anonymous_redirects_to_login(client, workspace):
    response = client.get(_detail(workspace))
    assert response.status_code == 302 and reverse("account_login") in response.url


def test_owner_adds_a_member(owner_client, workspace):
    pat = UserFactory(email="pat@example.com")
    response = owner_client.post(_detail(workspace), {"email": "pat@example.com", "role": "editor"})
    assert response.status_code == 302
    assert Membership.objects.get(workspace=workspace, user=pat).role == Role.EDITOR


def test_adding_an_unknown_email_says_what_to_fix(owner_client, workspace):
    response = owner_client.post(
        _detail(workspace), {"email": "nobody@example.com", "role": "editor"}
    )
    assert response.status_code == 200
    assert "No one has signed up with that e-mail address yet." in response.content.decode()


def test_owner_renames(owner_client, workspace):
    owner_client.post(_detail(workspace), {"rename": "1", "name": "Renamed"})
    workspace.refresh_from_db()
    assert workspace.name == "Renamed"


@pytest.mark.parametrize("role_fixture", ["editor_client", "viewer_client"])
def test_non_owners_cannot_change_the_workspace(request, workspace, role_fixture):
    client = request.getfixturevalue(role_fixture)
    response = client.post(_detail(workspace), {"rename": "1", "name": "Hijacked"})
    assert response.status_code == 403
    workspace.refresh_from_db()
    assert workspace.name != "Hijacked"


def test_owner_changes_a_role(owner_client, workspace, viewer):
    membership = Membership.objects.get(user=viewer)
    url = reverse("accounts:member-role", args=[workspace.pk, membership.pk])
    owner_client.post(url, {"role": "editor"})
    membership.refresh_from_db()
    assert membership.role == Role.EDITOR


def test_owner_cannot_demote_the_last_owner(owner_client, workspace, owner):
    membership = Membership.objects.get(user=owner)
    url = reverse("accounts:member-role", args=[workspace.pk, membership.pk])
    response = owner_client.post(url, {"role": "viewer"}, follow=True)
    assert "at least one owner" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_owner_removes_a_member(owner_client, workspace, viewer):
    membership = Membership.objects.get(user=viewer)
    owner_client.post(reverse("accounts:member-remove", args=[workspace.pk, membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_member_urls_cannot_reach_another_workspaces_membership(owner_client, workspace):
    foreign = MembershipFactory(role=Role.VIEWER)
    url = reverse("accounts:member-remove", args=[workspace.pk, foreign.pk])
    assert owner_client.post(url).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize("name", ["accounts:member-role", "accounts:member-remove"])
def test_member_actions_outsider_and_anonymous(client, outsider, workspace, viewer, name):
    membership = Membership.objects.get(user=viewer)
    url = reverse(name, args=[workspace.pk, membership.pk])
    response = client.post(url, {"role": "owner"})
    assert response.status_code == 302 and reverse("account_login") in response.url
    client.force_login(outsider)
    assert client.post(url, {"role": "owner"}).status_code == 404
    membership.refresh_from_db()
    assert membership.role == Role.VIEWER
