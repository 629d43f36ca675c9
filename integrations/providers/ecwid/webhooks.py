"""Verifying Ecwid webhooks.

Ecwid posts one event per request (no batches), so each delivery is one inbox row keyed by
its `eventId`. The signature is `X-Ecwid-Webhook-Signature` = Base64(HMAC-SHA256(key = the
app's client_secret, message = "{eventCreated}.{eventId}")). The body is NOT signed: only
the event's id and time are authenticated, so the body is treated as a hint (the engine
reads the customer itself by `entityId`), and an event id is stored once, whatever body
arrives with it later.

Freshness: Ecwid retries a failed delivery for 24 hours (its FAQ says 48) with the original
`eventCreated`, so an age limit of minutes would turn every retry after an outage into a
401 and lose the event. Events older than `MAX_AGE` (48 h plus margin) or from the future
beyond WEBHOOK_MAX_AGE_SECONDS of clock skew are refused.
Source: Ecwid API docs, webhooks (Ecwid/ecwid-api-docs `_webhooks.md`); docs/providers/ecwid.md.
"""

import base64
import binascii
import hashlib
import hmac
import re
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from integrations import jsonsafe
from integrations.models import Connection
from integrations.providers.base import VerifiedEvent, WebhookRejected
from integrations.providers.ecwid import auth

SIGNATURE_HEADER = "X-Ecwid-Webhook-Signature"
MAX_AGE = timedelta(hours=49)


def expected_signature(client_secret: str, event_created, event_id) -> bytes:
    message = f"{event_created}.{event_id}".encode()
    return hmac.new(client_secret.encode(), message, hashlib.sha256).digest()


STORE_ID = re.compile(r"[0-9]{1,20}")


def _parse(body: bytes) -> dict:
    try:
        payload = jsonsafe.loads(body)
    except jsonsafe.JSONRejected as error:
        raise WebhookRejected("malformed", f"The body is not JSON we can read: {error}") from None
    if not isinstance(payload, dict):
        raise WebhookRejected("malformed", "The body is not a JSON object.")
    for key in ("eventId", "eventCreated", "storeId", "eventType"):
        if payload.get(key) in (None, ""):
            raise WebhookRejected("malformed", f"{key} is missing.")
    if isinstance(payload["eventCreated"], bool) or not isinstance(payload["eventCreated"], int):
        raise WebhookRejected("malformed", "eventCreated must be a UNIX timestamp.")
    # ASCII digits of a sane length only: str.isdigit() is true for "²" and "٣", which int()
    # refuses, and a 5,000-digit id is no store's.
    if not STORE_ID.fullmatch(str(payload["storeId"])):
        raise WebhookRejected("malformed", "storeId must be a store number (up to 20 digits).")
    if not isinstance(payload["eventId"], str) or len(payload["eventId"]) > 200:
        raise WebhookRejected("malformed", "eventId must be a text of at most 200 characters.")
    return payload


def _connections(store_id: str) -> list[Connection]:
    # store_id is saved as text by the form, but a number typed into JSON must match too.
    return list(
        Connection.objects.filter(provider="ecwid").filter(
            Q(settings__store_id=store_id) | Q(settings__store_id=int(store_id))
        )
    )


def verify(body: bytes, headers) -> VerifiedEvent:
    """Return the verified event or raise WebhookRejected (nothing of it may be stored)."""
    payload = _parse(body)
    store_id = str(payload["storeId"])
    connections = _connections(store_id)
    if not connections:
        raise WebhookRejected("unknown_account", f"No Ecwid connection has store {store_id}.")
    secrets = [(c, auth.client_secret(c)) for c in connections]
    if not any(secret for _, secret in secrets):
        raise WebhookRejected(
            "no_secret",
            f"The connections of store {store_id} have no client secret to verify with.",
        )
    try:
        received = base64.b64decode(headers.get(SIGNATURE_HEADER) or "", validate=True)
    except (binascii.Error, ValueError):
        received = b""
    created, event_id = payload["eventCreated"], payload["eventId"]
    matched = [
        connection
        for connection, secret in secrets
        if secret
        and received
        and hmac.compare_digest(received, expected_signature(secret, created, event_id))
    ]
    if not matched:
        raise WebhookRejected("bad_signature", "The signature does not match the event.")
    now = time.time()
    if not (now - MAX_AGE.total_seconds() <= created <= now + settings.WEBHOOK_MAX_AGE_SECONDS):
        raise WebhookRejected("stale", "eventCreated is outside the accepted window.")
    return VerifiedEvent(
        event_id=str(event_id),
        event_type=str(payload["eventType"]),
        payload=payload,
        connections=matched,
    )
