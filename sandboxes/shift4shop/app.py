"""The Shift4Shop sandbox, mounted at `/shift4shop`: the REST API's customer endpoints under
`/3dCartWebAPI/v1|v2/`, "Customer New" webhooks and the `/_control` endpoint.

Every API request goes through one pipeline: injected latency, the three auth headers
(`SecureURL`, `PrivateKey`, `Token`; any wrong -> 401 status array), the rate limit per
store and app (429 by default), an injected 5xx, then the handler under the sandbox lock.
Paths are matched without regard to case, as the platform's IIS-hosted API does [I].
The handlers (api.py, control.py) act on the app's `Shop` (state.py), never on the app.
"""

from sandboxes.kit.control import ControlPanel, apply_knobs
from sandboxes.kit.delivery import WebhookSender
from sandboxes.kit.kit import Faults, RateLimiter, Stats, retry_after_header, status_phrase
from sandboxes.kit.server import SandboxApp, SandboxOptions
from sandboxes.kit.store import Store
from sandboxes.kit.web import HTTPError, Request, Response, Router, json_response
from sandboxes.shift4shop import api, control, customers, seed
from sandboxes.shift4shop.knobs import Knobs
from sandboxes.shift4shop.state import Shop

API_PATH = "/3dCartWebAPI/v2"
PREFIX = "/3dcartwebapi/{version}"
VERSIONS = ("v1", "v2")
CUSTOMER = PREFIX + "/customers/{customer_id}"
GROUP = PREFIX + "/customergroups/{group_id}"
API_ROUTES = [
    ("GET", PREFIX + "/customers", api.list_customers),
    ("POST", PREFIX + "/customers", api.create_customers),
    ("PUT", PREFIX + "/customers", api.update_customers),
    ("GET", CUSTOMER, api.get_customer),
    ("PUT", CUSTOMER, api.update_customer),
    ("DELETE", CUSTOMER, api.delete_customer),
    ("GET", PREFIX + "/customergroups", api.list_groups),
    ("GET", GROUP, api.get_group),
    ("GET", GROUP + "/customers", api.group_customers),
    ("GET", PREFIX + "/webhooks", api.list_webhooks),
    ("POST", PREFIX + "/webhooks", api.create_webhook),
    ("DELETE", PREFIX + "/webhooks/{webhook_id}", api.delete_webhook),
]


def _store_key(url: str) -> str:
    """SecureURL compared as the platform would: scheme, case and trailing slash ignored."""
    return url.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")


