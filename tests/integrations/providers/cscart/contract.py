"""The CS-Cart harness of the shared contract suite (contract_support.Harness): a CS-Cart
sandbox in-process (no rate limit, as CS-Cart documents none), changed "in the store's admin
panel" through its `/_control` actions. CS-Cart sends no webhooks."""

import requests

from sandboxes.cscart import CsCartSandbox, connection_values
from sandboxes.kit.server import SandboxOptions
from tests.factories import ConnectionFactory
from tests.integrations.providers.contract_support import Harness
from tests.sandboxes.support import TIMEOUT, serve

FAST = {"rate_limit_requests": 10_000, "rate_limit_interval": 1}


class CsCartHarness(Harness):
    key = "cscart"
    missing_id = "987654321"

    def __init__(self):
        self._users = 0
        self.app = None
        self._stop = None

    def start(self) -> None:
        self._users += 1
        if self._users > 1:
            return
        options = SandboxOptions(seed=self.seeded, random_seed=23)
        self.app, self._stop = serve(CsCartSandbox(options))

    def stop(self) -> None:
        self._users -= 1
        if self._users > 0:
            return
        self._stop()
        self.app = self._stop = None

    def make_connection(self, workspace):
        credentials, settings = connection_values(self.app.describe())
        return ConnectionFactory(
            workspace=workspace,
            provider="cscart",
            settings={**settings, **FAST},
            credentials=credentials,
        )

    def new_payload(self, n: int) -> dict:
        return {
            "email": f"contract-{n}@example.com",
            "firstname": "Contract",
            "lastname": str(n),
            "phone": f"+1415555{n:04d}",
        }

    def change_payload(self, n: int) -> dict:
        return {"firstname": f"Changed {n}"}

    def bad_payload(self) -> dict:
        return {"email": "contract-bad@example.com", "status": "not a status"}

    def _act(self, name: str, argument) -> dict:
        url = self.app.describe()["control_url"]
        response = requests.post(url, json={name: argument}, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()["result"][name]

    def change_outside(self, external_id: str, n: int) -> None:
        self._act("store_update_user", {"user_id": external_id, "firstname": f"Admin {n}"})

    def remove_outside(self, external_id: str) -> None:
        self._act("store_delete_user", external_id)

    def tick(self) -> None:
        """Nothing to wait for: CS-Cart keeps no update time, reads compare content."""


HARNESS = CsCartHarness()
