"""Orderspace webhooks: subscriptions (`/v1/webhooks`) and batched, signed delivery.

[V] A delivery is a POST of a JSON *array* of up to 50 self-contained events, possibly of
mixed types, signed in `X-Orderspace-Signature` = Base64(HMAC-SHA256(signing_key, raw body)).
Each subscription has its own generated `signing_key`. Events for one subscription gather for
`webhook_batch_ms` (or until `webhook_batch_max`) and leave as one delivery; the kit's
WebhookSender posts it and retries non-2xx answers with backoff.

Besides subscriptions made through the API, the sandbox has one "admin" subscription to the
customer events whose endpoint is the `webhook_url` knob (from `--webhook-base` at start) and
whose signing key describe() prints, so "Use sandbox" works without registering anything.
"""

import base64
import hashlib
import hmac
import json
import random
import string
import threading
import uuid
from collections.abc import Callable

from sandboxes.kit.delivery import WebhookSender
from sandboxes.kit.store import Store
from sandboxes.orderspace.knobs import Knobs
from sandboxes.orderspace.records import Invalid, bad_request, not_found

KIND = "webhook"
CUSTOMER_EVENTS = ("customer.created", "customer.updated", "customer.deleted")
EVENTS = (
    *CUSTOMER_EVENTS,
    "dispatch.created",
    "inventory_level.updated",
    "invoice.created",
    "invoice.deleted",
    "payment.created",
    "product.created",
    "product.updated",
    "product.deleted",
    "order.created",
    "order.updated",
    "order.deleted",
)
ADMIN_ID = "wh_admin000"
KEY_ALPHABET = string.ascii_letters + string.digits


def signature(signing_key: str, body: bytes) -> str:
    digest = hmac.new(signing_key.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def new_signing_key(rng: random.Random) -> str:
    return "".join(rng.choice(KEY_ALPHABET) for _ in range(40))


class Webhooks:
    def __init__(
        self,
        store: Store,
        knobs: Callable[[], Knobs],
        sender: WebhookSender,
        admin_key: str,
        new_id: Callable[[str], str],
    ):
        self.store = store
        self.knobs = knobs
        self.sender = sender
        self.admin_key = admin_key
        self.new_id = new_id
        self.lock = threading.Lock()
        self.buffers: dict[str, list[dict]] = {}
        self.timers: dict[str, threading.Timer] = {}

    # --- subscriptions ------------------------------------------------------------------------
    def all(self) -> list[dict]:
        return sorted(self.store.all(KIND), key=lambda w: w["_seq"], reverse=True)

    def get(self, webhook_id: str) -> dict:
        record = self.store.get(KIND, webhook_id)
        if record is None:
            raise not_found("webhook", webhook_id)
        return record

    def _validate(self, fields, current: dict | None) -> dict:
        if not isinstance(fields, dict):
            raise bad_request()
        record = dict(current or {"endpoint": "", "events": []})
        problems = []
        if "endpoint" in fields:
            record["endpoint"] = str(fields["endpoint"] or "")
        if "events" in fields:
            events = fields["events"]
            if not isinstance(events, list) or any(e not in EVENTS for e in events):
                problems.append("Events are invalid")  # [I] wording
            else:
                record["events"] = list(dict.fromkeys(events))
        if not record["endpoint"]:
            problems.append("Endpoint can't be blank")
        # http:// is accepted only when the knob is off (tests point webhooks at a local app).
        schemes = ("https://",) if self.knobs().require_https_webhooks else ("https://", "http://")
        if record["endpoint"] and not record["endpoint"].startswith(schemes):
            problems.append("Endpoint must be a https url")
        if not record["events"]:
            problems.append("Events can't be blank")  # [I] wording
        if problems:
            raise Invalid(problems)
        return record

    def create(self, fields, rng: random.Random, seq: int) -> dict:
        record = self._validate(fields, None)
        record.update(id=self.new_id("wh_"), signing_key=new_signing_key(rng), _seq=seq)
        self.store.put(KIND, record["id"], record)
        return record

    def update(self, webhook_id: str, fields) -> dict:
        record = self._validate(fields, self.get(webhook_id))
        self.store.put(KIND, webhook_id, record)
        return record

    def delete(self, webhook_id: str) -> None:
        self.get(webhook_id)
        self.store.delete(KIND, webhook_id)

    # --- delivery -----------------------------------------------------------------------------
    def _targets(self, event_type: str) -> list[tuple[str, str, str]]:
        """(subscription id, endpoint, signing key) of everyone who wants this event."""
        targets = [
            (w["id"], w["endpoint"], w["signing_key"])
            for w in self.store.all(KIND)
            if event_type in w["events"]
        ]
        admin_url = self.knobs().webhook_url
        if admin_url and event_type in CUSTOMER_EVENTS:
            targets.append((ADMIN_ID, admin_url, self.admin_key))
        return targets

    def publish(self, event_type: str, data: dict) -> int:
        """Queue one event for every subscriber; returns how many subscriptions get it."""
        event = {"event": event_type, "data": data}
        targets = self._targets(event_type)
        if not targets:
            self.sender.stats.bump("webhooks_unrouted")
        knobs = self.knobs()
        for webhook_id, url, key in targets:
            with self.lock:
                buffer = self.buffers.setdefault(webhook_id, [])
                buffer.append(event)
                full = len(buffer) >= max(1, knobs.webhook_batch_max)
                if not full and knobs.webhook_batch_ms > 0 and webhook_id not in self.timers:
                    timer = threading.Timer(
                        knobs.webhook_batch_ms / 1000, self.flush, (webhook_id, url, key)
                    )
                    timer.daemon = True
                    self.timers[webhook_id] = timer
                    timer.start()
            if full or knobs.webhook_batch_ms <= 0:
                self.flush(webhook_id, url, key)
        return len(targets)

    def flush(self, webhook_id: str, url: str, key: str) -> None:
        with self.lock:
            events = self.buffers.pop(webhook_id, [])
            timer = self.timers.pop(webhook_id, None)
        if timer is not None:
            timer.cancel()
        if not events:
            return
        body = json.dumps(events, separators=(",", ":")).encode()
        types = {e["event"] for e in events}
        self.sender.emit(
            f"dl_{uuid.uuid4().hex[:16]}",
            types.pop() if len(types) == 1 else "mixed",
            body,
            {"X-Orderspace-Signature": signature(key, body)},
            url=url,
        )

    def pending_batches(self) -> int:
        with self.lock:
            return sum(len(b) for b in self.buffers.values())

    def close(self) -> None:
        with self.lock:
            timers = list(self.timers.values())
            self.timers.clear()
            self.buffers.clear()
        for timer in timers:
            timer.cancel()
        self.sender.close()
