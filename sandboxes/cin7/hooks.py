"""Webhooks: the `/webhooks` registration API and Customer/Updated deliveries.

Cin7 does not sign deliveries. Each registration says how the receiver is authenticated:
`ExternalAuthorizationType` "basicauth" (ExternalUserName/ExternalPassword), "bearerauth"
(ExternalBearerToken) or "noauth", plus any `ExternalHeaders` [{Key, Value}] sent as they are
(Pipedream puts a secret `verification-token` there). Changes that happen close together go
out as one delivery: `{"CustomerDetailsList": [customer, ...]}` with the latest state of each
customer changed within `webhook_batch_ms`. Deliveries carry an `x-amzn-trace-id`; failed
ones are retried by the shared WebhookSender."""

import base64
import json
import secrets
import threading
import uuid
from typing import Any

from sandboxes.cin7 import seed
from sandboxes.cin7.customers import public
from sandboxes.cin7.state import WEBHOOK_KIND, Cin7State
from sandboxes.kit.web import Request

KIND = WEBHOOK_KIND
CUSTOMER_UPDATED = "Customer/Updated"
AUTH_TYPES = ("noauth", "basicauth", "bearerauth")


def _checked(app: Cin7State, body: Any, current: dict | None) -> dict:
    if not isinstance(body, dict):
        raise app.error(400, "The request body must be a webhook object.")
    hook = dict(current or {"ID": seed.new_guid(), "IsActive": True, "ExternalHeaders": []})
    for key in (
        "Type",
        "IsActive",
        "ExternalURL",
        "ExternalAuthorizationType",
        "ExternalUserName",
        "ExternalPassword",
        "ExternalBearerToken",
        "ExternalHeaders",
    ):
        if key in body:
            hook[key] = body[key]
    if hook.get("Type") not in seed.WEBHOOK_TYPES:
        raise app.error(400, f"Webhook type '{hook.get('Type')}' is not valid.")
    url = hook.get("ExternalURL")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise app.error(400, "ExternalURL must be an http or https URL.")
    auth = hook.setdefault("ExternalAuthorizationType", "noauth")
    if auth not in AUTH_TYPES:
        raise app.error(400, f"ExternalAuthorizationType should be one of {', '.join(AUTH_TYPES)}.")
    if auth == "basicauth" and not (hook.get("ExternalUserName") and hook.get("ExternalPassword")):
        raise app.error(400, "ExternalUserName and ExternalPassword are required for basicauth.")
    if auth == "bearerauth" and not hook.get("ExternalBearerToken"):
        raise app.error(400, "ExternalBearerToken is required for bearerauth.")
    headers = hook.get("ExternalHeaders") or []
    if not isinstance(headers, list) or not all(
        isinstance(h, dict) and isinstance(h.get("Key"), str) and isinstance(h.get("Value"), str)
        for h in headers
    ):
        raise app.error(400, "ExternalHeaders must be an array of {Key, Value} strings.")
    hook["ExternalHeaders"] = headers
    hook["IsActive"] = bool(hook.get("IsActive", True))
    hook["Name"] = hook["Type"].replace("/", " ")
    for key in ("ExternalUserName", "ExternalPassword", "ExternalBearerToken"):
        hook.setdefault(key, None)
    return hook


def list_webhooks(app: Cin7State, request: Request) -> tuple[int, dict]:
    return 200, {"Webhooks": app.store.all(KIND)}


def post_webhook(app: Cin7State, request: Request) -> tuple[int, dict]:
    """The new registration, bare or as `{"Webhooks": [it]}` per the `webhook_answer` knob."""
    hook = _checked(app, app.body(request), None)
    hook = app.store.put(KIND, hook["ID"], hook)
    return 200, ({"Webhooks": [hook]} if app.knobs.webhook_answer == "wrapped" else hook)


def put_webhook(app: Cin7State, request: Request) -> tuple[int, dict]:
    body = app.body(request)
    current = app.store.get(KIND, str((body or {}).get("ID", "")).lower()) if body else None
    if current is None:
        raise app.error(400, "Webhook not found.")
    hook = _checked(app, body, current)
    return 200, app.store.put(KIND, hook["ID"], hook)


def delete_webhook(app: Cin7State, request: Request) -> tuple[int, dict]:
    hook_id = (app.arg(request, "ID") or "").lower()
    if not app.store.delete(KIND, hook_id):
        raise app.error(400, "Webhook not found.")
    return 200, {"Success": True}


def auth_headers(hook: dict) -> dict[str, str]:
    headers = {h["Key"]: h["Value"] for h in hook.get("ExternalHeaders") or []}
    kind = hook.get("ExternalAuthorizationType")
    if kind == "basicauth":
        pair = f"{hook['ExternalUserName']}:{hook['ExternalPassword']}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    elif kind == "bearerauth":
        headers["Authorization"] = f"Bearer {hook['ExternalBearerToken']}"
    return headers


def trace_id() -> str:
    return f"Root=1-{secrets.token_hex(4)}-{secrets.token_hex(12)}"


class Batcher:
    """Collects changed customers per registration and sends each batch as one delivery."""

    def __init__(self, app: Cin7State):
        self.app = app
        self.lock = threading.Lock()
        self.pending: dict[str, dict[str, dict]] = {}  # hook id -> customer id -> snapshot
        self.timers: dict[str, threading.Timer] = {}

    def customer_changed(self, record: dict) -> None:
        knobs = self.app.knobs
        snapshot = public(record)
        for hook in self.app.store.all(KIND):
            if not hook["IsActive"] or hook["Type"] != CUSTOMER_UPDATED:
                continue
            with self.lock:
                batch = self.pending.setdefault(hook["ID"], {})
                batch.pop(snapshot["ID"], None)  # keep the latest state, in change order
                batch[snapshot["ID"]] = snapshot
                full = len(batch) >= knobs.webhook_batch_max or knobs.webhook_batch_ms <= 0
                if not full and hook["ID"] not in self.timers:
                    timer = threading.Timer(
                        knobs.webhook_batch_ms / 1000, self.flush, args=(hook["ID"],)
                    )
                    timer.daemon = True
                    self.timers[hook["ID"]] = timer
                    timer.start()
            if full:
                self.flush(hook["ID"])

    def flush(self, hook_id: str) -> None:
        with self.lock:
            timer = self.timers.pop(hook_id, None)
            if timer is not None:
                timer.cancel()
            batch = self.pending.pop(hook_id, None)
        hook = self.app.store.get(KIND, hook_id)
        if not batch or hook is None or not hook["IsActive"]:
            return
        body = json.dumps({"CustomerDetailsList": list(batch.values())}).encode()
        headers = {**auth_headers(hook), "x-amzn-trace-id": trace_id()}
        self.app.stats.bump("webhook_batches")
        self.app.webhooks.emit(
            str(uuid.uuid4()), CUSTOMER_UPDATED, body, headers, url=hook["ExternalURL"]
        )

    def flush_all(self) -> None:
        with self.lock:
            waiting = list(self.pending)
        for hook_id in waiting:
            self.flush(hook_id)

    def close(self) -> None:
        with self.lock:
            for timer in self.timers.values():
                timer.cancel()
            self.timers.clear()
            self.pending.clear()
