"""The Cin7 Core sandbox, mounted at `/cin7`: `/cin7/ExternalApi/v2/...` is the API (paths
and query parameter names are case-insensitive, as on the real server), `/cin7/_control`
the test-mode control panel (see control.py).

Every API request goes through one pipeline: injected latency, the two api-auth headers
(wrong or missing -> 403), the account's rate limit (60 calls/minute -> 503 by default),
injected faults, then the handler under the sandbox lock."""

import threading
from dataclasses import replace

from sandboxes.cin7 import control, customers, hooks, reference, seed
from sandboxes.cin7.knobs import Knobs, problems
from sandboxes.cin7.state import Cin7State
from sandboxes.kit.control import ControlPanel, apply_knobs
from sandboxes.kit.delivery import WebhookSender
from sandboxes.kit.kit import (
    Faults,
    RateLimiter,
    Stats,
    retry_after_header,
    status_phrase,
)
from sandboxes.kit.server import SandboxOptions
from sandboxes.kit.store import Store
from sandboxes.kit.web import HTTPError, Request, Response, json_response

API_PREFIX = "/externalapi/v2"
API_ROUTES = {
    ("GET", "/me"): lambda app, request: (200, app.me()),
    ("GET", "/ref/paymentterm"): reference.payment_terms,
    ("GET", "/ref/tax"): reference.tax_rules,
    ("GET", "/ref/account"): reference.accounts,
    ("GET", "/customer"): customers.list_customers,
    ("POST", "/customer"): customers.post_customer,
    ("PUT", "/customer"): customers.put_customer,
    ("GET", "/webhooks"): hooks.list_webhooks,
    ("POST", "/webhooks"): hooks.post_webhook,
    ("PUT", "/webhooks"): hooks.put_webhook,
    ("DELETE", "/webhooks"): hooks.delete_webhook,
}


class Cin7Sandbox(Cin7State):
    """`Cin7Sandbox(options, **knobs)`: knobs are `Knobs` fields that become this instance's
    defaults (e.g. rate_limit=5, rate_limit_window_s=1)."""

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
            # What a new customer gets when the payload leaves it out: the account's own
            # defaults, as GET /me and the /ref lists name them.
            "customer_defaults": {
                "currency": seed.BASE_CURRENCY,
                "payment_term": seed.DEFAULT_PAYMENT_TERM,
                "account_receivable": seed.DEFAULT_ACCOUNT_RECEIVABLE,
                "revenue_account": seed.DEFAULT_REVENUE_ACCOUNT,
                "tax_rule": seed.DEFAULT_TAX_RULE,
            },
        }

    def close(self) -> None:
        self.batcher.close()
        self.webhooks.close()
        self.store.close()

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
