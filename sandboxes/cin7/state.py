"""What the Cin7 Core sandbox's handlers use of the app: the account's state and the helpers
every handler shares (Cin7's error body, case-blind query parameters, the JSON body, saving a
customer so its webhook goes out).

`Cin7Sandbox` (app.py) builds on `Cin7State`; the handler modules (customers.py, hooks.py,
reference.py, control.py) take a `Cin7State` and never import app.py, so the package has no
import loop."""

import json
import threading
from typing import Any

from sandboxes.cin7 import seed
from sandboxes.cin7.knobs import Knobs
from sandboxes.kit.kit import Faults, RateLimiter, Stats, utc_now_iso
from sandboxes.kit.server import SandboxApp
from sandboxes.kit.store import Store
from sandboxes.kit.web import HTTPError, Request

CUSTOMER_KIND = "customer"
WEBHOOK_KIND = "webhook"


class Cin7State(SandboxApp):
    """The account behind the sandbox. Attributes are set by `Cin7Sandbox.__init__`."""

    name = "cin7"
    knobs: Knobs
    defaults: Knobs
    lock: threading.RLock
    store: Store
    stats: Stats
    faults: Faults
    limiter: RateLimiter
    credentials: dict
    webhooks: Any  # kit.delivery.WebhookSender
    batcher: Any  # hooks.Batcher: collects Customer/Updated deliveries
    panel: Any  # kit.control.ControlPanel

    def error(self, status: int, message: str) -> HTTPError:
        """Cin7's error body, `{"ErrorCode", "Exception"}`, in an array unless the
        `error_format` knob says "object"."""
        detail = {"ErrorCode": status, "Exception": message}
        return HTTPError(status, [detail] if self.knobs.error_format == "array" else detail)

    @staticmethod
    def arg(request: Request, name: str) -> str | None:
        """Query parameters by name, whatever their case (Page, page, PAGE...)."""
        for key, values in request.query.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return None

    def body(self, request: Request):
        if not request.body:
            raise self.error(400, "The request body is empty.")
        try:
            return json.loads(request.body)
        except ValueError:
            # The status table: "500 - the object passed to the API could not be parsed".
            raise self.error(500, "The object passed to the API could not be parsed.") from None

    def me(self) -> dict:
        return {
            "Company": seed.ACCOUNT_NAME,
            "Currency": seed.BASE_CURRENCY,
            "TimeZone": "(UTC) Coordinated Universal Time",
            "DefaultWeightUnits": "kg",
            "DefaultDimensionsUnits": "cm",
            "LockDate": None,
            "OpeningBalancesDate": None,
        }

    def next_seq(self) -> int:
        seq = int(self.store.get_meta("seq", 0)) + 1
        self.store.set_meta("seq", seq)
        return seq

    def customer_named(self, name: str | None) -> dict | None:
        wanted = (name or "").casefold()
        for record in self.store.all(CUSTOMER_KIND):
            if (record["Name"] or "").casefold() == wanted:
                return record
        return None

    def save_customer(self, record: dict, *, created: bool, source: str, emit=True) -> dict:
        record["LastModifiedOn"] = utc_now_iso()
        self.store.put(CUSTOMER_KIND, record["ID"], record)
        knobs = self.knobs
        wanted = (knobs.webhook_on_create or not created) and (
            source != "api" or knobs.webhook_on_api_changes
        )
        if emit and wanted:
            self.batcher.customer_changed(record)
        return record
