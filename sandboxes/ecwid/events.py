"""Ecwid webhooks out: one POST per event, thin body, signed over `eventCreated.eventId`.

Ecwid signs with the app's client_secret (not the store's token) and does not sign the body:
`X-Ecwid-Webhook-Signature: base64(HMAC-SHA256(client_secret, "{eventCreated}.{eventId}"))`.
Ecwid repeats the event type in the URL as `?eventtype=...` (the parameter name in lower
case). Changes made through the API fire webhooks as changes made in the admin do."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlencode

from sandboxes.ecwid.knobs import Knobs
from sandboxes.kit.delivery import WebhookSender
from sandboxes.kit.kit import Stats

SIGNATURE_HEADER = "X-Ecwid-Webhook-Signature"


def signature(client_secret: str, event_created: int, event_id: str) -> str:
    message = f"{event_created}.{event_id}".encode()
    digest = hmac.new(client_secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class Events:
    def __init__(self, knobs: Callable[[], Knobs], stats: Stats, creds: dict, random_seed: int):
        self.knobs = knobs
        self.creds = creds
        self.sender = WebhookSender("ecwid", knobs, stats, random_seed)

    def emit(self, event_type: str, entity_id: int, data: dict) -> None:
        event_id = str(uuid.uuid4())
        created = int(time.time())
        body = {
            "eventId": event_id,
            "eventCreated": created,
            "storeId": self.creds["store_id"],
            "entityId": entity_id,
            "eventType": event_type,
            "data": data,
        }
        url = self.knobs().webhook_url
        if url:
            url += ("&" if "?" in url else "?") + urlencode({"eventtype": event_type})
        headers = {SIGNATURE_HEADER: signature(self.creds["client_secret"], created, event_id)}
        self.sender.emit(event_id, event_type, json.dumps(body).encode(), headers, url=url)

    def close(self) -> None:
        self.sender.close()
