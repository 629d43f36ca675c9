import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from accounts.models import Invitation, Membership, Role
from accounts.services import invitation_create
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


def _anonymised(html: str, email: str) -> str:
    html = re.sub(r"/invitations/\d+/", "/invitations/N/", html.replace(email, "ADDRESS"))
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "CSRF", html)


def _invite(client, workspace, email, capture):
    with capture(execute=True):
        return client.post(_detail(workspace), {"email": email, "role": "editor"})


def test_adding_a_member_answers_the_same_for_registered_and_unknown_addresses(
    owner_client, workspace, django_capture_on_commit_callbacks
):
    UserFactory(email="pat@example.com")
    answers = []
    for email in ["pat@example.com", "nobody@example.com"]:
        response = _invite(owner_client, workspace, email, django_capture_on_commit_callbacks)
        [message] = [str(m) for m in get_messages(response.wsgi_request)]
        page = owner_client.get(_detail(workspace)).content.decode()
        [row] = re.findall(rf"<tr>\s*<td>{re.escape(email)}</td>.*?</tr>", page, re.S)
        answers.append(
            (
                response.status_code,
                response.url,
                message.replace(email, "ADDRESS"),
                _anonymised(row, email),
            )
        )
    assert answers[0] == answers[1]
    assert "Invitation sent to ADDRESS" in answers[0][2]
    assert "invited, not yet accepted" in answers[0][3]
    assert not Membership.objects.filter(workspace=workspace, user__email="pat@example.com")
    assert [m.to for m in mail.outbox] == [["pat@example.com"], ["nobody@example.com"]]


def test_adding_an_existing_member_says_so(owner_client, workspace, editor):
    response = owner_client.post(_detail(workspace), {"email": editor.email, "role": "viewer"})
    assert response.status_code == 200
    assert "already a member" in response.content.decode()


def _invitation(workspace, owner, email="pat@example.com", role=Role.EDITOR):
    invitation, token = invitation_create(
        workspace=workspace, email=email, role=role, invited_by=owner
    )
    return invitation, reverse("accounts:invitation-accept", args=[token])


def test_the_invitation_link_lets_the_invited_person_join(client, workspace, owner):
    pat = UserFactory(email="pat@example.com")
    _, url = _invitation(workspace, owner)
    client.force_login(pat)
    page = client.get(url)
    assert page.status_code == 200 and workspace.name in page.content.decode()
    response = client.post(url)
    assert response.url == reverse("integrations:connection-list", args=[workspace.pk])
    assert Membership.objects.get(workspace=workspace, user=pat).role == Role.EDITOR
    assert client.get(url).status_code == 404  # used up


def test_the_invitation_link_refuses_someone_else(client, workspace, owner):
    _, url = _invitation(workspace, owner)
    stranger = UserFactory()
    client.force_login(stranger)
    response = client.post(url, follow=True)
    assert "sent to another e-mail address" in response.content.decode()
    assert not Membership.objects.filter(workspace=workspace, user=stranger).exists()


def test_an_unknown_invitation_link_is_404(client, db):
    client.force_login(UserFactory())
    url = reverse("accounts:invitation-accept", args=["made-up"])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404


def test_the_invitation_link_asks_anonymous_people_to_sign_in(client, workspace, owner):
    _, url = _invitation(workspace, owner)
    response = client.get(url)
    assert response.status_code == 302 and reverse("account_login") in response.url


def test_owner_cancels_an_invitation(owner_client, workspace, owner):
    invitation, url = _invitation(workspace, owner)
    owner_client.post(reverse("accounts:invitation-cancel", args=[workspace.pk, invitation.pk]))
    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    assert owner_client.get(url).status_code == 404


def test_invitations_are_cancelled_by_owners_only(client, workspace, owner, viewer, outsider):
    invitation, _ = _invitation(workspace, owner)
    url = reverse("accounts:invitation-cancel", args=[workspace.pk, invitation.pk])
    response = client.post(url)
    assert response.status_code == 302 and reverse("account_login") in response.url
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    client.force_login(viewer)
    assert client.post(url).status_code == 403
    assert Invitation.objects.filter(pk=invitation.pk).exists()


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
