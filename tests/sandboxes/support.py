"""What the sandbox test folders share: a sandbox app started in a thread, a curl user of its
API, a client of its `/_control` endpoint and a local endpoint its webhooks can reach.

Each platform's conftest keeps what is its own (auth headers, control actions, fixtures)
and builds on these."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from sandboxes.kit.server import SandboxApp, start_in_thread, stop

TIMEOUT = 10


def serve(app: SandboxApp):
    """Serve `app` on a free local port from a thread; returns (app, a function that stops it)."""
    httpd, server, _ = start_in_thread([app])
    return app, lambda: stop(httpd, server)


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


class CurlUser:
    """Plain `requests` with fixed headers (or Basic auth); paths are joined to `base_url`."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        if auth is not None:
            self.session.auth = auth

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


class BearerUser(CurlUser):
    """A curl user with `Authorization: Bearer <token>` on every call (none without a token)."""

    def __init__(self, base_url: str, token: str | None):
        super().__init__(base_url, bearer(token))


class ControlClient:
    """A sandbox's `/_control` (at `url`): knobs, counters, actions and the webhook log."""

    def __init__(self, url: str):
        self.url = url

    def state(self) -> dict:
        return requests.get(self.url, timeout=TIMEOUT).json()

    def stats(self) -> dict:
        return self.state()["stats"]

    def set(self, **changes) -> dict:
        response = requests.post(self.url, json=changes, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()

    def act(self, name: str, argument):
        """Run one control action; returns its result."""
        return self.set(**{name: argument})["result"][name]

    def reset(self) -> None:
        requests.post(self.url + "/reset", timeout=TIMEOUT).raise_for_status()

    def webhooks(self, **filters) -> list[dict]:
        response = requests.get(self.url + "/webhooks", params=filters, timeout=TIMEOUT)
        return response.json()["deliveries"]

    def wait_until_settled(self, timeout: float = 5.0) -> dict:
        """Wait until the sandbox has no webhook delivery pending (each one delivered or given
        up): after that nothing more can arrive, so a test may assert what did not. Returns
        the control state. The sandbox is over HTTP, so this asks it until the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            # Orderspace also holds events in a batch before they become a delivery.
            left = state.get("webhooks_pending", 0) + state.get("events_batching", 0)
            if left == 0:
                return state
            if time.monotonic() >= deadline:
                raise AssertionError(f"{left} deliveries still pending")
            time.sleep(0.02)


class WebhookReceiver:
    """A local endpoint for a sandbox's webhooks. Every POST goes into `received` as
    `record()` shapes it ((lower-cased headers, raw body) unless a subclass says otherwise);
    the answer is the next of `statuses`, else 500 while `fail_first` lasts, else `status`,
    after waiting `delay` seconds."""

    path = "/hook"

    def __init__(self, fail_first: int = 0, delay: float = 0.0):
        self.received: list = []
        self.bodies: list[bytes] = []
        self.statuses: list[int] = []
        self.fail_first = fail_first
        self.status = 200
        self.delay = delay
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)  # notified on every delivery
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(receiver.delay)
                with receiver.arrived:
                    receiver.received.append(receiver.record(self.path, self.headers, body))
                    receiver.bodies.append(body)
                    status = receiver._answer()
                    receiver.arrived.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{self.path}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def record(self, path: str, headers, body: bytes):
        return {k.lower(): v for k, v in headers.items()}, body

    def _answer(self) -> int:
        if self.statuses:
            return self.statuses.pop(0)
        if self.fail_first > 0:
            self.fail_first -= 1
            return 500
        return self.status

    def payloads(self) -> list:
        """The JSON of every body received so far."""
        with self.lock:
            return [json.loads(body) for body in self.bodies]

    def wait_for(self, count: int, timeout: float = 5.0) -> list:
        """Wait (woken by each delivery, not polling) until `count` have arrived. The sandbox
        logs an attempt only once this answers: read its log after `wait_until_settled()`."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"expected {count} deliveries, got {len(self.received)}")
            return list(self.received)

    def quiet_for(self, seconds: float) -> bool:
        """True if nothing arrives within `seconds` (returns at once when something does).
        For "nothing was sent" checks where the sender has no queue to ask about."""
        with self.arrived:
            count = len(self.received)
            return not self.arrived.wait_for(lambda: len(self.received) > count, seconds)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
