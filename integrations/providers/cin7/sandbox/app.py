"""The Cin7 Core sandbox, mounted at `/cin7`: `/cin7/ExternalApi/v2/...` is the API (paths
and query parameter names are case-insensitive, as on the real server), `/cin7/_control`
the test-mode control panel (see control.py).

Every API request goes through one pipeline: injected latency, the two api-auth headers
(wrong or missing -> 403), the account's rate limit (60 calls/minute -> 503 by default),
injected faults, then the handler under the sandbox lock."""

import json
import threading
from dataclasses import replace

from integrations.providers.cin7.sandbox import control, customers, hooks, seed
from integrations.providers.cin7.sandbox.knobs import Knobs, problems
from integrations.sandbox.control import ControlPanel, apply_knobs
from integrations.sandbox.delivery import WebhookSender
from integrations.sandbox.kit import (
    Faults,
    RateLimiter,
    Stats,
    retry_after_header,
    status_phrase,
    utc_now_iso,
)
from integrations.sandbox.server import SandboxApp, SandboxOptions
from integrations.sandbox.store import Store
from integrations.sandbox.web import HTTPError, Request, Response, json_response

API_PREFIX = "/externalapi/v2"
API_ROUTES = {
    ("GET", "/me"): lambda app, request: (200, app.me()),
    ("GET", "/customer"): customers.list_customers,
    ("POST", "/customer"): customers.post_customer,
    ("PUT", "/customer"): customers.put_customer,
    ("GET", "/webhooks"): hooks.list_webhooks,
    ("POST", "/webhooks"): hooks.post_webhook,
    ("PUT", "/webhooks"): hooks.put_webhook,
    ("DELETE", "/webhooks"): hooks.delete_webhook,
}


class Cin7Sandbox(SandboxApp):
    """`Cin7Sandbox(options, **knobs)`: knobs are `Knobs` fields that become this instance's
    defaults (e.g. rate_limit=5, rate_limit_window_s=1)."""

    name = "cin7"

    def __init__(self, options: SandboxOptions, **knobs):
        super().__init__(options)
        self.defaults = Knobs()
        errors = problems(knobs) or apply_knobs(self.defaults, knobs)
        if errors:
            raise ValueError("; ".join(errors))
        self.knobs = replace(self.defaults)
        self.lock = threading.RLock()
        self.store = Store(self.state_path())
        self.stats = Stats()
        self.faults = Faults(self.name, options.random_seed)
        self.limiter = RateLimiter()
        self.credentials = self.store.get_meta("credentials")
        if self.credentials is None:
            self.credentials = seed.credentials(options.random_seed)
            self.store.set_meta("credentials", self.credentials)
            with self.store.batch():
                for record in seed.customers(options.seed, options.random_seed):
                    self.store.put(customers.KIND, record["ID"], record)
                self.store.set_meta("seq", options.seed)
        self.webhooks = WebhookSender(
            self.name, lambda: self.knobs, self.stats, options.random_seed
        )
        self.batcher = hooks.Batcher(self)
        self.panel = ControlPanel(
            knobs=lambda: self.knobs,
            defaults=lambda: replace(self.defaults),
            set_knobs=self._set_knobs,
            stats=self.stats,
            faults=self.faults,
            limiter=self.limiter,
            webhooks=self.webhooks,
            actions={"flush_webhooks": lambda _: self.batcher.flush_all()},
            extra=lambda: {
                "customers": self.store.count(customers.KIND),
                "webhook_registrations": self.store.count(hooks.KIND),
            },
        )

    def _set_knobs(self, knobs: Knobs) -> None:
        self.knobs = knobs

    def describe(self) -> dict:
        return {
            "provider": self.name,
            "base_url": self.base_url,
            "api_url": f"{self.base_url}/ExternalApi/v2",
            "account_id": self.credentials["account_id"],
            "application_key": self.credentials["application_key"],
            "account_name": seed.ACCOUNT_NAME,
            "control_url": f"{self.base_url}/_control",
        }

    def close(self) -> None:
        self.batcher.close()
        self.webhooks.close()
        self.store.close()

    # --- helpers the handlers use ---------------------------------------------------------------
    def error(self, status: int, message: str) -> HTTPError:
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
        for record in self.store.all(customers.KIND):
            if (record["Name"] or "").casefold() == wanted:
                return record
        return None

    def save_customer(self, record: dict, *, created: bool, source: str, emit=True) -> dict:
        record["LastModifiedOn"] = utc_now_iso()
        self.store.put(customers.KIND, record["ID"], record)
        knobs = self.knobs
        wanted = (knobs.webhook_on_create or not created) and (
            source != "api" or knobs.webhook_on_api_changes
        )
        if emit and wanted:
            self.batcher.customer_changed(record)
        return record

    # --- the pipeline ---------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/").lower() or "/"
        if path == "/_control" or path.startswith("/_control/"):
            return control.handle(self, request)
        if not path.startswith(API_PREFIX + "/"):
            return self._refuse(request, "unrouted", self.error(404, "Endpoint not found."))
        route = path.removeprefix(API_PREFIX)
        handler = API_ROUTES.get((request.method, route))
        if handler is None:
            known = any(r == route for _, r in API_ROUTES)
            error = (
                self.error(
                    405, f"The requested resource does not support http method '{request.method}'."
                )
                if known
                else self.error(404, "Endpoint not found.")
            )
            return self._refuse(request, "unrouted", error)
        return self._api(request, f"{request.method} {route}", handler)

    def _refuse(self, request: Request, route: str, error: HTTPError) -> Response:
        self.stats.request(route, error.status)
        return error.to_response()

    def _api(self, request: Request, route: str, handler) -> Response:
        knobs = self.knobs
        headers: dict[str, str] = {}
        try:
            if self.faults.stall(knobs):
                self.stats.bump("timeouts_injected")
            account = (request.header("api-auth-accountid") or "").strip().lower()
            key = (request.header("api-auth-applicationkey") or "").strip().lower()
            if (account, key) != (
                self.credentials["account_id"],
                self.credentials["application_key"],
            ):
                self.stats.bump("auth_refused")
                raise self.error(403, "Incorrect credentials!")
            storm = self.faults.take_storm()
            verdict = self.limiter.hit(
                account, knobs.rate_limit, knobs.rate_limit_window_s, consume=not storm
            )
            if knobs.rate_limit_headers:
                headers["X-RateLimit-Limit"] = str(knobs.rate_limit)
                headers["X-RateLimit-Remaining"] = str(verdict.remaining)
            if not verdict.allowed:
                self.stats.bump("rate_limited")
                if knobs.rate_limit_retry_after:
                    headers["Retry-After"] = retry_after_header(verdict.retry_after)
                raise self.error(
                    knobs.rate_limit_status,
                    f"You reached {knobs.rate_limit} calls per minute API limit",
                )
            if self.faults.error(knobs):
                self.stats.bump("errors_injected")
                raise self.error(knobs.error_status, status_phrase(knobs.error_status))
            with self.lock:
                status, body = handler(self, request)
            response = json_response(body, status, headers)
        except HTTPError as error:
            error.headers = {**headers, **error.headers}
            response = error.to_response()
        self.stats.request(route, response.status)
        return response
