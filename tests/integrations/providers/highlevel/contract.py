"""HighLevel's part of the shared contract suite (tests/integrations/providers/test_contract.py):
the sandbox in-process over real HTTP, a Private Integration Token connection to it, and
changes made "in the HighLevel UI" through the sandbox's `/_control/contacts`.

Webhooks go from the sandbox to a small receiver started here, which keeps each delivery's
exact bytes and headers (names lower-cased) for the suite to verify and parse."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from sandboxes.highlevel import HighLevelSandbox, connection_values
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.integrations.providers.contract_support import Harness

READ_WRITE = ["contacts.readonly", "contacts.write", "locations/customFields.readonly"]
TIMEOUT = 10


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that answers 200 and keeps (body, headers)."""

    def __init__(self):
        self.received: list[tuple[bytes, dict]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver.lock:
                    receiver.received.append((body, headers))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/highlevel/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def take(self) -> list[tuple[bytes, dict]]:
        with self.lock:
            taken, self.received = self.received, []
        return taken

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class HighLevelHarness(Harness):
    key = "highlevel"

    def start(self) -> None:
        self.receiver = WebhookReceiver()
        self.app = HighLevelSandbox(
            SandboxOptions(seed=self.seeded, random_seed=23),
            rsa_key_bits=2048,
            burst_limit=100_000,
            webhook_url=self.receiver.url,
        )
        self.httpd, self.server, _ = start_in_thread([self.app])
        self.described = self.app.describe()
        self.control_url = self.described["control_url"]

    def stop(self) -> None:
        stop(self.httpd, self.server)
        self.receiver.close()

    def make_connection(self, workspace):
        from tests.factories import ConnectionFactory

        credentials, settings = connection_values(self.described)
        return ConnectionFactory(
            workspace=workspace,
            provider="highlevel",
            name="HighLevel sandbox",
            settings=settings,
            credentials=credentials,
            scopes=READ_WRITE,
        )

    def new_payload(self, n: int) -> dict:
        return {
            "firstName": "Contract",
            "lastName": f"Person {n}",
            "email": f"contract-{n}@example.com",
            "phone": f"+1415555{n:04d}",
        }

    def change_payload(self, n: int) -> dict:
        return {"firstName": f"Changed {n}"}

    def bad_payload(self) -> dict:
        return {"email": "not an e-mail"}  # HighLevel answers 422 "email must be an email"

    missing_id = "missingContact000001"  # HighLevel's ids: 20 letters and digits

    def _control(self, method: str, path: str, **kwargs) -> dict:
        response = requests.request(method, f"{self.control_url}{path}", timeout=TIMEOUT, **kwargs)
        assert response.status_code < 300, response.text
        return response.json()

    def change_outside(self, external_id: str, n: int) -> None:
        self._control("PUT", f"/contacts/{external_id}", json={"lastName": f"Outside {n}"})

    def remove_outside(self, external_id: str) -> None:
        self._control("DELETE", f"/contacts/{external_id}")

    def tick(self) -> None:
        time.sleep(0.01)  # dateUpdated has millisecond precision

    def _settle(self, seconds: float = 10) -> None:
        """Wait until the sandbox has no delivery left to attempt."""
        deadline = time.monotonic() + seconds
        while self.app.webhooks.pending() and time.monotonic() < deadline:
            time.sleep(0.02)

    def webhook_deliveries(self) -> list[tuple[bytes, dict]]:
        self._settle()
        return self.receiver.take()

    def clear_webhooks(self) -> None:
        self._settle()
        self.receiver.take()


HARNESS = HighLevelHarness()
