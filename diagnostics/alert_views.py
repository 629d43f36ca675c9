"""The Alerts tab: a workspace's alert rules with their open incidents and recent notices
(anyone in the workspace), and the rule form, delete and a new signing secret (editors).
Thin views over the services of diagnostics.alerting.

The webhook signing secret is shown once: the view that made it (create, rotate) keeps it in
the session, and the alerts page takes it out the first time it is shown. It is never put in
a message, a log line or any other page.
"""

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.access import workspace_access
from accounts.models import Role, Workspace
from diagnostics import alerting, notify
from diagnostics.alert_forms import FIELDS_BY_KIND, THRESHOLD_HELP, WINDOW_HELP, AlertRuleForm
from diagnostics.models import AlertDelivery, AlertIncident, AlertRule

SECRET_SESSION_KEY = "diagnostics_alert_secret"
RECENT_NOTICES = 30
NUMBER_FIELDS = ("threshold", "window_minutes", "min_calls")


# --- reads --------------------------------------------------------------------------------------
def _rule_for_editor(request, workspace_id: int, alert_rule_id: int) -> AlertRule:
    """The rule, only through the user's membership (outsider 404, viewer 403)."""
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    rule = AlertRule.objects.filter(workspace_id=membership.workspace_id, pk=alert_rule_id).first()
    if rule is None:
        raise Http404("No such alert rule in this workspace.")
    return rule


def _settings_words(rule: AlertRule) -> list[str]:
    """What the rule's numbers mean, in words ("3 failed … runs in a row")."""
    kind = alerting.KIND_SETTINGS.get(rule.kind)
    if kind is None:
        return []
    words = []
    if kind.threshold is not None:
        value = rule.threshold if rule.threshold is not None else kind.threshold.default
        words.append(f"{value:,} {kind.threshold_label}")
    if kind.window is not None:
        value = rule.window_minutes if rule.window_minutes is not None else kind.window.default
        words.append(f"{value:,} {alerting.WINDOW_LABEL[rule.kind]}")
    if rule.kind == AlertRule.Kind.ERROR_RATE:
        words.append(f"judged only with at least {rule.min_calls:,} calls in the window")
    return words or ["as soon as it happens: there is nothing to set"]


def _rule_rows(workspace: Workspace) -> list[dict]:
    """Each rule with its settings in words, its channels and its open incidents (2 queries)."""
    incidents: dict[int, list[AlertIncident]] = {}
    for incident in AlertIncident.objects.filter(rule__workspace=workspace, resolved_at=None):
        incidents.setdefault(incident.rule_id, []).append(incident)
    return [
        {
            "rule": rule,
            "settings": _settings_words(rule),
            "emails": rule.email_recipients,
            # The host only: a webhook URL may carry a token of the receiver in its path.
            "webhook_host": urlsplit(rule.webhook_url).hostname if rule.webhook_url else "",
            "incidents": incidents.get(rule.pk, []),
        }
        for rule in AlertRule.objects.filter(workspace=workspace)
    ]


def _recent_notices(workspace: Workspace) -> list[AlertDelivery]:
    return list(
        AlertDelivery.objects.filter(incident__rule__workspace=workspace).select_related(
            "incident__rule"
        )[:RECENT_NOTICES]
    )


# --- the secret, shown once -------------------------------------------------------------------
def _secret_keep(request, rule: AlertRule, secret: str) -> None:
    request.session[SECRET_SESSION_KEY] = {
        "workspace_id": rule.workspace_id,
        "rule_id": rule.pk,
        "secret": secret,
    }


def _secret_pop(request, workspace_id: int) -> dict | None:
    """The secret kept for this workspace, taken out of the session: shown this once."""
    kept = request.session.get(SECRET_SESSION_KEY)
    if not isinstance(kept, dict) or kept.get("workspace_id") != workspace_id:
        return None
    del request.session[SECRET_SESSION_KEY]
    return kept


# --- pages ----------------------------------------------------------------------------------------
def _context(membership, **extra) -> dict:
    return {
        "tab": "alerts",
        "can_edit": membership.has_role(Role.EDITOR),
        "workspace": membership.workspace,
        **extra,
    }


@never_cache  # the page after "create" or "new secret" shows the secret: keep it out of caches
@login_required
def alert_list(request, workspace_id):
    membership = workspace_access(request, workspace_id)
    rows = _rule_rows(membership.workspace)
    kept = _secret_pop(request, membership.workspace_id)
    shown = None  # the rule whose secret is shown (none if it was deleted meanwhile)
    if kept:
        shown = next((row["rule"] for row in rows if row["rule"].pk == kept["rule_id"]), None)
    context = _context(
        membership,
        rows=rows,
        notices=_recent_notices(membership.workspace),
        secret=kept["secret"] if shown else "",
        secret_rule=shown,
        timestamp_header=notify.TIMESTAMP_HEADER,
        signature_header=notify.SIGNATURE_HEADER,
    )
    return render(request, "diagnostics/alerts.html", context)


