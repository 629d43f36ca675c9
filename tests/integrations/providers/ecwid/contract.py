"""The Ecwid harness of the shared contract suite (contract_support.Harness): an Ecwid
sandbox in-process with a generous rate limit, changed "in the Ecwid admin" through its
`/_control/customers` endpoint, its webhooks caught by a local receiver."""

import time

import requests
from requests.structures import CaseInsensitiveDict

from integrations.providers.registry import adapter_for
from sandboxes.ecwid import EcwidSandbox, connection_values
from sandboxes.kit.server import SandboxOptions
from tests.factories import ConnectionFactory
from tests.integrations.providers.contract_support import Harness
from tests.sandboxes.support import TIMEOUT, WebhookReceiver, serve


class EcwidHarness(Harness):
    key = "ecwid"
    missing_id = "999999999"

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
        sandbox = EcwidSandbox(
            options,
            rate_limit=100_000,
            webhook_url=self.receiver.url,
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
    def control_url(self) -> str:
        return self.app.describe()["control_url"]

    def make_connection(self, workspace):
        credentials, settings = connection_values(self.app.describe())
        return ConnectionFactory(
            workspace=workspace, provider="ecwid", settings=settings, credentials=credentials
        )

    def adapter(self, connection, page_size: int | None = None):
        return adapter_for(connection, self.object_type, page_size=page_size or self.page_size)

    def new_payload(self, n: int) -> dict:
        return {
            "email": f"contract-{n}@example.com",
            "billingPerson": {"name": f"Contract {n}", "phone": f"+1415555{n:04d}"},
        }

    def change_payload(self, n: int) -> dict:
        return {"billingPerson": {"name": f"Changed {n}"}}

    def bad_payload(self) -> dict:
        return {"email": "contract-bad@example.com", "customerGroupId": "not a group"}

    def _admin(self, method: str, path: str, **kwargs) -> dict:
        response = requests.request(
            method, f"{self.control_url}/customers{path}", timeout=TIMEOUT, **kwargs
        )
        assert response.status_code == 200, response.text
        return response.json()

    def change_outside(self, external_id: str, n: int) -> None:
        self._admin("PUT", f"/{external_id}", json={"billingPerson": {"name": f"Admin {n}"}})

    def remove_outside(self, external_id: str) -> None:
        self._admin("DELETE", f"/{external_id}")

    def _settle(self) -> None:
        """Wait until the sandbox has sent every queued delivery."""
        deadline, quiet = time.monotonic() + 10, 0
        while quiet < 2 and time.monotonic() < deadline:  # twice in a row: nothing in between
            state = requests.get(self.control_url, timeout=TIMEOUT).json()
            quiet = quiet + 1 if not state.get("webhooks_pending") else 0
            time.sleep(0.05)

    def webhook_deliveries(self) -> list[tuple[bytes, dict]]:
        self._settle()
        with self.receiver.lock:
            received, self.receiver.received[:] = list(self.receiver.received), []
            self.receiver.bodies.clear()
        return [(body, CaseInsensitiveDict(headers)) for headers, body in received]

    def clear_webhooks(self) -> None:
        self.webhook_deliveries()


HARNESS = EcwidHarness()
