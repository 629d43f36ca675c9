"""One Cin7 Core sandbox for this folder, spoken to over real HTTP.

The session sandbox has a generous rate limit so the suite does not throttle itself; rate
limit tests lower it through `/_control`. Every test ends with `/_control/reset` (knobs,
counters, rate windows and the delivery log; the data stays, so tests make their own
records). `receiver` is a plain HTTP server that records what the sandbox posts to it."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from integrations.providers.cin7.sandbox import Cin7Sandbox, connection_values
from integrations.ratelimit import DatabaseBudget, Limit
from integrations.sandbox.server import SandboxOptions, start_in_thread, stop

SEED = 60
RANDOM_SEED = 7
TIMEOUT = 10


class Api:
    """A curl user: the two api-auth headers on every call."""

    def __init__(self, api_url: str, account_id: str | None, application_key: str | None):
        self.api_url = api_url
        self.session = requests.Session()
        if account_id is not None:
            self.session.headers["api-auth-accountid"] = account_id
        if application_key is not None:
            self.session.headers["api-auth-applicationkey"] = application_key

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, self.api_url + path, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def customers(self, **params) -> dict:
        response = self.get("/customer", params=params)
        assert response.status_code == 200, response.text
        return response.json()


class Control:
    def __init__(self, control_url: str):
        self.url = control_url

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

    def deliveries(self, **filters) -> list[dict]:
        response = requests.get(self.url + "/webhooks", params=filters, timeout=TIMEOUT)
        return response.json()["deliveries"]

    def ui(self, method: str, customer_id: str | None = None, **kwargs) -> requests.Response:
        path = "/customers" + (f"/{customer_id}" if customer_id else "")
        return requests.request(method, self.url + path, timeout=TIMEOUT, **kwargs)


def start(options: SandboxOptions | None = None, **knobs):
    app = Cin7Sandbox(options or SandboxOptions(seed=SEED, random_seed=RANDOM_SEED), **knobs)
    httpd, server, _ = start_in_thread([app])
    return app, lambda: stop(httpd, server)


@pytest.fixture(scope="session")
def cin7():
    app, stop_server = start(rate_limit=100_000, webhook_batch_ms=100)
    yield app
    stop_server()


@pytest.fixture(scope="session")
def described(cin7) -> dict:
    return cin7.describe()


@pytest.fixture(autouse=True)
def _reset_after_test(cin7):
    yield
    Control(cin7.describe()["control_url"]).reset()


@pytest.fixture
def control(described) -> Control:
    return Control(described["control_url"])


@pytest.fixture
def api(described) -> Api:
    return Api(described["api_url"], described["account_id"], described["application_key"])


def customer_body(**fields) -> dict:
    """A valid POST /customer body with a unique name and e-mail."""
    tag = uuid.uuid4().hex[:10]
    return {
        "Name": f"Test Customer {tag}",
        "Status": "Active",
        "Currency": "USD",
        "PaymentTerm": "30 days",
        "TaxRule": "Tax Exempt",
        "PriceTier": "Tier 1",
        "Contacts": [{"Name": "Pat Test", "Email": f"pat.{tag}@example.org", "Default": True}],
        **fields,
    }


@pytest.fixture
def new_customer(api):
    def create(**fields) -> dict:
        response = api.post("/customer", json=customer_body(**fields))
        assert response.status_code == 200, response.text
        return response.json()["CustomerList"][0]

    return create


# --- the product side ---------------------------------------------------------------------------


@pytest.fixture
def cin7_connection(db, described):
    from tests.factories import ConnectionFactory

    credentials, settings = connection_values(described)
    return ConnectionFactory(
        provider="cin7",
        name="Cin7 sandbox",
        settings={
            **settings,
            "default_currency": "USD",
            "default_payment_term": "30 days",
            "default_tax_rule": "Tax Exempt",
            "default_price_tier": "Tier 1",
        },
        credentials=credentials,
    )


@pytest.fixture
def make_client():
    """A Cin7Client with its own database budget and a test-sized limit."""
    from integrations.providers.cin7.client import Cin7Client

    def make(connection, **options):
        options.setdefault("budget", DatabaseBudget())
        options.setdefault("limit", Limit(10_000, 1.0))
        return Cin7Client(connection, **options)

    return make


# --- a webhook receiver -------------------------------------------------------------------------


class Receiver:
    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                self.send_response(received.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.requests

    def payloads(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
