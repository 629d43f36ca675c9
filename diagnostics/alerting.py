"""Alert rules: what a workspace wants to hear about, checked by a beat task.

`alert_rules_evaluate()` reads, for every enabled rule, which subjects (a flow, a connection)
are in breach now, with a fixed number of queries per rule (aggregates, never a query per
flow or record). The decision per kind is a small pure function over plain rows
(`*_breaches`), tested without the database. Then, per subject:

- a new breach opens an incident: one notice per channel (AlertDelivery rows, sent by
  `diagnostics.notify`) and an alert on the dashboard (alerts.Alert);
- a breach that lasts keeps its incident open and only updates its value: no new notice,
  however often the rules are evaluated (no alert storms);
- a breach that is gone resolves the incident: one "resolved" notice per channel that was
  told, and the dashboard alert is resolved.

Runs failing in a row are the one kind with a consequence: one failure short of the
threshold a warning goes out ("the next failure pauses this flow"), and at the threshold the
flow is paused through sync's own service, with a reason that says why and how to resume.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.models import Workspace
from alerts.models import Alert
from alerts.services import alert_raise, alert_resolve_subjects
from diagnostics.models import AlertDelivery, AlertIncident, AlertRule, ApiCall
from integrations.http import address_problem
from integrations.models import Connection
from sync.models import Flow, PendingChange, Run

# Diagnostics reads everyone's rows but writes none of sync's, with one exception the
# Diagnostics issue asks for: pausing a flow after repeated failures. That goes through
# sync's own service, so the pause is the same as a person pressing "Pause".
from sync.services import flow_pause

logger = logging.getLogger(__name__)

Kind = AlertRule.Kind
Level = AlertIncident.Level

MAX_EMAIL_RECIPIENTS = 10


@dataclass(frozen=True)
class Bounds:
    default: int
    low: int
    high: int


@dataclass(frozen=True)
class KindSettings:
    threshold: Bounds | None  # None: the kind has no threshold
    threshold_label: str
    window: Bounds | None  # None: the kind reads no time window
    advice: str  # what to do, in the notices


KIND_SETTINGS: dict[str, KindSettings] = {
    Kind.FAILED_RUNS: KindSettings(
        Bounds(3, 2, 100),
        "failed or partly failed runs in a row (the flow is paused at this number)",
        None,
        "Open the flow's latest run to see why it failed and fix the cause. A paused flow "
        "runs again once you press Resume on its page; the next run that succeeds closes "
        "this alert.",
    ),
    Kind.ERROR_RATE: KindSettings(
        Bounds(20, 1, 100),
        "% of a connection's API calls failing",
        Bounds(15, 5, 24 * 60),
        "Open the API calls on the diagnostics page: their error classes say whether the "
        "credentials, the rate limits or the other system is at fault.",
    ),
    Kind.LAG: KindSettings(
        Bounds(30, 5, 7 * 24 * 60),
        "minutes a change may wait before it is applied",
        None,
        "Check on the diagnostics page that the worker is running, and on the flow's page "
        "that its runs succeed and no records keep failing.",
    ),
    Kind.RUN_STUCK: KindSettings(
        Bounds(30, 15, 7 * 24 * 60),
        "minutes a run may go without a sign of life (queued, or running without heartbeat)",
        None,
        "Check on the diagnostics page that the worker is running. A run whose worker "
        "stopped is queued again after 10 minutes; one that stays queued waits for a worker.",
    ),
    Kind.TOKEN_REFRESH_FAILED: KindSettings(
        None,
        "",
        None,
        "Open the connection and reconnect it: syncs through it stop until then.",
    ),
    Kind.MAPPING_DRIFT: KindSettings(
        None,
        "",
        None,
        "Open the mapping: its problem list says which rule or field to fix. The flow does "
        "not write with an unhealthy mapping.",
    ),
    Kind.DAILY_BUDGET: KindSettings(
        Bounds(10, 1, 99),
        "% of the daily API budget left (alert below this)",
        Bounds(24 * 60, 60, 48 * 60),
        "Runs wait for the daily reset when the budget is spent. Spread large backfills "
        "over several days or poll less often.",
    ),
}
WINDOW_LABEL = {
    Kind.ERROR_RATE: "minutes of API calls to look at",
    Kind.DAILY_BUDGET: "minutes: how old the last reading of the budget may be",
}


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
        _incidents_close_quietly(rule, was_kind)
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
    _incidents_close_quietly(rule, rule.kind)
    rule.delete()


def _incidents_close_quietly(rule: AlertRule, kind: str) -> None:
    incidents = rule.incidents.filter(resolved_at=None)
    subjects = [_alert_subject(rule, s) for s in incidents.values_list("subject", flat=True)]
    incidents.update(resolved_at=timezone.now())
    if kind != Kind.TOKEN_REFRESH_FAILED:
        alert_resolve_subjects(workspace_id=rule.workspace_id, kind=kind, subjects=subjects)


# --- the pure decisions: plain rows in, breaches out ---------------------------------------
@dataclass(frozen=True)
class Breach:
    subject: str  # "flow:12", "connection:3"
    title: str  # "Flow “Shop → CRM”: runs failing"
    message: str  # what is wrong, in a sentence or two
    value: float
    level: str = Level.BREACH
    flow_id: int | None = None
    connection_id: int | None = None


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _since(when: datetime) -> str:
    return f"{when:%Y-%m-%d %H:%M} UTC"


def failed_runs_breaches(rows: Iterable[dict], *, threshold: int) -> dict[str, Breach]:
    """rows: {"flow_id", "name", "streak", "last_message"}, the streak being the flow's
    failed or partly failed runs since its last successful one. At the threshold: a breach
    (the flow is paused); one short of it: a warning."""
    breaches = {}
    for row in rows:
        streak, name = row["streak"], row["name"]
        last = f" The last one said: {row['last_message'][:300]}" if row["last_message"] else ""
        if streak >= threshold:
            level = Level.BREACH
            message = (
                f"Flow “{name}” failed {streak} runs in a row, so it is paused and runs no "
                f"more until someone resumes it.{last}"
            )
        elif threshold >= 2 and streak == threshold - 1:
            level = Level.WARNING
            message = (
                f"Flow “{name}” failed {streak} runs in a row. If the next run fails too, the "
                f"flow will be paused automatically.{last}"
            )
        else:
            continue
        subject = f"flow:{row['flow_id']}"
        breaches[subject] = Breach(
            subject,
            f"Flow “{name}”: runs failing",
            message,
            streak,
            level=level,
            flow_id=row["flow_id"],
        )
    return breaches


def error_rate_breaches(
    rows: Iterable[dict], *, percent: int, min_calls: int, window_minutes: int
) -> dict[str, Breach]:
    """rows: {"connection_id", "name", "calls", "errors"} over the window. A window with
    fewer than `min_calls` calls is not judged."""
    breaches = {}
    for row in rows:
        calls, errors = row["calls"], row["errors"]
        if calls < max(min_calls, 1) or errors * 100 <= percent * calls:
            continue
        rate = round(errors * 100 / calls, 1)
        subject = f"connection:{row['connection_id']}"
        breaches[subject] = Breach(
            subject,
            f"Connection “{row['name']}”: API errors",
            f"{errors} of the last {calls} API calls of “{row['name']}” failed in "
            f"{window_minutes} minutes ({rate:g} %, above {percent} %).",
            rate,
            connection_id=row["connection_id"],
        )
    return breaches


def lag_breaches(rows: Iterable[dict], *, minutes: int, now: datetime) -> dict[str, Breach]:
    """rows: {"flow_id", "name", "oldest", "waiting"}: the received_at of a flow's oldest
    pending change, and how many are pending."""
    breaches = {}
    for row in rows:
        age = _minutes(now - row["oldest"])
        if age <= minutes:
            continue
        subject = f"flow:{row['flow_id']}"
        breaches[subject] = Breach(
            subject,
            f"Flow “{row['name']}”: changes waiting",
            f"{row['waiting']} change(s) of flow “{row['name']}” are waiting; the oldest "
            f"arrived {age} minutes ago ({_since(row['oldest'])}), over the {minutes} allowed.",
            age,
            flow_id=row["flow_id"],
        )
    return breaches


def run_stuck_breaches(rows: Iterable[dict], *, minutes: int, now: datetime) -> dict[str, Breach]:
    """rows: {"flow_id", "name", "run_id", "status", "queued_at", "started_at",
    "heartbeat_at"} of queued and running runs. A run is stuck when its latest sign of life
    (queued, started, heartbeat) is older than `minutes`; the worst run per flow counts."""
    breaches: dict[str, Breach] = {}
    for row in rows:
        signs = [row[k] for k in ("queued_at", "started_at", "heartbeat_at") if row[k]]
        if not signs:
            continue
        last = max(signs)
        idle = _minutes(now - last)
        subject = f"flow:{row['flow_id']}"
        if idle <= minutes or (subject in breaches and breaches[subject].value >= idle):
            continue
        state = "queued, no worker took it" if row["status"] == "queued" else "running"
        breaches[subject] = Breach(
            subject,
            f"Flow “{row['name']}”: run stuck",
            f"Run #{row['run_id']} of flow “{row['name']}” is {state}, with no sign of life "
            f"for {idle} minutes (since {_since(last)}).",
            idle,
            flow_id=row["flow_id"],
        )
    return breaches


def token_refresh_breaches(rows: Iterable[dict]) -> dict[str, Breach]:
    """rows: {"connection_id", "name", "message"} of the open token-refresh alerts (raised
    by integrations.token_health): the rule mirrors them."""
    breaches = {}
    for row in rows:
        subject = f"connection:{row['connection_id']}"
        breaches[subject] = Breach(
            subject,
            f"Connection “{row['name']}”: token refresh failed",
            row["message"],
            1,
            connection_id=row["connection_id"],
        )
    return breaches


def mapping_drift_breaches(rows: Iterable[dict]) -> dict[str, Breach]:
    """rows: {"flow_id", "name", "mapping_name", "problems"}: the mapping's problems as
    stored by its last save or drift check (empty: healthy)."""
    breaches = {}
    for row in rows:
        problems = [p for p in row["problems"] or [] if isinstance(p, dict)]
        if not problems:
            continue
        reasons = "; ".join(
            str(p.get("reason") or p.get("field") or "a problem")[:150] for p in problems[:3]
        )
        more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
        subject = f"flow:{row['flow_id']}"
        breaches[subject] = Breach(
            subject,
            f"Flow “{row['name']}”: mapping unhealthy",
            f"The mapping “{row['mapping_name']}” of flow “{row['name']}” has "
            f"{len(problems)} problem(s): {reasons}{more}.",
            len(problems),
            flow_id=row["flow_id"],
        )
    return breaches


DAILY_LIMIT_HEADER = "x-ratelimit-limit-daily"
DAILY_REMAINING_HEADER = "x-ratelimit-daily-remaining"


def daily_budget_breaches(rows: Iterable[dict], *, percent: int) -> dict[str, Breach]:
    """rows: {"connection_id", "name", "rate_limit", "at"}: the latest rate-limit headers
    of each connection (names in any case). Below `percent` % of the daily limit left is a
    breach; a reading without both numbers says nothing."""
    breaches = {}
    for row in rows:
        headers = {str(k).lower(): v for k, v in (row["rate_limit"] or {}).items()}
        try:
            limit = int(headers[DAILY_LIMIT_HEADER])
            remaining = int(headers[DAILY_REMAINING_HEADER])
        except (KeyError, TypeError, ValueError):
            continue
        if limit <= 0 or remaining * 100 >= percent * limit:
            continue
        left = round(max(remaining, 0) * 100 / limit, 1)
        subject = f"connection:{row['connection_id']}"
        breaches[subject] = Breach(
            subject,
            f"Connection “{row['name']}”: daily API budget nearly spent",
            f"“{row['name']}” had {max(remaining, 0):,} of its {limit:,} daily API calls left "
            f"({left:g} %, below {percent} %) at {_since(row['at'])}.",
            left,
            connection_id=row["connection_id"],
        )
    return breaches


# --- reading the rows: a fixed number of queries per rule -----------------------------------
FAILING = [Run.Status.FAILED, Run.Status.PARTIAL]


def _threshold(rule: AlertRule) -> int:
    # A rule saved without the services (admin, shell) still has the kind's default.
    return rule.threshold or KIND_SETTINGS[rule.kind].threshold.default


def _window(rule: AlertRule) -> int:
    return rule.window_minutes or KIND_SETTINGS[rule.kind].window.default


def _detect_failed_runs(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    runs = Run.objects.filter(flow=OuterRef("pk"))
    # Runs are compared by id: ids grow in the order runs were queued.
    last_ok = runs.filter(status=Run.Status.SUCCEEDED).order_by("-pk").values("pk")[:1]
    last_failure = runs.filter(status__in=FAILING).order_by("-pk").values("message")[:1]
    rows = (
        Flow.objects.filter(workspace_id=rule.workspace_id)
        .annotate(last_ok=Coalesce(Subquery(last_ok), 0))
        .annotate(
            streak=Count("runs", filter=Q(runs__status__in=FAILING, runs__pk__gt=F("last_ok")))
        )
        .filter(streak__gte=max(_threshold(rule) - 1, 1))
        .annotate(last_message=Subquery(last_failure))
        .values("name", "streak", "last_message", flow_id=F("pk"))
    )
    return failed_runs_breaches(rows, threshold=_threshold(rule))


def _detect_error_rate(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    rows = (
        ApiCall.objects.filter(
            workspace_id=rule.workspace_id,
            connection__isnull=False,
            at__gt=now - timedelta(minutes=_window(rule)),
            at__lte=now,
        )
        .values("connection_id", name=F("connection__name"))
        .annotate(calls=Count("pk"), errors=Count("pk", filter=~Q(error_kind="")))
        .order_by()
    )
    return error_rate_breaches(
        rows,
        percent=_threshold(rule),
        min_calls=rule.min_calls,
        window_minutes=_window(rule),
    )


def _detect_lag(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    # A paused flow is not expected to apply anything: its pause was deliberate (or alerted).
    rows = (
        PendingChange.objects.filter(
            flow__workspace_id=rule.workspace_id,
            flow__enabled=True,
            status=PendingChange.Status.PENDING,
        )
        .values("flow_id", name=F("flow__name"))
        .annotate(oldest=Min("received_at"), waiting=Count("pk"))
        .order_by()
    )
    return lag_breaches(rows, minutes=_threshold(rule), now=now)


def _detect_run_stuck(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    # "Waiting for budget" is not stuck: it waits for the daily reset on purpose.
    rows = Run.objects.filter(
        flow__workspace_id=rule.workspace_id,
        flow__enabled=True,
        status__in=[Run.Status.QUEUED, Run.Status.RUNNING],
    ).values(
        "flow_id",
        "status",
        "queued_at",
        "started_at",
        "heartbeat_at",
        name=F("flow__name"),
        run_id=F("pk"),
    )
    return run_stuck_breaches(rows, minutes=_threshold(rule), now=now)


def _detect_token_refresh_failed(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    rows = Alert.objects.filter(
        workspace_id=rule.workspace_id,
        kind=Alert.Kind.TOKEN_REFRESH_FAILED,
        resolved_at=None,
        connection__isnull=False,
    ).values("connection_id", "message", name=F("connection__name"))
    return token_refresh_breaches(rows)


def _detect_mapping_drift(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    rows = (
        Flow.objects.filter(workspace_id=rule.workspace_id)
        .exclude(mapping__problems=[])
        .values(
            "name",
            flow_id=F("pk"),
            mapping_name=F("mapping__name"),
            problems=F("mapping__problems"),
        )
    )
    return mapping_drift_breaches(rows)


def _detect_daily_budget(rule: AlertRule, now: datetime) -> dict[str, Breach]:
    with_daily = Q(rate_limit__has_key="X-RateLimit-Daily-Remaining") | Q(
        rate_limit__has_key=DAILY_REMAINING_HEADER
    )
    latest = (
        ApiCall.objects.filter(
            with_daily,
            workspace_id=rule.workspace_id,
            connection__isnull=False,
            at__gt=now - timedelta(minutes=_window(rule)),
            at__lte=now,
        )
        .values("connection_id")
        .annotate(last=Max("pk"))
        .values("last")
    )
    rows = ApiCall.objects.filter(pk__in=Subquery(latest)).values(
        "connection_id", "rate_limit", "at", name=F("connection__name")
    )
    return daily_budget_breaches(rows, percent=_threshold(rule))


DETECTORS: dict[str, Callable[[AlertRule, datetime], dict[str, Breach]]] = {
    Kind.FAILED_RUNS: _detect_failed_runs,
    Kind.ERROR_RATE: _detect_error_rate,
    Kind.LAG: _detect_lag,
    Kind.RUN_STUCK: _detect_run_stuck,
    Kind.TOKEN_REFRESH_FAILED: _detect_token_refresh_failed,
    Kind.MAPPING_DRIFT: _detect_mapping_drift,
    Kind.DAILY_BUDGET: _detect_daily_budget,
}


# --- incidents: open, keep, escalate, resolve ------------------------------------------------
def alert_rules_evaluate(*, now: datetime | None = None) -> dict[str, int]:
    """Check every enabled rule once; returns counts of what changed. A rule that cannot be
    evaluated is logged and skipped: it never stops the others."""
    now = now or timezone.now()
    counts = dict.fromkeys(
        ("rules", "opened", "warned", "escalated", "kept", "resolved", "paused", "errors"), 0
    )
    for rule in AlertRule.objects.filter(enabled=True).order_by("pk"):
        counts["rules"] += 1
        try:
            breaches = DETECTORS[rule.kind](rule, now)
            _apply(rule, breaches, now, counts)
        except Exception:
            logger.exception("Alert rule %s (%s) could not be evaluated.", rule.pk, rule.kind)
            counts["errors"] += 1
    return counts


def _apply(rule: AlertRule, breaches: dict[str, Breach], now: datetime, counts: dict) -> None:
    open_incidents = {i.subject: i for i in rule.incidents.filter(resolved_at=None)}
    kept = []
    for subject, breach in breaches.items():
        incident = open_incidents.get(subject)
        if incident is None:
            if _incident_open(rule, breach, now, counts):
                counts["warned" if breach.level == Level.WARNING else "opened"] += 1
        elif incident.level == Level.WARNING and breach.level == Level.BREACH:
            if _incident_escalate(rule, incident, breach, now, counts):
                counts["escalated"] += 1
        else:
            # Still in breach: the value moves, nobody is told again.
            incident.last_value, incident.message = breach.value, breach.message
            incident.last_seen_at = now
            kept.append(incident)
    if kept:
        AlertIncident.objects.bulk_update(kept, ["last_value", "message", "last_seen_at"])
        counts["kept"] += len(kept)
    for subject, incident in open_incidents.items():
        if subject not in breaches and _incident_resolve(rule, incident, now):
            counts["resolved"] += 1


def _channels(rule: AlertRule) -> list[str]:
    channels = []
    if rule.email_recipients:
        channels.append(AlertDelivery.Channel.EMAIL)
    if rule.webhook_url:
        channels.append(AlertDelivery.Channel.WEBHOOK)
    return channels


def _deliveries_create(
    incident: AlertIncident, event: str, now: datetime, channels: Iterable[str]
) -> None:
    AlertDelivery.objects.bulk_create(
        AlertDelivery(incident=incident, channel=channel, event=event, next_attempt_at=now)
        for channel in channels
    )


def _alert_subject(rule: AlertRule, subject: str) -> str:
    # Two rules of one kind (say with other thresholds) each keep an alert of their own.
    return f"{subject} rule:{rule.pk}"


def _dashboard_alert_raise(rule: AlertRule, incident: AlertIncident, breach: Breach) -> None:
    if rule.kind == Kind.TOKEN_REFRESH_FAILED:
        return  # that alert is integrations' own; the rule only mirrors it
    connection = None
    if breach.connection_id is not None:
        connection = Connection.objects.filter(pk=breach.connection_id).first()
    alert_raise(
        kind=rule.kind,
        message=breach.message,
        connection=connection,
        workspace=rule.workspace,
        subject=_alert_subject(rule, incident.subject),
    )


def _flow_pause(rule: AlertRule, breach: Breach) -> bool:
    """Pause the flow of a failed-runs breach; False if it was paused already."""
    flow = Flow.objects.filter(pk=breach.flow_id).first()
    if flow is None or not flow.enabled:
        return False
    page = reverse("sync:flow-detail", args=[flow.workspace_id, flow.pk])
    reason = (
        f"Paused automatically after {int(breach.value)} failed runs in a row (alert rule "
        f"“{rule}”, at {_threshold(rule)}). See the latest run for the cause, fix it, then press "
        f"Resume on this flow's page ({page})."
    )
    flow_pause(flow=flow, reason=reason)
    return True


def _consequences(rule: AlertRule, incident: AlertIncident, breach: Breach, counts: dict) -> None:
    _dashboard_alert_raise(rule, incident, breach)
    if rule.kind == Kind.FAILED_RUNS and breach.level == Level.BREACH and _flow_pause(rule, breach):
        counts["paused"] += 1


def _incident_open(rule: AlertRule, breach: Breach, now: datetime, counts: dict) -> bool:
    event = (
        AlertDelivery.Event.WARNING if breach.level == Level.WARNING else AlertDelivery.Event.OPENED
    )
    try:
        with transaction.atomic():
            incident = AlertIncident.objects.create(
                rule=rule,
                subject=breach.subject,
                title=breach.title[:200],
                level=breach.level,
                message=breach.message,
                last_value=breach.value,
                opened_at=now,
                last_seen_at=now,
            )
            _deliveries_create(incident, event, now, _channels(rule))
            _consequences(rule, incident, breach, counts)
    except IntegrityError:
        return False  # another evaluation opened it at the same moment: one incident
    return True


def _incident_escalate(
    rule: AlertRule, incident: AlertIncident, breach: Breach, now: datetime, counts: dict
) -> bool:
    """A warning that came true: the "opened" notice, and the flow is paused."""
    with transaction.atomic():
        escalated = AlertIncident.objects.filter(
            pk=incident.pk, level=Level.WARNING, resolved_at=None
        ).update(
            level=Level.BREACH,
            title=breach.title[:200],
            message=breach.message,
            last_value=breach.value,
            last_seen_at=now,
        )
        if not escalated:
            return False  # another evaluation got there first
        _deliveries_create(incident, AlertDelivery.Event.OPENED, now, _channels(rule))
        _consequences(rule, incident, breach, counts)
    return True


def _incident_resolve(rule: AlertRule, incident: AlertIncident, now: datetime) -> bool:
    """The "resolved" notice goes to each channel that heard of the incident."""
    with transaction.atomic():
        resolved = AlertIncident.objects.filter(pk=incident.pk, resolved_at=None).update(
            resolved_at=now, last_seen_at=now
        )
        if not resolved:
            return False
        told = set(incident.deliveries.values_list("channel", flat=True))
        channels = [c for c in _channels(rule) if c in told]
        _deliveries_create(incident, AlertDelivery.Event.RESOLVED, now, channels)
        if rule.kind != Kind.TOKEN_REFRESH_FAILED:
            alert_resolve_subjects(
                workspace_id=rule.workspace_id,
                kind=rule.kind,
                subjects=[_alert_subject(rule, incident.subject)],
            )
    return True
