from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from accounts.access import workspace_access
from accounts.models import Role
from alerts.selectors import open_alerts
from integrations import access_levels, explorer, oauth_flow, sandbox_values, scopes, token_health
from integrations.calls import CAPTURE_SETTING, body_capture_on
from integrations.connection_check import connection_check
from integrations.explorer import grouped, operation, operations_for
from integrations.forms import ConnectionForm, ExplorerForm
from integrations.providers.registry import get_provider
from integrations.selectors import (
    connection_audits,
    connection_drafts_for_workspace,
    connection_for_workspace,
    connections_for_workspace,
    flows_using_connection,
)
from integrations.services import (
    connection_body_capture,
    connection_delete,
    connection_set_disabled,
)
from integrations.wizard import connection_form_save, redirect_browser, setup_url, test_outcome


def _connection(request, workspace_id, connection_id, role=Role.VIEWER, *, drafts=False):
    """The connection, checked for access; a wizard draft only where `drafts` says so (it is
    no connection yet: elsewhere it is a 404, like an id that does not exist)."""
    membership = workspace_access(request, workspace_id, role)
    connection = connection_for_workspace(
        workspace=membership.workspace, connection_id=connection_id, drafts=drafts
    )
    return membership, connection


def _detail_url(connection) -> str:
    return reverse("integrations:connection-detail", args=[connection.workspace_id, connection.pk])


