"""Verifying HighLevel webhooks.

HighLevel signs the raw body twice: `x-ghl-signature` (Ed25519, current) and `x-wh-signature`
(RSA-SHA256, legacy). We check Ed25519 first; when it fails (a rotated or not yet configured
Ed25519 key) and the legacy header is present too, that RSA signature is checked on its own
merits, so a delivery is accepted only if one of HighLevel's keys signed these exact bytes.
Unlike HighLevel's SDK, which never falls back, this keeps events flowing while the Ed25519
key changes (the Hardening issue asks for it). Signatures are checked on the bytes received,
never on re-serialised JSON. Keys: HighLevel's published key by default
(HIGHLEVEL_WEBHOOK_PUBLIC_KEYS), plus any key set on a HighLevel connection of the event's
location (the sandbox's, in dev).
Reference: https://marketplace.gohighlevel.com/docs/webhook/WebhookIntegrationGuide
"""

import base64
import binascii
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from django.conf import settings

from integrations import jsonsafe
from integrations.models import Connection
from integrations.providers.base import VerifiedEvent, WebhookRejected

# Events HighLevel sends for contacts, tasks and notes (Marketplace app webhooks).
EVENT_TYPES = {
    "ContactCreate",
    "ContactUpdate",
    "ContactDelete",
    "ContactTagUpdate",
    "ContactDndUpdate",
    "TaskCreate",
    "TaskComplete",
    "TaskDelete",
    "NoteCreate",
    "NoteUpdate",
    "NoteDelete",
}


def _load_key(text: str):
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return serialization.load_pem_public_key(text.encode())
    return serialization.load_der_public_key(base64.b64decode(text))


def _verify_with(keys: list[str], key_type, signature: bytes, body: bytes) -> bool:
    for text in keys:
        try:
            key = _load_key(text)
        except (ValueError, binascii.Error, TypeError):
            continue
        if not isinstance(key, key_type):
            continue
        try:
            if key_type is ed25519.Ed25519PublicKey:
                key.verify(signature, body)
            else:
                key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
            return True
        except InvalidSignature:
            continue
    return False


def signature_valid(body: bytes, headers, *, ed25519_keys: list[str], rsa_keys: list[str]) -> bool:
    """True when the Ed25519 header verifies, or else the legacy RSA header does."""
    checks = (
        (headers.get("x-ghl-signature"), ed25519_keys, ed25519.Ed25519PublicKey),
        (headers.get("x-wh-signature"), rsa_keys, rsa.RSAPublicKey),
    )
    for header, keys, key_type in checks:
        if not header:
            continue
        try:
            signature = base64.b64decode(header)
        except (binascii.Error, ValueError):
            continue  # garbage in one header must not hide a good signature in the other
        if _verify_with(keys, key_type, signature, body):
            return True
    return False


def _parse_timestamp(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def verify(body: bytes, headers) -> VerifiedEvent:
    """Return the verified event or raise WebhookRejected (nothing of it may be stored)."""
    try:
        payload = jsonsafe.loads(body)
    except jsonsafe.JSONRejected as error:
        raise WebhookRejected("malformed", f"The body is not JSON we can read: {error}") from None
    if not isinstance(payload, dict) or not payload.get("webhookId") or not payload.get("type"):
        raise WebhookRejected("malformed", "webhookId and type are required.")
    location_id = payload.get("locationId") or ""
    connections = list(
        Connection.objects.filter(provider="highlevel", settings__location_id=location_id)
        if location_id
        else []
    )
    ed_keys = list(settings.HIGHLEVEL_WEBHOOK_PUBLIC_KEYS)
    rsa_keys = list(settings.HIGHLEVEL_WEBHOOK_RSA_PUBLIC_KEYS)
    for connection in connections:
        ed_keys += [
            connection.settings[k] for k in ("webhook_public_key",) if connection.settings.get(k)
        ]
        rsa_keys += [
            connection.settings[k]
            for k in ("webhook_rsa_public_key",)
            if connection.settings.get(k)
        ]
    if not signature_valid(body, headers, ed25519_keys=ed_keys, rsa_keys=rsa_keys):
        raise WebhookRejected("bad_signature", "The signature does not match the body.")
    sent_at = _parse_timestamp(payload.get("timestamp"))
    max_age = timedelta(seconds=settings.WEBHOOK_MAX_AGE_SECONDS)
    now = datetime.now(UTC)
    if sent_at is None or not (now - max_age <= sent_at <= now + max_age):
        raise WebhookRejected("stale", "The timestamp is missing or outside the accepted window.")
    return VerifiedEvent(
        event_id=str(payload["webhookId"]),
        event_type=str(payload["type"]),
        payload=payload,
        connections=connections,
    )
