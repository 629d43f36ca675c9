"""The Orderspace harness of the shared contract suite (contract_support.Harness): an
Orderspace sandbox in-process with a generous rate limit, changed "in Orderspace's admin"
through its `/_control` actions, its (batched) webhooks caught by a local receiver."""

import time

import requests
from requests.structures import CaseInsensitiveDict

from integrations.providers.registry import adapter_for
from sandboxes.kit.server import SandboxOptions
from sandboxes.orderspace import OrderspaceSandbox, connection_values
from tests.factories import ConnectionFactory
from tests.integrations.providers.contract_support import Harness
from tests.sandboxes.support import TIMEOUT, ControlClient, WebhookReceiver, serve


class OrderspaceHarness(Harness):
    key = "orderspace"
    missing_id = "cu_missing0"

    def __init__(self):
        self._users = 0
        self.app = None
        self.receiver: WebhookReceiver | None = None
        self._stop = None

    def start(self) -> None:
        self._users += 1
        if self._users > 1:
            return
        self.receiver = WebhookReceiver()
        options = SandboxOptions(seed=self.seeded, random_seed=11)
        sandbox = OrderspaceSandbox(
            options,
            rate_limit=100_000,
            webhook_url=self.receiver.url,
            webhook_batch_ms=50,
            webhook_base_delay_ms=50,
            webhook_max_delay_ms=100,
        )
        self.app, self._stop = serve(sandbox)

    def stop(self) -> None:
        self._users -= 1
        if self._users > 0:
            return
        self._stop()
        self.receiver.close()
        self.app = self.receiver = self._stop = None

    @property
    def control(self) -> ControlClient:
        return ControlClient(self.app.describe()["control_url"])

    def make_connection(self, workspace):
        credentials, settings = connection_values(self.app.describe())
        return ConnectionFactory(
            workspace=workspace, provider="orderspace", settings=settings, credentials=credentials
        )

    def adapter(self, connection, page_size: int | None = None):
        return adapter_for(connection, self.object_type, page_size=page_size or self.page_size)

    def new_payload(self, n: int) -> dict:
        return {
            "company_name": f"Contract {n} Ltd",
            "buyers": [{"name": f"Contract {n}", "email_address": f"contract-{n}@example.com"}],
            "phone": f"+1415555{n:04d}",
        }

    def change_payload(self, n: int) -> dict:
        return {"company_name": f"Changed {n} Ltd"}

    def bad_payload(self) -> dict:
        return {"company_name": "Bad Ltd", "buyers": "not a list of buyers"}

    def change_outside(self, external_id: str, n: int) -> None:
        self.control.act("admin_update_customer", {"id": external_id, "internal_note": f"{n}"})

    def remove_outside(self, external_id: str) -> None:
        self.control.act("admin_delete_customer", external_id)

    def tick(self) -> None:
        """Orderspace has no update times: reads compare digests, so no clock to wait for."""

    def _settle(self) -> None:
        """Wait until every batch has left and every delivery has been sent."""
        deadline, quiet = time.monotonic() + 10, 0
        while quiet < 2 and time.monotonic() < deadline:  # twice in a row: nothing in between
            state = requests.get(self.control.url, timeout=TIMEOUT).json()
            quiet = (
                quiet + 1
                if not state.get("webhooks_pending") and not state.get("events_batching")
                else 0
            )
            time.sleep(0.05)

    def webhook_deliveries(self) -> list[tuple[bytes, dict]]:
        self._settle()
        with self.receiver.lock:
            received, self.receiver.received[:] = list(self.receiver.received), []
            self.receiver.bodies.clear()
        return [(body, CaseInsensitiveDict(headers)) for headers, body in received]

    def clear_webhooks(self) -> None:
        self.webhook_deliveries()


HARNESS = OrderspaceHarness()
