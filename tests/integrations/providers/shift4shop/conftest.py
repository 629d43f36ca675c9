"""One Shift4Shop sandbox for the client and sandbox tests, talked to over real HTTP.

The session sandbox allows 100,000 requests a second so the suite does not throttle itself;
the rate-limit tests lower it through `/_control`. Every test ends with `/_control/reset`
(knobs, counters, rate windows and the webhook log; data is kept, so tests create their
own records or look records up rather than assuming what earlier tests left)."""

import threading
import time
import uuid

import pytest
import requests

from integrations.providers.shift4shop.sandbox import Shift4ShopSandbox, connection_values
from integrations.sandbox.server import SandboxOptions, start_in_thread, stop

SEED = 40
RANDOM_SEED = 5
TIMEOUT = 10


class Control:
    """`/shift4shop/_control`: knobs, counters, admin-side changes and the webhook log."""

    def __init__(self, base_url: str):
        self.url = base_url + "/_control"

    def state(self) -> dict:
        return requests.get(self.url, timeout=TIMEOUT).json()

    def stats(self) -> dict:
        return self.state()["stats"]

    def set(self, **changes) -> dict:
        response = requests.post(self.url, json=changes, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()

    def reset(self) -> None:
        requests.post(self.url + "/reset", timeout=TIMEOUT).raise_for_status()

    def webhooks(self, **filters) -> list[dict]:
        response = requests.get(self.url + "/webhooks", params=filters, timeout=TIMEOUT)
        return response.json()["deliveries"]

    def wait_for_webhooks(self, count: int, status: str = "delivered", timeout=5.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.webhooks(status=status)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} {status} webhooks expected, log: {self.webhooks()}")

    def admin(self, method: str, path: str = "", body=None, **params) -> dict:
        """A change made in the store's admin (fires webhooks as the store would)."""
        response = requests.request(
            method, f"{self.url}/customers{path}", json=body, params=params, timeout=TIMEOUT
        )
        assert response.status_code in (200, 201), response.text
        return response.json()

    def add_customer(self, *, params: dict | None = None, **fields) -> dict:
        body = {"Email": f"admin.{uuid.uuid4().hex[:10]}@example.org", "Password": "pw", **fields}
        return self.admin("POST", body=body, **(params or {}))["customer"]


def start(options: SandboxOptions | None = None, **knobs):
    app = Shift4ShopSandbox(options or SandboxOptions(seed=SEED, random_seed=RANDOM_SEED), **knobs)
    httpd, server, _ = start_in_thread([app])
    return app, lambda: stop(httpd, server)


@pytest.fixture(scope="session")
def shift4shop():
    app, stop_server = start(rate_limit=100_000)
    yield app
    stop_server()


@pytest.fixture(scope="session")
def described(shift4shop) -> dict:
    return shift4shop.describe()


@pytest.fixture(autouse=True)
def _reset_after_test(shift4shop):
    yield
    Control(shift4shop.base_url).reset()


@pytest.fixture
def control(described) -> Control:
    return Control(described["base_url"])


@pytest.fixture
def store_connection(db, described):
    """A Shift4Shop Connection to the sandbox, made as "Use sandbox" makes it, with a budget
    high enough that only the sandbox's own limit can refuse."""
    from tests.factories import ConnectionFactory

    credentials, settings = connection_values(described)
    return ConnectionFactory(
        provider="shift4shop",
        settings={**settings, "requests_per_second": 1000},
        credentials=credentials,
    )


class Receiver:
    """A tiny webhook endpoint recording (headers, raw body) and answering 200."""

    def __init__(self):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.received: list[tuple[dict, bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.received.append(
                        ({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    hook = Receiver()
    yield hook
    hook.close()
