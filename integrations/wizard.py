"""The setup wizard: one page whose steps swap in place (HTMX), each also a plain page.

choose the system → credentials (or the OAuth round trip) → access (read / read + write) →
test connection → save. The connection row is created at the credentials step (status "Not
tested yet"), so testing goes through exactly the code a sync uses; leaving the wizard early
leaves an honest untested connection that can be finished or deleted.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from accounts.access import workspace_access
from accounts.models import Role
from integrations import access_levels, oauth_flow, sandbox_values
from integrations.errors import IntegrationError
from integrations.forms import AccessForm, ConnectionForm, OAuthAppForm
from integrations.models import Connection
from integrations.providers.base import Provider, UnknownProvider
from integrations.providers.registry import all_providers, get_provider
from integrations.selectors import connection_for_workspace
from integrations.services import (
    DUPLICATE_NAME_ERROR,
    connection_create,
    connection_reconnect,
    connection_set_access,
)

STEPS = [
    ("choose", "System"),
    ("credentials", "Credentials"),
    ("access", "Access"),
    ("test", "Test"),
    ("save", "Save"),
]


def add_form_errors(form, error: ValidationError) -> None:
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


def render_step(request, template: str, context: dict, *, url: str | None = None):
    """The step alone for an HTMX swap (pushing its URL), else the whole wizard page."""
    context = {**context, "step_template": template, "steps": STEPS}
    if request.htmx:
        response = render(request, template, context)
        return push_url(response, url) if url else response
    return render(request, "integrations/wizard.html", context)


def redirect_browser(request, url: str):
    """Leave the page (to the provider's consent screen): htmx needs to be told to."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def setup_url(workspace_id: int, connection_id: int, step: str) -> str:
    url = reverse("integrations:connection-setup", args=[workspace_id, connection_id])
    return f"{url}?step={step}"


def _card(provider: Provider) -> dict:
    return {
        "info": provider,
        "oauth": oauth_flow.supports_oauth(provider),
        "words": oauth_flow.oauth_words(provider) if oauth_flow.supports_oauth(provider) else {},
        "sandbox": sandbox_values.offers_credentials(provider)
        or (oauth_flow.supports_oauth(provider) and sandbox_values.offers_oauth(provider)),
    }


@login_required
def connection_new(request, workspace_id):
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    try:
        provider = get_provider(request.GET.get("provider", ""))
    except UnknownProvider:
        cards = [_card(info) for info in all_providers()]
        return render_step(
            request, "integrations/_wizard_choose.html", {"cards": cards, "current": "choose"}
        )
    oauth = oauth_flow.supports_oauth(provider)
    default = oauth_flow.oauth_words(provider)["default_method"] if oauth else "token"
    method = request.GET.get("method") or default
    use_sandbox = "1" in (request.GET.get("sandbox"), request.POST.get("sandbox"))
    if method == "oauth" and oauth:
        return _oauth_step(request, membership, provider, use_sandbox)
    return _credentials_step(request, membership, provider, use_sandbox)


def _step_context(provider: Provider, method: str, **extra) -> dict:
    return {
        "provider": provider,
        "method": method,
        "oauth": oauth_flow.supports_oauth(provider),
        "words": oauth_flow.oauth_words(provider) if oauth_flow.supports_oauth(provider) else {},
        "offers_sandbox": (
            sandbox_values.offers_oauth(provider)
            if method == "oauth"
            else sandbox_values.offers_credentials(provider)
        ),
        "current": "credentials",
        **extra,
    }


def _credentials_step(request, membership, provider: Provider, use_sandbox: bool):
    sandbox, sandbox_error = None, ""
    if use_sandbox:
        try:
            sandbox = sandbox_values.credential_values(provider)
        except sandbox_values.SandboxUnavailable as error:
            sandbox_error = str(error)
    form = ConnectionForm(request.POST or None, provider=provider, sandbox=sandbox)
    if request.method == "POST" and form.is_valid():
        try:
            connection = connection_create(
                workspace=membership.workspace,
                provider=provider.key,
                name=form.cleaned_data["name"],
                settings=form.settings_data(),
                credentials=form.credentials_data(),
                actor=request.user,
            )
        except ValidationError as error:
            add_form_errors(form, error)
        else:
            return _access_step(request, connection, just_created=True)
    context = _step_context(
        provider, "token", form=form, sandbox=sandbox is not None, sandbox_error=sandbox_error
    )
    return render_step(request, "integrations/_wizard_credentials.html", context)


def _oauth_step(request, membership, provider: Provider, use_sandbox: bool):
    described, sandbox_error = None, ""
    if use_sandbox:
        try:
            described = sandbox_values.describe(provider)
        except sandbox_values.SandboxUnavailable as error:
            sandbox_error = str(error)
    form = OAuthAppForm(request.POST or None, provider=provider, sandbox=described)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"].strip()
        taken = Connection.objects.filter(workspace=membership.workspace, name__iexact=name)
        if taken.exists():
            form.add_error("name", DUPLICATE_NAME_ERROR)
        else:
            level = access_levels.level(provider, form.cleaned_data["access"])
            webhook_settings, webhook_credentials = oauth_flow.sandbox_webhook_values(
                provider, described
            )
            app = oauth_flow.OAuthApp(
                client_id=form.cleaned_data["client_id"],
                client_secret=form.client_secret_value(),
                base_url=(described or {}).get("base_url", ""),
                authorize_url=(described or {}).get("authorize_url", ""),
                webhook_settings=webhook_settings,
                webhook_credentials=webhook_credentials,
            )
            url = oauth_flow.flow_start(
                request,
                provider=provider,
                workspace_id=membership.workspace_id,
                app=app,
                scopes=list(level.scopes),
                name=name,
                access=level.value,
            )
            return redirect_browser(request, url)
    context = _step_context(
        provider,
        "oauth",
        form=form,
        sandbox=described is not None,
        sandbox_error=sandbox_error,
        levels=access_levels.levels(provider),
        callback_url=oauth_flow.callback_url(request, provider.key),
    )
    return render_step(request, "integrations/_wizard_oauth.html", context)


def _access_step(request, connection: Connection, *, just_created: bool = False, form=None):
    provider = get_provider(connection.provider)
    form = form or AccessForm(
        provider=provider, initial_access=access_levels.connection_level(connection)
    )
    context = {
        "connection": connection,
        "provider": provider,
        "form": form,
        "levels": access_levels.levels(provider),
        "just_created": just_created,
        "current": "access",
    }
    url = setup_url(connection.workspace_id, connection.pk, "access")
    if just_created and not request.htmx:
        messages.success(request, f"Connection “{connection.name}” saved.")
        return redirect(url)
    return render_step(request, "integrations/_wizard_access.html", context, url=url)


def _test_step(request, connection: Connection):
    context = {
        "connection": connection,
        "provider": get_provider(connection.provider),
        "current": "test",
    }
    url = setup_url(connection.workspace_id, connection.pk, "test")
    return render_step(request, "integrations/_wizard_test.html", context, url=url)


@login_required
def connection_setup(request, workspace_id, connection_id):
    """Where the wizard continues once the connection exists (also after the OAuth trip)."""
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    connection = connection_for_workspace(
        workspace=membership.workspace, connection_id=connection_id
    )
    if request.GET.get("step") == "access":
        return _access_step(request, connection)
    return _test_step(request, connection)


@login_required
@require_POST
def connection_access(request, workspace_id, connection_id):
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    connection = connection_for_workspace(
        workspace=membership.workspace, connection_id=connection_id
    )
    form = AccessForm(
        request.POST,
        provider=get_provider(connection.provider),
        initial_access=access_levels.connection_level(connection),
    )
    if not form.is_valid():
        return _access_step(request, connection, form=form)
    connection = connection_set_access(
        connection=connection, access=form.cleaned_data["access"], actor=request.user
    )
    if request.htmx:
        return _test_step(request, connection)
    return redirect(setup_url(workspace_id, connection.pk, "test"))


@login_required
@require_POST
def connection_finish(request, workspace_id, connection_id):
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    connection = connection_for_workspace(
        workspace=membership.workspace, connection_id=connection_id
    )
    messages.success(request, f"Connection “{connection.name}” saved.")
    url = reverse("integrations:connection-detail", args=[workspace_id, connection.pk])
    return redirect_browser(request, url)


@login_required
def oauth_callback(request, provider):
    """The provider sends the browser back here with `code` and `state` (or `error`)."""
    try:
        get_provider(provider)
    except UnknownProvider:
        raise Http404("No such provider.") from None
    pending = oauth_flow.flow_pending(request)
    if pending is not None:
        # Still allowed to change that workspace? (404 / 403 otherwise, as everywhere.)
        workspace_access(request, pending["workspace_id"], Role.EDITOR)
    try:
        result = oauth_flow.flow_finish(request, provider_key=provider, params=request.GET)
    except oauth_flow.OAuthFlowError as error:
        return _oauth_failed(request, pending, str(error), error.provider_error)
    except IntegrationError as error:
        return _oauth_failed(
            request, pending, f"The code could not be exchanged for a token: {error}", ""
        )
    if result.connection_id:
        connection = connection_for_workspace(
            workspace=request.membership.workspace, connection_id=result.connection_id
        )
        connection = connection_reconnect(
            connection=connection,
            credentials=result.credentials,
            scopes=result.scopes,
            token_expires_at=result.token_expires_at,
            settings=result.settings,
            actor=request.user,
        )
        messages.success(request, f"“{connection.name}” is reconnected. Test it to be sure.")
    else:
        try:
            connection = connection_create(
                workspace=request.membership.workspace,
                provider=provider,
                name=result.name,
                settings=result.settings,
                credentials=result.credentials,
                scopes=result.scopes,
                token_expires_at=result.token_expires_at,
                actor=request.user,
            )
        except ValidationError as error:
            message = "; ".join(m for ms in error.message_dict.values() for m in ms)
            return _oauth_failed(request, pending, f"Nothing was saved: {message}", "")
        messages.success(request, f"Connection “{connection.name}” saved. Now test it.")
    return redirect(setup_url(connection.workspace_id, connection.pk, "test"))


def _oauth_failed(request, pending: dict | None, message: str, provider_error: str):
    context = {
        "message": message,
        "provider_error": provider_error,
        "workspace_id": (pending or {}).get("workspace_id"),
        "connection_id": (pending or {}).get("connection_id"),
    }
    return render(request, "integrations/oauth_error.html", context, status=400)
