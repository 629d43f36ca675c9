"""Sending alert notices: the AlertDelivery rows `diagnostics.alerting` writes, by e-mail and
by a signed webhook. A beat task calls `alert_deliveries_send()` every minute.

Each delivery is claimed with a conditional update (its attempt count moves on only if no
other worker moved it first), so two workers never send the same notice; a worker that dies
mid-send leaves a claim that lapses after CLAIM_LEASE, and the notice is tried again (at
least once, never silently lost). A failure is retried with backoff (BACKOFF), and after
MAX_ATTEMPTS the delivery is failed with its error kept and an alert on the dashboard. An
answer that retrying cannot change (a refused address, a 4xx) fails at once.

The webhook
-----------
A POST of JSON to the rule's URL, through the guarded session (`integrations.http`: no
private or loopback addresses unless INTEGRATIONS_ALLOW_PRIVATE_IPS), with a short timeout::

    {"id": 41, "event": "opened" | "warning" | "resolved",
     "rule": {"id": 7, "kind": "failed_runs"}, "workspace": 3,
     "subject": "flow:12", "title": "...", "message": "...",
     "opened_at": "2026-12-06T23:40:00+00:00", "resolved_at": null, "value": 3.0}

`id` stays the same when a notice is retried: receivers can use it to drop repeats.
Two headers sign it::

    X-ContactBridge-Timestamp: 1796600400                (Unix seconds when it was sent)
    X-ContactBridge-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">

keyed with the rule's signing secret (shown once when the rule was created). To verify,
on the raw request body as received (not re-serialised JSON)::

    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    ok = hmac.compare_digest("sha256=" + expected.hexdigest(), signature_header)

and refuse timestamps more than 5 minutes from your clock, so a captured request cannot
be replayed later. Answer 2xx to accept; a 5xx, 408, 425 or 429 (or no answer within
10 seconds) is retried, any other answer is not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from alerts.models import Alert
from alerts.services import alert_raise, alert_resolve_subjects
from diagnostics.alerting import KIND_SETTINGS
from diagnostics.models import AlertDelivery
from integrations.crypto import CredentialsUnreadable
from integrations.errors import IntegrationError, TransientError
from integrations.http import body_excerpt, build_session

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Wait after the 1st, 2nd, 3rd and 4th failed attempt (Saleor-like: a short outage of the
# receiver costs minutes, a long one gives up after about an hour and a half).
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
)
CLAIM_LEASE = timedelta(minutes=5)  # longer than any send may take (timeouts below)
WEBHOOK_TIMEOUT = (3.0, 10.0)  # connect, read
EMAIL_TIMEOUT = 10.0
BATCH = 100
SEND_FOR_SECONDS = 30.0  # then leave the rest to the next beat (a task has 60 s)

TIMESTAMP_HEADER = "X-ContactBridge-Timestamp"
SIGNATURE_HEADER = "X-ContactBridge-Signature"

Event = AlertDelivery.Event
EVENT_WORDS = {Event.OPENED: "Alert", Event.WARNING: "Warning", Event.RESOLVED: "Resolved"}


class DeliveryFailed(Exception):
    """A notice that did not go out; `permanent`: trying again would fail the same way."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


# --- what is said -------------------------------------------------------------------------
def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def _utc(when: datetime) -> str:
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def notice_text(delivery: AlertDelivery) -> str:
    incident = delivery.incident
    if delivery.event == Event.RESOLVED and incident.resolved_at:
        return (
            f"Resolved at {_utc(incident.resolved_at)}: {incident.title} is back to normal. "
            f"(It was: {incident.message})"
        )
    return incident.message


def dashboard_url(workspace_id: int) -> str:
    return settings.SITE_URL + reverse("diagnostics:dashboard", args=[workspace_id])


def notice_email(delivery: AlertDelivery) -> tuple[str, str]:
    """The subject and plain-text body: what happened, since when, what to do, where to look."""
    incident = delivery.incident
    rule = incident.rule
    title = " ".join(incident.title.split())  # a header: no line breaks
    subject = f"[ContactBridge] {EVENT_WORDS[delivery.event]}: {title}"
    lines = [notice_text(delivery), ""]
    lines.append(f"Rule: {rule.get_kind_display()}")
    lines.append(f"Since: {_utc(incident.opened_at)}")
    if delivery.event == Event.RESOLVED:
        lines.append(f"Resolved: {_utc(incident.resolved_at or timezone.now())}")
        lines.append("What to do: nothing, this closes the alert.")
    else:
        lines.append(f"What to do: {KIND_SETTINGS[rule.kind].advice}")
    lines.append(f"Diagnostics: {dashboard_url(rule.workspace_id)}")
    lines += ["", "You get this because your address is on this alert rule in ContactBridge."]
    return subject[:250], "\n".join(lines)


def webhook_payload(delivery: AlertDelivery) -> dict:
    incident = delivery.incident
    rule = incident.rule
    return {
        "id": delivery.pk,
        "event": delivery.event,
        "rule": {"id": rule.pk, "kind": rule.kind},
        "workspace": rule.workspace_id,
        "subject": incident.subject,
        "title": incident.title,
        "message": notice_text(delivery),
        "opened_at": _iso(incident.opened_at),
        "resolved_at": _iso(incident.resolved_at) if delivery.event == Event.RESOLVED else None,
        "value": incident.last_value,
    }


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


