from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.access import CURRENT_WORKSPACE_SESSION_KEY, workspace_access
from accounts.forms import MemberAddForm, MemberRoleForm, WorkspaceForm
from accounts.models import Role
from accounts.selectors import (
    invitation_for_token,
    invitations_of_workspace,
    memberships_of_workspace,
    workspaces_for_user,
)
from accounts.services import (
    INVITATION_SENT_MESSAGE,
    invitation_accept,
    invitation_cancel,
    invitation_create,
    membership_change_role,
    membership_remove,
    workspace_create,
    workspace_rename,
)


def _add_errors(form, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@login_required
def home(request):
    """Send people to the workspace they used last (or their first one)."""
    workspaces = workspaces_for_user(user=request.user)
    current = workspaces.filter(pk=request.session.get(CURRENT_WORKSPACE_SESSION_KEY)).first()
    workspace = current or workspaces.first()
    if workspace is None:
        return redirect("accounts:workspace-new")
    return redirect("integrations:connection-list", workspace_id=workspace.pk)


@login_required
def workspace_new(request):
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = workspace_create(name=form.cleaned_data["name"], owner=request.user)
        messages.success(request, f"Workspace “{workspace.name}” created.")
        return redirect("accounts:workspace-detail", workspace_id=workspace.pk)
    return render(request, "accounts/workspace_new.html", {"form": form})


@login_required
def workspace_detail(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    workspace = membership.workspace
    rename_form = WorkspaceForm(instance=workspace)
    add_form = MemberAddForm()
    if request.method == "POST":
        workspace_access(request, workspace_id, Role.OWNER)
        if "rename" in request.POST:
            rename_form = WorkspaceForm(request.POST, instance=workspace)
            if rename_form.is_valid():
                workspace_rename(workspace=workspace, name=rename_form.cleaned_data["name"])
                messages.success(request, "Workspace renamed.")
                return redirect("accounts:workspace-detail", workspace_id=workspace.pk)
        else:
            add_form = MemberAddForm(request.POST)
            if add_form.is_valid():
                try:
                    invitation, _ = invitation_create(
                        workspace=workspace, invited_by=request.user, **add_form.cleaned_data
                    )
                except ValidationError as error:
                    _add_errors(add_form, error)
                else:
                    role = invitation.get_role_display().lower()
                    messages.success(
                        request, INVITATION_SENT_MESSAGE.format(email=invitation.email, role=role)
                    )
                    return redirect("accounts:workspace-detail", workspace_id=workspace.pk)
    context = {
        "workspace": workspace,
        "memberships": memberships_of_workspace(workspace=workspace),
        "invitations": invitations_of_workspace(workspace=workspace),
        "is_owner": membership.has_role(Role.OWNER),
        "rename_form": rename_form,
        "add_form": add_form,
        "roles": Role.choices,
    }
    return render(request, "accounts/workspace_detail.html", context)


@login_required
@require_POST
def member_role(request, workspace_id, membership_id):
    owner = workspace_access(request, workspace_id, Role.OWNER)
    target = get_object_or_404(owner.workspace.memberships, pk=membership_id)
    form = MemberRoleForm(request.POST)
    if form.is_valid():
        try:
            membership_change_role(membership=target, role=form.cleaned_data["role"])
            messages.success(request, f"{target.user.email} is now {target.get_role_display()}.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, "Choose owner, editor or viewer.")
    return redirect("accounts:workspace-detail", workspace_id=workspace_id)


@login_required
@require_POST
def member_remove(request, workspace_id, membership_id):
    owner = workspace_access(request, workspace_id, Role.OWNER)
    target = get_object_or_404(owner.workspace.memberships, pk=membership_id)
    try:
        membership_remove(membership=target)
        messages.success(request, f"{target.user.email} removed from the workspace.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("accounts:workspace-detail", workspace_id=workspace_id)


@login_required
@require_POST
def invite_cancel(request, workspace_id, invitation_id):
    owner = workspace_access(request, workspace_id, Role.OWNER)
    invitation = get_object_or_404(owner.workspace.invitations, pk=invitation_id)
    invitation_cancel(invitation=invitation)
    messages.success(request, f"Invitation to {invitation.email} cancelled.")
    return redirect("accounts:workspace-detail", workspace_id=workspace_id)


@login_required
def invitation_detail(request, token):
    """Where an invitation e-mail's link lands: accept it, signed in with the invited address."""
    invitation = invitation_for_token(token=token)
    if request.method == "POST":
        try:
            membership = invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"You joined “{membership.workspace.name}”.")
            return redirect("integrations:connection-list", workspace_id=membership.workspace_id)
    context = {"invitation": invitation}
    status = 200 if invitation else 404
    return render(request, "accounts/invitation_detail.html", context, status=status)
