"""Incidents: open, keep, escalate, resolve. Per subject of a rule:

- a new breach opens an incident: one notice per channel (AlertDelivery rows, sent by
  `diagnostics.notify`) and an alert on the dashboard (alerts.Alert);
- a breach that lasts keeps its incident open and only updates its value: no new notice,
  however often the rules are evaluated (no alert storms);
- a breach that is gone resolves the incident: one "resolved" notice per channel that was
  told, and the dashboard alert is resolved.

At the failed-runs threshold the flow is paused (the one kind with a consequence).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from alerts.services import alert_raise, alert_resolve_subjects
from diagnostics.alerting.breaches import Breach
from diagnostics.alerting.detectors import DETECTORS, rule_threshold
from diagnostics.alerting.kinds import Kind
from diagnostics.models import AlertDelivery, AlertIncident, AlertRule
from integrations.models import Connection
from sync.models import Flow

# Diagnostics reads everyone's rows but writes none of sync's, with one exception the
# Diagnostics issue asks for: pausing a flow after repeated failures. That goes through
# sync's own service, so the pause is the same as a person pressing "Pause".
from sync.services import flow_pause

logger = logging.getLogger(__name__)

Level = AlertIncident.Level


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
        f"“{rule}”, at {rule_threshold(rule)}). See the latest run for the cause, fix it, "
        f"then press Resume on this flow's page ({page})."
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


def incidents_close_quietly(rule: AlertRule, kind: str) -> None:
    """Resolve the rule's open incidents (as of `kind`, the kind they were opened under)
    without a notice, and their dashboard alerts: the rule was changed or deleted."""
    incidents = rule.incidents.filter(resolved_at=None)
    subjects = [_alert_subject(rule, s) for s in incidents.values_list("subject", flat=True)]
    incidents.update(resolved_at=timezone.now())
    if kind != Kind.TOKEN_REFRESH_FAILED:
        alert_resolve_subjects(workspace_id=rule.workspace_id, kind=kind, subjects=subjects)
