from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import workspace_access
from accounts.models import Role
from integrations.forms import ConnectionForm, ProviderChoiceForm
from integrations.providers import UnknownProvider, all_providers, get_provider
from integrations.selectors import connection_for_workspace, connections_for_workspace
from integrations.services import (
    connection_create,
    connection_delete,
    connection_set_disabled,
    connection_update,
)


def _add_errors(form, error: ValidationError) -> None:
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


@login_required
def connection_list(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    context = {
        "connections": connections_for_workspace(workspace=membership.workspace),
        "can_edit": membership.has_role(Role.EDITOR),
    }
    return render(request, "integrations/connection_list.html", context)


@login_required
def connection_new(request, workspace_id):
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    try:
        provider = get_provider(request.GET.get("provider", ""))
    except UnknownProvider:
        context = {"form": ProviderChoiceForm(), "providers": all_providers()}
        return render(request, "integrations/connection_provider.html", context)
    form = ConnectionForm(request.POST or None, provider=provider)
    if request.method == "POST" and form.is_valid():
        try:
            connection = connection_create(
                workspace=membership.workspace,
                provider=provider.key,
                name=form.cleaned_data["name"],
                settings=form.settings_data(),
                credentials=form.credentials_data(),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Connection “{connection.name}” saved.")
            return redirect(
                "integrations:connection-detail",
                workspace_id=workspace_id,
                connection_id=connection.pk,
            )
    return render(
        request, "integrations/connection_form.html", {"form": form, "provider": provider}
    )


@login_required
def connection_detail(request, workspace_id, connection_id):
    membership = workspace_access(request, workspace_id)
    connection = connection_for_workspace(
        workspace=membership.workspace, connection_id=connection_id
    )
    context = {"connection": connection, "can_edit": membership.has_role(Role.EDITOR)}
    return render(request, "integrations/connection_detail.html", context)


@login_required
def connection_edit(request, workspace_id, connection_id):
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    connection = connection_for_workspace(
        workspace=membership.workspace, connection_id=connection_id
    )
    provider = connection.provider_info
    form = ConnectionForm(request.POST or None, provider=provider, connection=connection)
    if request.method == "POST" and form.is_valid():
        try:
            connection_update(
                connection=connection,
                name=form.cleaned_data["name"],
                settings=form.settings_data(),
                credentials=form.credentials_data(),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Connection updated.")
            return redirect(
                "integrations:connection-detail",
                workspace_id=workspace_id,
                connection_id=connection_id,
            )
    context = {"form": form, "provider": provider, "connection": connection}
    return render(request, "integrations/connection_form.html", context)


@login_required
@require_POST
def connection_toggle(request, workspace_id, connection_id):
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    connection = connection_for_workspace(
        workspace=membership.workspace, connection_id=connection_id
    )
    disable = connection.status != connection.Status.DISABLED
    connection_set_disabled(connection=connection, disabled=disable)
    messages.success(request, f"Connection {'disabled' if disable else 'enabled'}.")
    return redirect(
        "integrations:connection-detail", workspace_id=workspace_id, connection_id=connection_id
    )


@login_required
def connection_delete_confirm(request, workspace_id, connection_id):
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    connection = connection_for_workspace(
        workspace=membership.workspace, connection_id=connection_id
    )
    if request.method == "POST":
        name = connection.name
        connection_delete(connection=connection)
        messages.success(request, f"Connection “{name}” deleted.")
        return redirect("integrations:connection-list", workspace_id=workspace_id)
    return render(request, "integrations/connection_delete.html", {"connection": connection})


@login_required
def flow_list(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    context = {"connections": connections_for_workspace(workspace=membership.workspace)}
    return render(request, "integrations/flow_list.html", context)
