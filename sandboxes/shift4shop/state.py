"""The one store the Shift4Shop sandbox imitates: its records, knobs, lock, counters and
"Customer New" sender. The API handlers (api.py) and the admin actions (control.py) act on a
`Shop`; the app (app.py) builds one and routes requests to them, so neither imports the app.
"""

import json
import threading
import uuid
from collections.abc import Callable

from sandboxes.kit.delivery import WebhookSender
from sandboxes.kit.kit import Stats
from sandboxes.kit.store import Store
from sandboxes.shift4shop import customers
from sandboxes.shift4shop.knobs import Knobs

CUSTOMER_NEW = "Customer New"


class Shop:
    def __init__(
        self,
        store: Store,
        knobs: Callable[[], Knobs],
        stats: Stats,
        webhooks: WebhookSender,
    ):
        self.store = store
        self._knobs = knobs
        self.stats = stats
        self.webhooks = webhooks
        self.lock = threading.RLock()

    @property
    def knobs(self) -> Knobs:
        return self._knobs()

    def next_id(self, kind: str) -> int:
        with self.lock:
            value = self.store.get_meta(f"next_{kind}_id", 1)
            self.store.set_meta(f"next_{kind}_id", value + 1)
            return value

    def customer_new(self, record: dict) -> None:
        """Send "Customer New" to every enabled registration for it (and the knob's URL):
        the customer record as JSON, unsigned. Whether it is wrapped in a one-element array
        like GET's answer is a knob (`webhook_payload_array`): the body is undocumented."""
        knobs = self.knobs
        customer = customers.serialise(record)
        body = json.dumps([customer] if knobs.webhook_payload_array else customer).encode()
        urls = [
            hook["Url"]
            for hook in self.store.all("webhook")
            if hook["Enabled"] and hook["EventType"] == knobs.customer_new_event_type
        ]
        if knobs.webhook_url:
            urls.append(knobs.webhook_url)
        if not urls:
            self.webhooks.emit(str(uuid.uuid4()), CUSTOMER_NEW, body, {})  # counted unrouted
        for url in dict.fromkeys(urls):
            self.webhooks.emit(str(uuid.uuid4()), CUSTOMER_NEW, body, {}, url=url)
