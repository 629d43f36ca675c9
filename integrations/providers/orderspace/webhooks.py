"""Verifying Orderspace webhooks.

Orderspace signs the raw body: `X-Orderspace-Signature` = Base64(HMAC-SHA256(signing_key,
body)), the key being the `signing_key` it generated for the webhook. The body names no
account, so the connection(s) an event is for are those whose stored `webhook_signing_key`
produces the signature (compared in constant time, on the bytes received).

A delivery is a JSON array of up to 50 events, possibly of mixed types. One delivery is one
inbox row: `payload = {"events": [...]}`, `event_type` the events' common type or "mixed".
Orderspace sends no delivery id and no timestamp, so the id is the SHA-256 of the body: a
retried delivery (same bytes) is stored once, and so is a replay of a body already received.
A stale-timestamp check is impossible without a timestamp; the signature is the only guard.
Source: Orderspace API docs, webhooks (see docs/providers/orderspace.md).
"""

import base64
import binascii
import hashlib
import hmac

from integrations import jsonsafe
from integrations.models import Connection
from integrations.providers.base import VerifiedEvent, WebhookRejected

HEADER = "X-Orderspace-Signature"
MAX_EVENTS = 50


def sign(signing_key: str, body: bytes) -> str:
    digest = hmac.new(signing_key.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _signature(headers) -> bytes:
    value = (headers.get(HEADER) or "").strip()
    if not value:
        raise WebhookRejected("bad_signature", f"The {HEADER} header is missing.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRejected("bad_signature", f"{HEADER} is not Base64.") from None


def _events(body: bytes) -> list[dict]:
    try:
        events = jsonsafe.loads(body)
    except jsonsafe.JSONRejected as error:
        raise WebhookRejected("malformed", f"The body is not JSON we can read: {error}") from None
    if not isinstance(events, list) or not events:
        raise WebhookRejected("malformed", "The body must be a JSON array of events.")
    if len(events) > MAX_EVENTS:
        raise WebhookRejected("malformed", f"More than {MAX_EVENTS} events in one delivery.")
    for event in events:
        if not (
            isinstance(event, dict)
            and isinstance(event.get("event"), str)
            and isinstance(event.get("data"), dict)
        ):
            raise WebhookRejected("malformed", "Every event needs an `event` name and `data`.")
    return events


def verify(body: bytes, headers) -> VerifiedEvent:
    """Return the verified delivery or raise WebhookRejected (nothing of it may be stored)."""
    signature = _signature(headers)
    candidates = [
        (connection, connection.get_credentials().get("webhook_signing_key"))
        for connection in Connection.objects.filter(provider="orderspace")
    ]
    candidates = [(connection, key) for connection, key in candidates if key]
    if not candidates:
        raise WebhookRejected(
            "unknown_account", "No Orderspace connection has a webhook signing key."
        )
    connections = [
        connection
        for connection, key in candidates
        if hmac.compare_digest(hmac.new(key.encode(), body, hashlib.sha256).digest(), signature)
    ]
    if not connections:
        raise WebhookRejected(
            "bad_signature", "The signature matches no Orderspace connection's signing key."
        )
    events = _events(body)
    types = {event["event"] for event in events}
    return VerifiedEvent(
        event_id="sha256:" + hashlib.sha256(body).hexdigest(),
        event_type=types.pop() if len(types) == 1 else "mixed",
        payload={"events": events},
        connections=connections,
    )
