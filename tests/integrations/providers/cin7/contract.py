"""Cin7 Core's side of the shared contract suite (tests/integrations/providers/test_contract.py).

The sandbox runs in-process over real HTTP with a generous rate limit, and the adapter's
client gets a matching budget (the documented 60 calls a minute would make the suite wait).
A webhook registration (bearer auth) points at a local receiver, so every change — ours and
the admin's — arrives as Cin7 would send it. Outside changes go through the sandbox's
`/_control/customers` (Cin7's own UI); "removing" a customer deactivates it, as Cin7 does.
"""

from __future__ import annotations

import time
import uuid

import requests

from integrations.providers.base import ObjectType
from sandboxes.cin7 import Cin7Sandbox, connection_values
from sandboxes.kit.server import SandboxOptions
from tests.integrations.providers.contract_support import Harness
from tests.sandboxes.support import TIMEOUT, ControlClient, CurlUser, WebhookReceiver, serve

WEBHOOK_SECRET = "contract-suite-cin7-secret"


class Cin7Harness(Harness):
    key = "cin7"
    object_type = ObjectType.CONTACT

    def __init__(self):
        self.app = None
        self._stop = None
        self.receiver: WebhookReceiver | None = None
        self.token = uuid.uuid4().hex[:6]
        self._taken = 0  # deliveries already handed out

    # --- the sandbox ------------------------------------------------------------------------
    def start(self) -> None:
        options = SandboxOptions(seed=self.seeded, random_seed=11)
        self.app, self._stop = serve(Cin7Sandbox(options, rate_limit=100_000, webhook_batch_ms=50))
        described = self.app.describe()
        self.control = ControlClient(described["control_url"])
        self.api = CurlUser(
            described["api_url"],
            {
                "api-auth-accountid": described["account_id"],
                "api-auth-applicationkey": described["application_key"],
            },
        )
        self.receiver = WebhookReceiver()
        answer = self.api.post(
            "/webhooks",
            json={
                "Type": "Customer/Updated",
                "ExternalURL": self.receiver.url,
                "ExternalAuthorizationType": "bearerauth",
                "ExternalBearerToken": WEBHOOK_SECRET,
            },
        )
        answer.raise_for_status()

    def stop(self) -> None:
        if self.receiver is not None:
            self.receiver.close()
        if self._stop is not None:
            self._stop()
        self.app = self._stop = self.receiver = None

    def make_connection(self, workspace):
        from integrations.models import Connection

        credentials, settings = connection_values(self.app.describe())
        connection = Connection(
            workspace=workspace, provider="cin7", name="Cin7 Core sandbox", settings=settings
        )
        connection.set_credentials({**credentials, "webhook_secret": WEBHOOK_SECRET})
        connection.save()
        return connection

    def adapter(self, connection, page_size: int | None = None):
        from integrations.providers.cin7.adapters import CustomerAdapter
        from integrations.providers.cin7.client import Cin7Client
        from integrations.ratelimit import Limit

        client = Cin7Client(connection, limit=Limit(100_000, 60.0))
        return CustomerAdapter(connection, client=client, page_size=page_size or self.page_size)

    # --- payloads, in Cin7's field names ------------------------------------------------------
    def new_payload(self, n: int) -> dict:
        return {
            "Name": f"Contract {n} ({self.token})",
            "Contacts": [
                {
                    "Name": f"Contract Person {n}",
                    "Email": f"contract-{n}@example.com",
                    "Phone": f"+1415555{n:04d}",
                    "Default": True,
                }
            ],
        }

    # Cin7 IDs are GUIDs: a GUID no customer has (anything else is a 400 "not valid for ID").
    missing_id = "00000000-0000-4000-8000-000000000000"

    def bad_payload(self) -> dict:
        """Cin7 refuses a contact e-mail without an "@" (400, a ValidationFailedError)."""
        return {"Name": f"Bad ({self.token})", "Contacts": [{"Email": "not an e-mail"}]}

    def change_payload(self, n: int) -> dict:
        return {"Name": f"Changed {n} ({self.token})", "Comments": f"Changed {n}"}

    # --- the admin in Cin7's UI -------------------------------------------------------------
    def _ui(self, external_id: str, body: dict) -> None:
        response = requests.put(
            f"{self.control.url}/customers/{external_id}", json=body, timeout=TIMEOUT
        )
        response.raise_for_status()

    def change_outside(self, external_id: str, n: int) -> None:
        self._ui(external_id, {"Comments": f"Edited in Cin7 {n}", "DisplayName": f"Outside {n}"})

    def remove_outside(self, external_id: str) -> None:
        self._ui(external_id, {"Status": "Deprecated"})

    def tick(self) -> None:
        time.sleep(0.05)  # LastModifiedOn has millisecond precision

    # --- webhooks -------------------------------------------------------------------------
    def _settle(self, timeout: float = 10.0) -> None:
        """Send waiting batches now and wait until every delivery has been received."""
        self.control.act("flush_webhooks", True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.control.state()["webhooks_pending"] == 0:
                return
            time.sleep(0.02)
        raise AssertionError("the sandbox's webhooks did not settle")

    def webhook_deliveries(self) -> list[tuple[bytes, dict]]:
        self._settle()
        with self.receiver.lock:
            fresh = self.receiver.received[self._taken :]
            self._taken = len(self.receiver.received)
        return [(body, headers) for headers, body in fresh]

    def clear_webhooks(self) -> None:
        self._settle()
        with self.receiver.lock:
            self._taken = len(self.receiver.received)


HARNESS = Cin7Harness()
