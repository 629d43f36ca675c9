"""Webhooks out: signed JSON POSTs to the app's webhook URL, from a background thread.

Each event is serialised once; the exact bytes are signed both ways HighLevel does:
`x-ghl-signature` is base64 Ed25519 and `x-wh-signature` base64 RSA-SHA256 (PKCS#1 v1.5).
The keys are generated on first start and kept in the store; describe() publishes the
public halves. A delivery that gets a non-2xx answer (redirects included) or no answer is
retried with exponential backoff and jitter, keeping its webhookId, until
`webhook_max_attempts`; the kit's WebhookSender does the posting, retrying and logging."""

import base64
import json
import uuid
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from sandboxes.highlevel.config import Config
from sandboxes.highlevel.records import iso, now_ms
from sandboxes.kit.delivery import WebhookSender
from sandboxes.kit.kit import Stats
from sandboxes.kit.store import Store


class SigningKeys:
    def __init__(self, store: Store, rsa_key_bits: int):
        saved = store.get_meta("webhook_keys")
        if saved is None:
            ed_key = ed25519.Ed25519PrivateKey.generate()
            rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_key_bits)
            pem = serialization.PrivateFormat.PKCS8
            saved = {
                name: key.private_bytes(
                    serialization.Encoding.PEM, pem, serialization.NoEncryption()
                ).decode()
                for name, key in (("ed25519", ed_key), ("rsa", rsa_key))
            }
            store.set_meta("webhook_keys", saved)
        self.ed25519 = serialization.load_pem_private_key(saved["ed25519"].encode(), None)
        self.rsa = serialization.load_pem_private_key(saved["rsa"].encode(), None)

    @property
    def ed25519_public_b64(self) -> str:
        """SubjectPublicKeyInfo DER in base64, the form HighLevel publishes its key in."""
        der = self.ed25519.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    @property
    def rsa_public_pem(self) -> str:
        return (
            self.rsa.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def headers(self, body: bytes, *, legacy: bool = True) -> dict[str, str]:
        headers = {"x-ghl-signature": base64.b64encode(self.ed25519.sign(body)).decode()}
        if legacy:
            rsa_signature = self.rsa.sign(body, padding.PKCS1v15(), hashes.SHA256())
            headers["x-wh-signature"] = base64.b64encode(rsa_signature).decode()
        return headers


class Webhooks:
    """HighLevel's events on the kit's WebhookSender: the event body HighLevel builds, its
    signatures, and its delivery log (`webhookId`, `locationId`, `nextAttemptAt`,
    `deliveredAt`)."""

    def __init__(self, keys: SigningKeys, config: Callable[[], Config], stats: Stats, seed: int):
        self.config = config
        self.sender = WebhookSender(
            "highlevel",
            config,
            stats,
            seed,
            id_field="webhookId",
            user_agent="HighLevel-Sandbox-Webhooks/1.0",
            sign=lambda body: keys.headers(body, legacy=config().webhook_legacy_signature),
            schedule_fields=True,
        )

    def emit(self, event_type: str, location_id: str, payload: dict) -> None:
        """Queue one event for the configured webhook URL (dropped if none is set)."""
        event = {"type": event_type, "locationId": location_id, **payload}
        event["webhookId"] = str(uuid.uuid4())
        event["timestamp"] = iso(now_ms())
        body = json.dumps(event, separators=(",", ":")).encode()
        fields = {"locationId": location_id, "createdAt": event["timestamp"]}
        self.sender.emit(event["webhookId"], event_type, body, {}, fields=fields)

    def deliveries(self, event_type: str | None = None, status: str | None = None) -> list[dict]:
        return self.sender.deliveries(event_type, status)

    def pending(self) -> int:
        return self.sender.pending()

    def clear_log(self) -> None:
        self.sender.clear_log()

    def close(self) -> None:
        self.sender.close()
