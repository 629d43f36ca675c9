"""The rule services: check, create, change, delete, and a new signing secret. Views and
forms call these; the evaluation (diagnostics.alerting.incidents) only reads rules."""

from __future__ import annotations

import ipaddress
import re
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import Workspace
from diagnostics.alerting.incidents import incidents_close_quietly
from diagnostics.alerting.kinds import KIND_SETTINGS, WINDOW_LABEL, Kind
from diagnostics.models import AlertRule
from integrations.http import address_problem

MAX_EMAIL_RECIPIENTS = 10


# --- rules: create, change, delete ---------------------------------------------------------
RULE_FIELDS = (
    "kind",
    "threshold",
    "window_minutes",
    "min_calls",
    "enabled",
    "email_to",
    "webhook_url",
)


def email_addresses(text: str) -> list[str]:
    """The addresses in "a@x.com, b@y.org" (commas, semicolons or line breaks between)."""
    return [part for part in re.split(r"[,;\s]+", text or "") if part]


def webhook_url_problem(url: str) -> str | None:
    """Why alerts may not be sent to `url`, or None. The delivery itself goes through the
    guarded session (integrations.http), which also refuses names that resolve to private
    addresses; this catches what can be seen in the URL alone, when the rule is saved."""
    allow_private = settings.INTEGRATIONS_ALLOW_PRIVATE_IPS
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return "This is not a valid URL."
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        return "Use an https:// address: alerts must not travel unencrypted."
    if parts.username or parts.password:
        return (
            "Leave the user name and password out of the URL: the receiver checks the "
            "signature instead."
        )
    if not host:
        return "This URL has no host name."
    if allow_private:
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            return f"{host} is a local name: alerts are only sent to public addresses."
        return None
    problem = address_problem(ip)
    if problem:
        return f"{host} is {problem}: alerts are only sent to public addresses."
    return None


def alert_rule_problems(rule: AlertRule) -> dict[str, list[str]]:
    """Why a rule cannot be saved as it is, per field, in words that say what to fix."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    kind = KIND_SETTINGS.get(rule.kind)
    if kind is None:
        add("kind", "Choose what the rule watches.")
        return problems
    for field, bounds, label in (
        ("threshold", kind.threshold, kind.threshold_label),
        ("window_minutes", kind.window, WINDOW_LABEL.get(rule.kind, "")),
    ):
        value = getattr(rule, field)
        if bounds is not None and value is not None and not bounds.low <= value <= bounds.high:
            add(field, f"Enter {bounds.low:,} to {bounds.high:,} ({label}).")
    if rule.kind == Kind.ERROR_RATE and not 1 <= (rule.min_calls or 0) <= 100_000:
        add(
            "min_calls",
            "Enter at least 1 call: with fewer calls than this in the window, the error "
            "rate is not judged (1 failure of 2 calls is no incident).",
        )
    addresses = email_addresses(rule.email_to)
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            add("email_to", f"“{address[:100]}” is not an e-mail address.")
    if len(addresses) > MAX_EMAIL_RECIPIENTS:
        add("email_to", f"Give at most {MAX_EMAIL_RECIPIENTS} addresses.")
    if rule.webhook_url:
        problem = webhook_url_problem(rule.webhook_url)
        if problem:
            add("webhook_url", problem)
    return problems


def _normalise(rule: AlertRule) -> None:
    """The kind's defaults where a value is left empty, nothing where the kind needs none,
    and the addresses as one "a@x.com, b@y.org" list."""
    kind = KIND_SETTINGS.get(rule.kind)
    if kind is not None:
        if kind.threshold is None:
            rule.threshold = None
        elif rule.threshold is None:
            rule.threshold = kind.threshold.default
        if kind.window is None:
            rule.window_minutes = None
        elif rule.window_minutes is None:
            rule.window_minutes = kind.window.default
    if rule.min_calls is None:
        rule.min_calls = 20
    rule.email_to = ", ".join(email_addresses(rule.email_to))
    rule.webhook_url = (rule.webhook_url or "").strip()


def alert_rule_check(rule: AlertRule) -> dict[str, list[str]]:
    """Fill the kind's defaults into an unsaved rule, tidy its addresses, and say what is
    wrong with it (the form shows the same words as the services raise)."""
    _normalise(rule)
    return alert_rule_problems(rule)


def _check(rule: AlertRule) -> None:
    problems = alert_rule_check(rule)
    if problems:
        raise ValidationError(problems)
    rule.full_clean()


@transaction.atomic
def alert_rule_create(*, workspace: Workspace, **fields) -> tuple[AlertRule, str]:
    """A new rule and its webhook signing secret, in clear this once (show it to the owner;
    it is stored encrypted and never shown again; `alert_rule_secret_rotate` makes a new one)."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"{', '.join(sorted(unknown))} is not an alert rule setting")
    rule = AlertRule(workspace=workspace, **fields)
    _check(rule)
    secret = secrets.token_urlsafe(32)
    rule.set_webhook_secret(secret)
    rule.save()
    return rule, secret


@transaction.atomic
def alert_rule_update(*, rule: AlertRule, **fields) -> AlertRule:
    """Change a rule. Turning it off, or making it watch something else, closes its open
    incidents without a notice (their dashboard alerts too)."""
    # As stored: a ModelForm may already have written the new values onto this instance.
    stored = AlertRule.objects.filter(pk=rule.pk).values("kind", "enabled").get()
    was_kind, was_enabled = stored["kind"], stored["enabled"]
    for name, value in fields.items():
        if name not in RULE_FIELDS:
            raise ValueError(f"{name} is not an alert rule setting")
        setattr(rule, name, value)
    if rule.kind != was_kind:
        # The old kind's numbers mean something else: start from the new kind's defaults.
        rule.threshold = fields.get("threshold")
        rule.window_minutes = fields.get("window_minutes")
    _check(rule)
    rule.save()
    if rule.kind != was_kind or (was_enabled and not rule.enabled):
        incidents_close_quietly(rule, was_kind)
    return rule


@transaction.atomic
def alert_rule_secret_rotate(*, rule: AlertRule) -> str:
    """A new signing secret, in clear this once; the old one stops working at once."""
    secret = secrets.token_urlsafe(32)
    rule.set_webhook_secret(secret)
    rule.save(update_fields=["webhook_secret_encrypted", "updated_at"])
    return secret


@transaction.atomic
def alert_rule_delete(*, rule: AlertRule) -> None:
    incidents_close_quietly(rule, rule.kind)
    rule.delete()