# --- sending --------------------------------------------------------------------------------
def alert_deliveries_send(
    *, now: datetime | None = None, limit: int = BATCH, seconds: float = SEND_FOR_SECONDS
) -> int:
    """Send the deliveries that are due; returns how many went out. Never raises for one
    notice: its failure is recorded on its row. Starts no new send after `seconds`, so a
    slow receiver cannot run the task into its time limit (the rest wait for the next beat)."""
    now = now or timezone.now()
    stop_at = time.monotonic() + seconds
    due = list(
        AlertDelivery.objects.filter(status=AlertDelivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "attempts")[:limit]
    )
    sent = 0
    for pk, attempts in due:
        if time.monotonic() > stop_at:
            break
        if not alert_delivery_claim(pk=pk, attempts=attempts, now=now):
            continue  # another worker has it
        delivery = AlertDelivery.objects.select_related("incident__rule").get(pk=pk)
        try:
            _send(delivery)
        except DeliveryFailed as error:
            _failure_record(delivery, str(error), permanent=error.permanent, now=now)
        except Exception as error:
            logger.exception("Alert delivery %s failed unexpectedly.", pk)
            _failure_record(delivery, f"Unexpected error: {error}"[:500], permanent=False, now=now)
        else:
            _success_record(delivery)
            sent += 1
    return sent


def alert_delivery_claim(*, pk: int, attempts: int, now: datetime) -> bool:
    """Take one due delivery: counts the attempt and holds it for CLAIM_LEASE, only if it is
    still pending, due, and at the attempt count the caller saw. True if this caller won."""
    return bool(
        AlertDelivery.objects.filter(
            pk=pk,
            status=AlertDelivery.Status.PENDING,
            attempts=attempts,
            next_attempt_at__lte=now,
        ).update(attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE)
    )


def _send(delivery: AlertDelivery) -> None:
    if delivery.channel == AlertDelivery.Channel.EMAIL:
        _send_email(delivery)
    else:
        _send_webhook(delivery)


def _send_email(delivery: AlertDelivery) -> None:
    recipients = delivery.incident.rule.email_recipients
    if not recipients:
        raise DeliveryFailed("The rule has no e-mail address any more.", permanent=True)
    subject, body = notice_email(delivery)
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or EMAIL_TIMEOUT
    try:
        send_mail(
            subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            recipients,
            connection=get_connection(timeout=timeout),
        )
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryFailed(f"The mail server did not take the message: {error}") from None


def _send_webhook(delivery: AlertDelivery) -> None:
    rule = delivery.incident.rule
    if not rule.webhook_url:
        raise DeliveryFailed("The rule has no webhook URL any more.", permanent=True)
    try:
        secret = rule.get_webhook_secret()
    except CredentialsUnreadable as error:
        raise DeliveryFailed(
            f"The signing secret cannot be read: {error}", permanent=True
        ) from None
    if not secret:
        raise DeliveryFailed(
            "The rule has no signing secret: make a new one on the rule.", permanent=True
        )
    body = json.dumps(webhook_payload(delivery), separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: webhook_signature(secret, timestamp, body),
    }
    session = build_session()
    try:
        response = session.post(
            rule.webhook_url,
            data=body,
            headers=headers,
            timeout=WEBHOOK_TIMEOUT,
            allow_redirects=False,  # a redirect could lead anywhere: the URL is the address
        )
    except TransientError as error:
        raise DeliveryFailed(str(error)) from None
    except IntegrationError as error:  # a refused address, a bad URL, TLS
        raise DeliveryFailed(str(error), permanent=True) from None
    finally:
        session.close()
    status = response.status_code
    if 200 <= status < 300:
        return
    excerpt = body_excerpt(response)[:300]
    message = f"The receiver answered {status}" + (f": {excerpt}" if excerpt else ".")
    if status >= 500 or status in (408, 425, 429):
        raise DeliveryFailed(message)
    raise DeliveryFailed(f"{message} Not retried: fix the receiver.", permanent=True)


def _delivery_alert_subject(delivery: AlertDelivery) -> str:
    return f"rule:{delivery.incident.rule_id} {delivery.channel}"


def _success_record(delivery: AlertDelivery) -> None:
    AlertDelivery.objects.filter(pk=delivery.pk).update(
        status=AlertDelivery.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    alert_resolve_subjects(
        workspace_id=delivery.incident.rule.workspace_id,
        kind=Alert.Kind.ALERT_DELIVERY_FAILED,
        subjects=[_delivery_alert_subject(delivery)],
    )


def _failure_record(delivery: AlertDelivery, error: str, *, permanent: bool, now: datetime):
    """Retry later, or give up: then the row keeps the error and the dashboard says so."""
    if permanent or delivery.attempts >= MAX_ATTEMPTS:
        AlertDelivery.objects.filter(pk=delivery.pk).update(
            status=AlertDelivery.Status.FAILED, last_error=error
        )
        rule = delivery.incident.rule
        alert_raise(
            kind=Alert.Kind.ALERT_DELIVERY_FAILED,
            message=(
                f"An alert ({delivery.incident.title}) could not be sent by "
                f"{delivery.get_channel_display().lower()} after {delivery.attempts} "
                f"attempt(s): {error}"
            ),
            workspace=rule.workspace,
            subject=_delivery_alert_subject(delivery),
        )
        return
    wait = BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
    AlertDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=now + wait, last_error=error
    )