def _form(request, workspace: Workspace, rule: AlertRule | None = None) -> AlertRuleForm:
    """Bound to the POST; or, when the kind was changed ("refresh": htmx GET or the "Change
    kind" button), unbound with what was typed so far and no errors yet; or fresh."""
    options = {"workspace": workspace, "instance": rule}
    if request.method == "POST" and "refresh" not in request.POST:
        # Numbers the chosen kind does not use are not on the page: a value sent for one
        # anyway is dropped before it could fail validation where nobody sees the error.
        data = request.POST.copy()
        for name in set(NUMBER_FIELDS) - set(FIELDS_BY_KIND.get(data.get("kind"), ())):
            data.pop(name, None)
        return AlertRuleForm(data, **options)
    typed = request.POST if request.method == "POST" else request.GET
    if typed.get("refresh"):
        initial = {name: typed.get(name, "") for name in ("kind", "email_to", "webhook_url")}
        initial["enabled"] = typed.get("enabled") == "on"
        if rule is not None and initial["kind"] != rule.kind:
            # The old kind's numbers mean something else: start from the new kind's defaults.
            initial.update(dict.fromkeys(NUMBER_FIELDS))
        return AlertRuleForm(initial=initial, **options)
    return AlertRuleForm(initial=None if rule else {"kind": AlertRule.Kind.FAILED_RUNS}, **options)


def _render_form(request, membership, form: AlertRuleForm, rule: AlertRule | None = None):
    kind = form["kind"].value()
    helps = {
        "threshold": THRESHOLD_HELP.get(kind),
        "window_minutes": WINDOW_HELP.get(kind),
        "min_calls": form.fields["min_calls"].help_text,
    }
    number_fields = [(form[name], helps[name]) for name in FIELDS_BY_KIND.get(kind, ())]
    template = "diagnostics/alert_form.html"
    if request.htmx and request.GET.get("refresh"):
        template += "#alert-fields"
    context = _context(membership, form=form, rule=rule, number_fields=number_fields)
    return render(request, template, context)


def _add_service_errors(form: AlertRuleForm, error: ValidationError) -> None:
    problems = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, words in problems.items():
        for message in words:
            form.add_error(field if field in form.fields else None, message)


def _rule_fields(form: AlertRuleForm) -> dict:
    return {name: form.cleaned_data.get(name) for name in alerting.RULE_FIELDS}


def _saving(request) -> bool:
    return request.method == "POST" and "refresh" not in request.POST


@login_required
def alert_new(request, workspace_id):
    membership = workspace_access(request, workspace_id, Role.EDITOR)
    form = _form(request, membership.workspace)
    if _saving(request) and form.is_valid():
        try:
            rule, secret = alerting.alert_rule_create(
                workspace=membership.workspace, **_rule_fields(form)
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            _secret_keep(request, rule, secret)
            messages.success(
                request,
                f"Alert rule “{rule}” created. Copy its webhook signing secret below: "
                "it is shown only this once.",
            )
            return redirect("diagnostics:alerts", membership.workspace_id)
    return _render_form(request, membership, form)


@login_required
def alert_edit(request, workspace_id, alert_rule_id):
    rule = _rule_for_editor(request, workspace_id, alert_rule_id)
    membership = request.membership
    # As stored: validating the form writes the new values onto `rule`.
    was_kind, was_enabled = rule.kind, rule.enabled
    form = _form(request, membership.workspace, rule)
    if _saving(request) and form.is_valid():
        try:
            alerting.alert_rule_update(rule=rule, **_rule_fields(form))
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            closed = rule.kind != was_kind or (was_enabled and not rule.enabled)
            after = " Its open incidents were closed without a notice." if closed else ""
            state = "saved" if rule.enabled else "saved and turned off"
            messages.success(request, f"Alert rule “{rule}” {state}.{after}")
            return redirect("diagnostics:alerts", membership.workspace_id)
    return _render_form(request, membership, form, rule)


@login_required
def alert_delete(request, workspace_id, alert_rule_id):
    rule = _rule_for_editor(request, workspace_id, alert_rule_id)
    if request.method == "POST":
        alerting.alert_rule_delete(rule=rule)
        messages.success(
            request,
            f"Alert rule “{rule}” deleted, with its incidents and notices. Open incidents were "
            "closed without a notice.",
        )
        return redirect("diagnostics:alerts", workspace_id)
    context = _context(
        request.membership,
        rule=rule,
        open_incidents=rule.incidents.filter(resolved_at=None).count(),
        incidents=rule.incidents.count(),
    )
    return render(request, "diagnostics/alert_delete.html", context)


@login_required
@require_POST
def alert_rotate(request, workspace_id, alert_rule_id):
    rule = _rule_for_editor(request, workspace_id, alert_rule_id)
    secret = alerting.alert_rule_secret_rotate(rule=rule)
    _secret_keep(request, rule, secret)
    messages.success(
        request,
        f"New signing secret for “{rule}”: the old one no longer works. Copy the new one "
        "below: it is shown only this once.",
    )
    return redirect("diagnostics:alerts", workspace_id)
