"""The setup wizard: one page whose steps swap in place (HTMX), each also a plain page.

choose the system → credentials (or the OAuth round trip) → access (read / read + write) →
test connection → save. The credentials step makes a *draft* connection, so testing goes
through exactly the code a sync uses; a draft is no connection yet (lists, pickers and flows
do not see it) until the Save step turns it into one. Every step after the first has its own
URL (`…/setup/?step=…`), so Back, a refresh or coming back later shows that step of the same
draft; drafts left alone for a day are pruned (tasks.connection_drafts_prune_due).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from accounts.access import workspace_access
from accounts.models import Role
from integrations import access_levels, oauth_flow, sandbox_values
from integrations.forms import AccessForm, ConnectionForm, OAuthAppForm
from integrations.models import Connection
from integrations.providers.base import Provider, UnknownProvider
from integrations.providers.registry import all_providers, get_provider
from integrations.selectors import connection_drafts_for_workspace, connection_for_workspace
from integrations.services import (
    DUPLICATE_NAME_ERROR,
    connection_draft_finish,
    connection_draft_save,
    connection_set_access,
    connection_update,
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


def connection_form_save(form, connection: Connection, *, is_oauth: bool, actor):
    """A valid ConnectionForm onto its connection (a draft's credentials step, or the edit
    page); an OAuth connection's tokens come from the provider, so only its name changes.
    None, with the errors on the form, when the save is refused."""
    try:
        return connection_update(
            connection=connection,
            name=form.cleaned_data["name"],
            settings=None if is_oauth else form.settings_data(),
            credentials=None if is_oauth else form.credentials_data(),
            actor=actor,
        )
    except ValidationError as error:
        add_form_errors(form, error)
        return None


def render_step(request, template: str, context: dict, *, url: str | None = None):
    """The step alone for an HTMX swap (pushing its URL), else the whole wizard page."""
    context = {**context, "step_template": template, "steps": STEPS}
    # A history restore (Back, with no snapshot kept) replaces the page: it needs all of it.
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, template, context)
        response = push_url(response, url) if url else response
    else:
        response = render(request, "integrations/wizard.html", context)
    # One URL, two bodies: a browser cache must not hand the fragment to a reload.
    patch_vary_headers(response, ["HX-Request"])
    return response


def redirect_browser(request, url: str):
    """Leave the page (to the provider's consent screen): htmx needs to be told to."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def setup_url(workspace_id: int, connection_id: int, step: str) -> str:
    url = reverse("integrations:connection-setup", args=[workspace_id, connection_id])
    return f"{url}?step={step}"


def _step_url(connection: Connection, step: str) -> str:
    return setup_url(connection.workspace_id, connection.pk, step)


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
    drafts = connection_drafts_for_workspace(workspace=membership.workspace)
    try:
        provider = get_provider(request.GET.get("provider", ""))
    except UnknownProvider:
        cards = [_card(info) for info in all_providers()]
        context = {"cards": cards, "drafts": drafts, "current": "choose"}
        return render_step(request, "integrations/_wizard_choose.html", context)
    oauth = oauth_flow.supports_oauth(provider)
    default = oauth_flow.oauth_words(provider)["default_method"] if oauth else "token"
    method = request.GET.get("method") or default
    use_sandbox = "1" in (request.GET.get("sandbox"), request.POST.get("sandbox"))
    context = {"drafts": drafts.filter(provider=provider.key)}
    if method == "oauth" and oauth:
        return _oauth_step(request, membership, provider, use_sandbox, context)
    return _credentials_step(request, membership, provider, use_sandbox, context)


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


def _credentials_step(request, membership, provider: Provider, use_sandbox: bool, context):
    sandbox, sandbox_error = None, ""
    if use_sandbox:
        try:
            sandbox = sandbox_values.credential_values(provider)
        except sandbox_values.SandboxUnavailable as error:
            sandbox_error = str(error)
    form = ConnectionForm(request.POST or None, provider=provider, sandbox=sandbox)
    if request.method == "POST" and form.is_valid():
        try:
            connection = connection_draft_save(
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
            return _next_step(request, connection, "access")
    context = _step_context(
        provider,
        "token",
        form=form,
        sandbox=sandbox is not None,
        sandbox_error=sandbox_error,
        action=f"?provider={provider.key}&method=token",
        **context,
    )
    return render_step(request, "integrations/_wizard_credentials.html", context)


def _draft_credentials_step(request, connection: Connection):
    """Back at the credentials of a draft: values kept, secrets only marked as saved. An
    OAuth draft's tokens come from the provider: its name here, a new sign-in on request."""
    provider = get_provider(connection.provider)
    is_oauth = oauth_flow.is_oauth_connection(connection)
    form = ConnectionForm(
        request.POST or None, provider=provider, connection=connection, oauth=is_oauth
    )
    then = "test" if is_oauth or request.GET.get("then") == "test" else "access"
    if request.method == "POST" and form.is_valid():
        saved = connection_form_save(form, connection, is_oauth=is_oauth, actor=request.user)
        if saved is not None:
            return _next_step(request, saved, then)
    context = _step_context(
        provider,
        "oauth" if is_oauth else "token",
        form=form,
        connection=connection,
        is_oauth=is_oauth,
        action=_step_url(connection, "credentials") + (f"&then={then}" if then == "test" else ""),
    )
    url = _step_url(connection, "credentials")
    return render_step(request, "integrations/_wizard_credentials.html", context, url=url)


def _next_step(request, connection: Connection, step: str):
    """After a POST: the next step in place (htmx), else redirect to its URL (so a refresh
    shows it again rather than sending the form twice)."""
    if not request.htmx:
        return redirect(_step_url(connection, step))
    return _test_step(request, connection) if step == "test" else _access_step(request, connection)


def _oauth_step(request, membership, provider: Provider, use_sandbox: bool, context):
    described, sandbox_error = None, ""
    if use_sandbox:
        try:
            described = sandbox_values.describe(provider)
        except sandbox_values.SandboxUnavailable as error:
            sandbox_error = str(error)
    form = OAuthAppForm(request.POST or None, provider=provider, sandbox=described)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"].strip()
        taken = Connection.objects.finished().filter(
            workspace=membership.workspace, name__iexact=name
        )
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
        **context,
    )
    return render_step(request, "integrations/_wizard_oauth.html", context)


def _access_step(request, connection: Connection, *, form=None):
    provider = get_provider(connection.provider)
    form = form or AccessForm(
        provider=provider, initial_access=access_levels.connection_level(connection)
    )
    context = {
        "connection": connection,
        "provider": provider,
        "form": form,
        "levels": access_levels.levels(provider),
        "current": "access",
    }
    url = _step_url(connection, "access")
    return render_step(request, "integrations/_wizard_access.html", context, url=url)


def test_outcome(connection: Connection, result=None) -> str:
    """ "ok", "failed" or "untested": which next step the wizard offers as the main one."""
    if result is not None:
        return "ok" if result.ok else "failed"
    # New credentials put the status back to "not tested yet": an older test no longer counts.
    if connection.last_tested_at is None or connection.status == Connection.Status.NEW:
        return "untested"
    return "ok" if connection.status == Connection.Status.CONNECTED else "failed"


def _test_step(request, connection: Connection, step: str = "test"):
    """The test step, and the save step: the last outcome with what to do next."""
    provider = get_provider(connection.provider)
    is_oauth = oauth_flow.is_oauth_connection(connection)
    context = {
        "connection": connection,
        "provider": provider,
        "access": access_levels.level(provider, access_levels.connection_level(connection)),
        "outcome": test_outcome(connection),
        "back_url": _step_url(connection, "credentials" if is_oauth else "access"),
        "current": step,
    }
    template = f"integrations/_wizard_{step}.html"
    return render_step(request, template, context, url=_step_url(connection, step))


def _resume_step(connection: Connection) -> str:
    """Where a draft's setup stands: the first step it has not done."""
    if not connection.is_draft:
        return "test"
    if "access" not in connection.settings and not oauth_flow.is_oauth_connection(connection):
        return "access"
    return "test" if test_outcome(connection) == "untested" else "save"


@login_required
def connection_setup(request, workspace_id, connection_id):
    """Every step after the first, of a draft (or of a connection: access, then test)."""
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    connection = connection_for_workspace(
        workspace=membership.workspace, connection_id=connection_id
    )
    step = request.GET.get("step") or _resume_step(connection)
    if step == "credentials":
        if not connection.is_draft:
            return redirect("integrations:connection-edit", workspace_id, connection.pk)
        return _draft_credentials_step(request, connection)
    if step == "access":
        return _access_step(request, connection)
    if step == "save" and connection.is_draft:
        return _test_step(request, connection, "save")
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
    return _next_step(request, connection, "test")


@login_required
@require_POST
def connection_finish(request, workspace_id, connection_id):
    """The Save step: only here does a draft become a connection (and get called saved)."""
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    connection = connection_for_workspace(
        workspace=membership.workspace, connection_id=connection_id
    )
    was_draft = connection.is_draft
    try:
        connection = connection_draft_finish(connection=connection, actor=request.user)
    except ValidationError as error:
        messages.error(request, f"Not saved: {' '.join(error.messages)} Choose another name.")
        return redirect_browser(request, _step_url(connection, "credentials"))
    if was_draft:
        messages.success(request, f"Connection “{connection.name}” saved.")
    url = reverse("integrations:connection-detail", args=[workspace_id, connection.pk])
    return redirect_browser(request, url)