@login_required
def connection_list(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    context = {
        "connections": connections_for_workspace(workspace=membership.workspace),
        # Unfinished wizard setups, for a "Draft — finish setup" row (lazy: no query unless
        # the template shows them).
        "drafts": connection_drafts_for_workspace(workspace=membership.workspace),
        "can_edit": membership.has_role(Role.EDITOR),
    }
    return render(request, "integrations/connection_list.html", context)


@login_required
def connection_detail(request, workspace_id, connection_id):
    membership, connection = _connection(request, workspace_id, connection_id, drafts=True)
    if connection.is_draft:  # not a connection yet: its setup continues where it stopped
        return redirect("integrations:connection-setup", workspace_id, connection.pk)
    provider = get_provider(connection.provider)
    can_edit = membership.has_role(Role.EDITOR)
    is_sandbox = can_edit and sandbox_values.is_sandbox_connection(connection)
    if is_sandbox and request.GET.get("show") == "sandbox-credentials":
        return _sandbox_credentials(request, connection, provider)
    context = {
        "connection": connection,
        "provider": provider,
        "can_edit": can_edit,
        "is_sandbox": is_sandbox,
        "access": access_levels.level(provider, access_levels.connection_level(connection)),
        "token": token_health.token_health(connection),
        "alerts": open_alerts(workspace=membership.workspace, connection=connection),
        # Features its granted scopes fall short of, each with "Reconnect with this scope".
        "scope_notices": scopes.notices(connection),
        "flows": flows_using_connection(connection=connection),
        "audits": connection_audits(connection=connection),
        "is_oauth": oauth_flow.is_oauth_connection(connection),
        "has_explorer": bool(operations_for(connection.provider)),
        "setting_rows": [
            (spec.label, connection.settings.get(spec.key)) for spec in provider.setting_fields
        ],
        "capture_until": (
            connection.settings.get(CAPTURE_SETTING) if body_capture_on(connection) else None
        ),
    }
    return render(request, "integrations/connection_detail.html", context)


def _sandbox_credentials(request, connection, provider):
    """The values the local sandbox issued (test values, fetched from it now; never the
    connection's stored credentials), for typing them into another tool or form."""
    try:
        rows, error = sandbox_values.issued_values(provider), ""
    except sandbox_values.SandboxUnavailable as unavailable:
        rows, error = [], str(unavailable)
    context = {"connection": connection, "provider": provider, "rows": rows, "error": error}
    template = "_sandbox_credentials.html" if request.htmx else "sandbox_credentials.html"
    response = render(request, f"integrations/{template}", context)
    add_never_cache_headers(response)
    return response


@login_required
def connection_edit(request, workspace_id, connection_id):
    _membership, connection = _connection(
        request, workspace_id, connection_id, Role.EDITOR, drafts=True
    )
    if connection.is_draft:
        return redirect(setup_url(workspace_id, connection.pk, "credentials"))
    provider = get_provider(connection.provider)
    is_oauth = oauth_flow.is_oauth_connection(connection)
    form = ConnectionForm(
        request.POST or None, provider=provider, connection=connection, oauth=is_oauth
    )
    saving = request.method == "POST" and form.is_valid()
    if saving and connection_form_save(form, connection, is_oauth=is_oauth, actor=request.user):
        messages.success(request, "Connection updated.")
        return redirect(_detail_url(connection))
    context = {"form": form, "provider": provider, "connection": connection, "is_oauth": is_oauth}
    return render(request, "integrations/connection_form.html", context)


@login_required
@require_POST
def connection_test(request, workspace_id, connection_id):
    _, connection = _connection(request, workspace_id, connection_id, Role.EDITOR, drafts=True)
    result = connection_check(connection=connection)
    in_wizard = request.POST.get("wizard") == "1"
    if not request.htmx:
        if in_wizard or connection.is_draft:  # the wizard's test step shows the outcome
            return redirect(setup_url(workspace_id, connection.pk, "test"))
        if result.ok:
            messages.success(
                request, f"Connected to {result.account_name} ({result.latency_ms} ms)."
            )
        else:
            messages.error(request, f"{result.failure_label}: {result.message}")
        return redirect(_detail_url(connection))
    context = {"connection": connection, "result": result, "can_edit": True}
    if in_wizard:  # the wizard's panel: this outcome and the next step it calls for
        context["outcome"] = test_outcome(connection, result)
        return render(request, "integrations/_wizard_test_panel.html", context)
    return render(request, "integrations/_test_result.html", context)


@login_required
@require_POST
def connection_toggle(request, workspace_id, connection_id):
    _, connection = _connection(request, workspace_id, connection_id, Role.EDITOR)
    disable = connection.status != connection.Status.DISABLED
    connection_set_disabled(connection=connection, disabled=disable, actor=request.user)
    messages.success(request, f"Connection {'disabled' if disable else 'enabled'}.")
    return redirect(_detail_url(connection))


@login_required
@require_POST
def connection_capture(request, workspace_id, connection_id):
    """Debug capture of request and response bodies: on for an hour, or off now."""
    _, connection = _connection(request, workspace_id, connection_id, Role.EDITOR)
    minutes = 60 if request.POST.get("capture") == "on" else 0
    connection_body_capture(connection=connection, minutes=minutes, actor=request.user)
    if minutes:
        messages.success(
            request,
            "Bodies of this connection's requests and answers are kept with the API call log "
            "for the next hour (secrets redacted), then capture stops by itself.",
        )
    else:
        messages.success(request, "Body capture is off.")
    return redirect(_detail_url(connection))


@login_required
@require_POST
def connection_reconnect(request, workspace_id, connection_id):
    """OAuth connections go back through the provider's consent screen and keep their id (and
    so their flows); connections with typed credentials get the form to enter new ones."""
    membership, connection = _connection(
        request, workspace_id, connection_id, Role.EDITOR, drafts=True
    )
    provider = get_provider(connection.provider)
    if not (oauth_flow.supports_oauth(provider) and oauth_flow.is_oauth_connection(connection)):
        messages.info(request, "Enter the new credentials, save, then test the connection.")
        return redirect("integrations:connection-edit", workspace_id, connection.pk)
    level = access_levels.level(provider, access_levels.connection_level(connection))
    url = oauth_flow.flow_start(
        request,
        provider=provider,
        workspace_id=membership.workspace_id,
        app=oauth_flow.app_from_connection(connection),
        scopes=list(level.scopes),
        name=connection.name,
        access=level.value,
        connection_id=connection.pk,
    )
    return redirect_browser(request, url)


@login_required
def connection_delete_confirm(request, workspace_id, connection_id):
    _, connection = _connection(request, workspace_id, connection_id, Role.EDITOR, drafts=True)
    if request.method == "POST":
        name, was_draft = connection.name, connection.is_draft
        try:
            connection_delete(connection=connection, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(_detail_url(connection))
        if was_draft:  # discarded from the wizard: back to it
            messages.success(request, f"Draft “{name}” discarded.")
            return redirect("integrations:connection-new", workspace_id=workspace_id)
        messages.success(request, f"Connection “{name}” deleted.")
        return redirect("integrations:connection-list", workspace_id=workspace_id)
    context = {"connection": connection, "flows": flows_using_connection(connection=connection)}
    return render(request, "integrations/connection_delete.html", context)


def _explorer_context(request, membership, connection, op, form, exchange=None) -> dict:
    return {
        "connection": connection,
        "provider": get_provider(connection.provider),
        "groups": grouped(connection.provider),
        "op": op,
        "form": form,
        "exchange": exchange,
        "write_refusal": explorer.write_refusal(op, connection) if op else "",
        "can_send": membership.has_role(Role.EDITOR),
        "access": access_levels.connection_level(connection),
        "explorer_url": reverse(
            "integrations:connection-explorer", args=[connection.workspace_id, connection.pk]
        ),
    }


@login_required
def connection_explorer(request, workspace_id, connection_id):
    membership, connection = _connection(request, workspace_id, connection_id)
    operations = operations_for(connection.provider)
    op = operation(connection.provider, request.GET.get("op", "")) or (
        operations[0] if operations else None
    )
    form = ExplorerForm(operation=op, connection=connection) if op else None
    context = _explorer_context(request, membership, connection, op, form)
    if request.htmx and op:
        return render(request, "integrations/_explorer_body.html", context)
    return render(request, "integrations/explorer.html", context)


@login_required
@require_POST
def connection_explorer_send(request, workspace_id, connection_id):
    membership, connection = _connection(request, workspace_id, connection_id, Role.EDITOR)
    op = operation(connection.provider, request.GET.get("op", ""))
    if op is None:
        return redirect("integrations:connection-explorer", workspace_id, connection.pk)
    form = ExplorerForm(request.POST, operation=op, connection=connection)
    exchange = None
    if form.is_valid() and not explorer.write_refusal(op, connection):
        exchange = explorer.explorer_send(
            connection=connection,
            operation=op,
            path_values=form.path_values(),
            query=form.query_values(),
            body=form.cleaned_data.get("body"),
        )
    context = _explorer_context(request, membership, connection, op, form, exchange)
    template = "_explorer_body.html" if request.htmx else "explorer.html"
    return render(request, f"integrations/{template}", context)