class Shift4ShopSandbox(SandboxApp):
    """`Shift4ShopSandbox(options, **knobs)`: knobs (see knobs.py) become this instance's
    defaults, e.g. `rate_limit=1000` for a test session that must not throttle itself."""

    name = "shift4shop"

    def __init__(self, options: SandboxOptions, **knobs):
        super().__init__(options)
        self.defaults = knobs
        self.knobs = self.fresh_knobs()
        self.store = Store(self.state_path())
        self.stats = Stats()
        self.faults = Faults(self.name, options.random_seed)
        self.limiter = RateLimiter()
        self.credentials = self.store.get_meta("credentials")
        if self.credentials is None:
            self.credentials = seed.credentials(options.random_seed)
            self.store.set_meta("credentials", self.credentials)
        if not self.store.get_meta("seeded"):
            with self.store.batch():
                next_id = seed.seed_customers(self.store, options.seed, options.random_seed)
                self.store.set_meta("next_customer_id", next_id)
                self.store.set_meta("seeded", True)
        self.webhooks = WebhookSender(
            self.name, lambda: self.knobs, self.stats, options.random_seed
        )
        # What the handlers act on; they never see the app.
        self.shop = Shop(self.store, lambda: self.knobs, self.stats, self.webhooks)
        self.lock = self.shop.lock
        self.control = ControlPanel(
            knobs=lambda: self.knobs,
            defaults=self.fresh_knobs,
            set_knobs=self._set_knobs,
            stats=self.stats,
            faults=self.faults,
            limiter=self.limiter,
            webhooks=self.webhooks,
            extra=lambda: {
                "customers": self.store.count("customer"),
                "next_customer_id": self.store.get_meta("next_customer_id", 1),
            },
        )
        self.router = self._routes()

    def fresh_knobs(self) -> Knobs:
        knobs = Knobs()
        problems = apply_knobs(knobs, self.defaults)
        if problems:
            raise ValueError("; ".join(problems))
        return knobs

    def _set_knobs(self, knobs: Knobs) -> None:
        self.knobs = knobs

    def describe(self) -> dict:
        creds = self.credentials
        return {
            "provider": self.name,
            "base_url": self.base_url,
            "api_url": self.base_url + API_PATH,
            "secure_url": creds["secure_url"],
            "store_name": creds["store_name"],
            "private_key": creds["private_key"],
            "token": creds["token"],
            "store_timezone": self.knobs.store_timezone,
            "control_url": f"{self.base_url}/_control",
        }

    def close(self) -> None:
        self.webhooks.close()
        self.store.close()

    # --- routing ------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.path.rstrip("/").startswith("/_control"):
            return self._control(request)
        request.path = request.path.lower()
        return self.router.dispatch(request, self._not_found)

    def _not_found(self, request: Request) -> Response:
        self.stats.request("unrouted", 404)
        body = [api.status("", "", 404, f"No HTTP resource was found at {request.path}.")]
        return json_response(body, 404)

    def _routes(self) -> Router:
        router = Router()
        for method, path, handler in API_ROUTES:
            router.add(method, path, self._api(f"{method} {path}", handler))
        return router

    def _control(self, request: Request) -> Response:
        try:
            if request.path.rstrip("/").startswith("/_control/customers"):
                if not self.options.test_mode:
                    raise HTTPError(403, {"message": "The control endpoint is off."})
                return control.admin_change(self.shop, request)
            if request.method == "POST" and request.path.rstrip("/") == "/_control":
                control.check_knobs(request.json(required=False))
            return self.control.handle(request, self.options.test_mode)
        except HTTPError as error:
            return error.to_response()

    def _authenticate(self, request: Request) -> tuple[str, str]:
        creds, code = self.credentials, self.knobs.auth_error_status
        secure_url = request.header("secureurl") or ""
        private_key = request.header("privatekey") or ""
        token = request.header("token") or ""
        if not (secure_url and private_key and token):
            raise api.error(code, "The SecureURL, PrivateKey and Token headers are required.")
        if private_key != creds["private_key"]:
            raise api.error(code, "The PrivateKey is not valid.")
        if _store_key(secure_url) != _store_key(creds["secure_url"]):
            raise api.error(code, "The SecureURL is not a store that authorized this app.")
        if token != creds["token"]:
            raise api.error(code, "The Token is not valid for this store.")
        return private_key, _store_key(secure_url)

    def _refuse_for_rate(self, retry_after: float) -> HTTPError:
        knobs = self.knobs
        headers = {"Retry-After": retry_after_header(retry_after)}
        refusal = api.error(knobs.rate_limit_status, "Too many requests. Slow down.")
        refusal.headers = headers if knobs.rate_limit_retry_after else {}
        return refusal

    def _injected_error(self) -> HTTPError:
        code = self.knobs.error_status
        self.stats.bump("errors_injected")
        return api.error(code, status_phrase(code))

    def _api(self, route: str, handler):
        def run(request: Request, version: str, **params) -> Response:
            headers: dict[str, str] = {}
            try:
                if version not in VERSIONS:
                    return self._not_found(request)
                if self.faults.stall(self.knobs):
                    self.stats.bump("timeouts_injected")
                key = self._authenticate(request)
                knobs = self.knobs
                storm = self.faults.take_storm()
                verdict = self.limiter.hit(
                    key, knobs.rate_limit, knobs.rate_window_seconds, consume=not storm
                )
                if not verdict.allowed:
                    self.stats.bump("rate_limited")
                    raise self._refuse_for_rate(verdict.retry_after or knobs.rate_window_seconds)
                if self.faults.error(knobs):
                    raise self._injected_error()
                with self.lock:
                    code, body = handler(self.shop, request, **params)
            except customers.Invalid as invalid:
                code, body = 400, [api.status("CustomerID", "", 400, "; ".join(invalid.messages))]
            except HTTPError as error:
                code, body, headers = error.status, error.payload, error.headers
            self.stats.request(route, code)
            return json_response(body, code, headers)

        return run
