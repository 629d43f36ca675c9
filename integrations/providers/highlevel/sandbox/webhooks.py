"""Webhooks out: signed JSON POSTs to the app's webhook URL, from a background thread.

Each event is serialised once; the exact bytes are signed both ways HighLevel does:
`x-ghl-signature` is base64 Ed25519 and `x-wh-signature` base64 RSA-SHA256 (PKCS#1 v1.5).
The keys are generated on first start and kept in the store; describe() publishes the
public halves. A delivery that gets a non-2xx answer (redirects included) or no answer is
retried with exponential backoff and jitter, keeping its webhookId, until
`webhook_max_attempts`. The sender is a fake server of its own, so it posts with urllib
rather than the product's HTTP module."""

import base64
import heapq
import itertools
import json
import random
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import OrderedDict
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from integrations.providers.highlevel.sandbox.config import Config
from integrations.providers.highlevel.sandbox.records import iso, now_ms
from integrations.sandbox.store import Store

LOG_SIZE = 2000


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


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is a failed delivery, as it is for HighLevel


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


class Webhooks:
    def __init__(
        self,
        keys: SigningKeys,
        config: Callable[[], Config],
        bump: Callable[[str], None],
        seed: int,
    ):
        self.keys = keys
        self.config = config
        self.bump = bump
        self.rng = random.Random(f"highlevel-webhooks:{seed}")
        self.cond = threading.Condition()
        self.queue: list[tuple[float, int, dict]] = []
        self.sequence = itertools.count()
        self.log: OrderedDict[str, dict] = OrderedDict()
        self.thread: threading.Thread | None = None
        self.stopped = False

    def emit(self, event_type: str, location_id: str, payload: dict) -> None:
        """Queue one event for the configured webhook URL (dropped if none is set)."""
        url = self.config().webhook_url
        if not url:
            self.bump("webhooks_unrouted")
            return
        event = {"type": event_type, "locationId": location_id, **payload}
        event["webhookId"] = str(uuid.uuid4())
        event["timestamp"] = iso(now_ms())
        body = json.dumps(event, separators=(",", ":")).encode()
        entry = {
            "webhookId": event["webhookId"],
            "type": event_type,
            "locationId": location_id,
            "url": url,
            "status": "pending",
            "attempts": [],
            "createdAt": event["timestamp"],
            "payload": event,
            "_body": body,
        }
        with self.cond:
            self.log[entry["webhookId"]] = entry
            while len(self.log) > LOG_SIZE:
                self.log.popitem(last=False)
            heapq.heappush(self.queue, (time.monotonic(), next(self.sequence), entry))
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name="highlevel-webhooks", daemon=True
                )
                self.thread.start()
            self.cond.notify()

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.stopped and (not self.queue or self.queue[0][0] > time.monotonic()):
                    self.cond.wait(
                        timeout=self.queue[0][0] - time.monotonic() if self.queue else None
                    )
                if self.stopped:
                    return
                _, _, entry = heapq.heappop(self.queue)
            self._attempt(entry)

    def _attempt(self, entry: dict) -> None:
        config = self.config()
        body = entry["_body"]
        # The URL was checked to be http(s) when it was configured (config.apply_changes).
        request = urllib.request.Request(  # noqa: S310
            entry["url"],
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "HighLevel-Sandbox-Webhooks/1.0",
                **self.keys.headers(body, legacy=config.webhook_legacy_signature),
            },
        )
        started = time.monotonic()
        status, error = None, None
        try:
            with _OPENER.open(request, timeout=config.webhook_timeout_ms / 1000) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        self.bump("webhook_attempts")
        delivered = status is not None and 200 <= status < 300
        with self.cond:
            entry["attempts"].append(
                {
                    "at": iso(now_ms()),
                    "status": status,
                    "error": error,
                    "durationMs": int((time.monotonic() - started) * 1000),
                }
            )
            if delivered:
                entry["status"] = "delivered"
                entry["deliveredAt"] = iso(now_ms())
                entry.pop("nextAttemptAt", None)
                self.bump("webhooks_sent")
            elif len(entry["attempts"]) >= config.webhook_max_attempts:
                entry["status"] = "failed"
                entry.pop("nextAttemptAt", None)
                self.bump("webhooks_failed")
            else:
                # Exponential backoff with "equal jitter": half the delay fixed, half random.
                delay = min(
                    config.webhook_max_delay_ms,
                    config.webhook_base_delay_ms * 2 ** (len(entry["attempts"]) - 1),
                )
                delay = delay / 2 + self.rng.uniform(0, delay / 2)
                entry["nextAttemptAt"] = iso(now_ms() + int(delay))
                heapq.heappush(
                    self.queue, (time.monotonic() + delay / 1000, next(self.sequence), entry)
                )
                self.bump("webhook_retries")
                self.cond.notify()

    def deliveries(self, event_type: str | None = None, status: str | None = None) -> list[dict]:
        with self.cond:
            return [
                json.loads(json.dumps({k: v for k, v in entry.items() if k != "_body"}))
                for entry in self.log.values()
                if (event_type is None or entry["type"] == event_type)
                and (status is None or entry["status"] == status)
            ]

    def pending(self) -> int:
        with self.cond:
            return sum(1 for entry in self.log.values() if entry["status"] == "pending")

    def clear_log(self) -> None:
        with self.cond:
            for key in [k for k, entry in self.log.items() if entry["status"] != "pending"]:
                del self.log[key]

    def close(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        if self.thread is not None:
            self.thread.join(timeout=5)
