"""The Ecwid sandbox app, mounted at `/ecwid`: REST API v3 under `/api/v3/{storeId}`,
webhooks and the `_control` endpoint.

Every API request goes through one pipeline: injected latency, the token (Bearer header or
legacy `?token=`; unknown, revoked or another store's → 403 INVALID_API_TOKEN, and after
`bad_token_limit` of those a minute from one address → 429 for `bad_token_block_seconds`),
the token's scope (→ 403 INSUFFICIENT_APP_SCOPE), the per-token rate limit (→ 429 +
Retry-After), an injected error, then the handler under the sandbox lock.
`describe()["base_url"]` stands for https://app.ecwid.com; `api_url` adds the store path."""

import threading
import time
from dataclasses import replace

from integrations.providers.ecwid.sandbox import control, customers, seed
from integrations.providers.ecwid.sandbox.events import Events
from integrations.providers.ecwid.sandbox.knobs import Knobs
from integrations.providers.ecwid.sandbox.records import error
from integrations.sandbox.control import ControlPanel, apply_knobs
from integrations.sandbox.kit import Faults, RateLimiter, Stats, retry_after_header, status_phrase
from integrations.sandbox.server import SandboxApp, SandboxOptions
from integrations.sandbox.store import Store
from integrations.sandbox.web import HTTPError, Request, Response, Router, json_response

API = "/api/v3/{storeId}"
CUSTOMER = API + "/customers/{customerId}"
GROUP = API + "/customer_groups/{groupId}"
# (method, path, handler, the scope it needs)
API_ROUTES = [
    ("GET", API + "/profile", customers.profile, "read_store_profile"),
    ("GET", API + "/customers", customers.list_customers, "read_customers"),
    ("POST", API + "/customers", customers.create_customer, "create_customers"),
    ("GET", API + "/customers/deleted", customers.deleted_customers, "read_customers"),
    ("GET", CUSTOMER, customers.get_customer, "read_customers"),
    ("PUT", CUSTOMER, customers.update_customer, "update_customers"),
    ("DELETE", CUSTOMER, customers.delete_customer, "update_customers"),
    ("GET", API + "/customer_groups", customers.list_groups, "read_customers"),
    ("POST", API + "/customer_groups", customers.create_group, "update_customers"),
    ("GET", GROUP, customers.get_group, "read_customers"),
    ("PUT", GROUP, customers.update_group, "update_customers"),
    ("DELETE", GROUP, customers.delete_group, "update_customers"),
]


class EcwidSandbox(SandboxApp):
    """`EcwidSandbox(options, **knobs)`: knobs (see knobs.py) become this instance's
    defaults, e.g. `rate_limit=5` or `webhook_url=...`."""

    name = "ecwid"

    def __init__(self, options: SandboxOptions, **knobs):
        super().__init__(options)
        self.defaults = Knobs(webhook_url=self.default_webhook_url())
        problems = apply_knobs(self.defaults, knobs)
        if problems:
            raise ValueError("; ".join(problems))
        self.knobs = replace(self.defaults)
        self.lock = threading.RLock()
        self.store = Store(self.state_path())
        self.stats = Stats()
        self.faults = Faults(self.name, options.random_seed)
        self.limiter = RateLimiter()
        self.blocked_addresses: dict[str, float] = {}
        self.mute_webhooks = False
        self.credentials = self.store.get_meta("credentials")
        if self.credentials is None:
            self.credentials = seed.credentials(options.random_seed)
            self.store.set_meta("credentials", self.credentials)
            self.store.set_meta("tokens", seed.tokens(self.credentials))
            self._next_id = 100_000_001
            with self.store.batch():
                seed.seed(self.store, options.seed, options.random_seed, self.next_id)
        else:
            self._next_id = self.store.get_meta("next_id", 100_000_001)
        self.events = Events(lambda: self.knobs, self.stats, self.credentials, options.random_seed)
        self.panel = ControlPanel(
            knobs=lambda: self.knobs,
            defaults=lambda: replace(self.defaults),
            set_knobs=self._set_knobs,
            stats=self.stats,
            faults=self.faults,
            limiter=self.limiter,
            webhooks=self.events.sender,
            actions={
                "issue_token": lambda spec: control.issue_token(self, spec),
                "revoke_tokens": lambda tokens: control.revoke_tokens(self, tokens),
            },
            extra=lambda: {
                "store_id": self.credentials["store_id"],
                "customers": self.store.count(customers.CUSTOMER),
            },
        )
        self.router = self._routes()

    # --- helpers the handlers use -------------------------------------------------------------
    def _set_knobs(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.blocked_addresses.clear()

    def now(self) -> int:
        return int(time.time())

    def next_id(self) -> int:
        with self.lock:
            value = self._next_id
            self._next_id += 1
            self.store.set_meta("next_id", self._next_id)
            return value

    def group_names(self) -> dict[int, str]:
        names = {0: "General"}
        names.update((doc["id"], doc["name"]) for doc in self.store.all(customers.GROUP))
        return names

    def tokens(self) -> dict:
        return self.store.get_meta("tokens", {})

    def emit(self, event_type: str, entity_id: int, data: dict) -> None:
        if not self.mute_webhooks:
            self.events.emit(event_type, entity_id, data)

    # --- SandboxApp -----------------------------------------------------------------------------
    def describe(self) -> dict:
        creds = self.credentials
        return {
            "provider": self.name,
            "base_url": self.base_url,
            "api_url": f"{self.base_url}/api/v3/{creds['store_id']}",
            "store_id": creds["store_id"],
            "store_name": creds["store_name"],
            "secret_token": creds["secret_token"],
            "public_token": creds["public_token"],
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "scopes": list(seed.SCOPES),
            "control_url": f"{self.base_url}/_control",
        }

    def close(self) -> None:
        self.events.close()
        self.store.close()

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_control"):
            return control.handle(self, request)
        return self.router.dispatch(request, self._not_found)

    def _not_found(self, request: Request) -> Response:
        self.stats.request("unrouted", 404)
        return json_response({"errorMessage": f"Resource not found: {request.path}"}, 404)

    def _routes(self) -> Router:
        router = Router()
        for method, path, handler, scope in API_ROUTES:
            route = f"{method} {path.removeprefix(API) or '/'}"
            router.add(method, path, self._api(route, handler, scope))
        return router

    # --- the pipeline ---------------------------------------------------------------------------
    def _token(self, request: Request) -> str:
        scheme, _, value = (request.header("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        return request.arg("token") or ""

    def _refuse_bad_token(self, request: Request, token: str) -> HTTPError:
        address = request.environ.get("REMOTE_ADDR", "")
        now = time.monotonic()
        knobs = self.knobs
        if self.blocked_addresses.get(address, 0) <= now:
            verdict = self.limiter.hit(
                ("bad-token", address), knobs.bad_token_limit, knobs.bad_token_window_seconds
            )
            if not verdict.allowed:
                self.blocked_addresses[address] = now + knobs.bad_token_block_seconds
        blocked_for = self.blocked_addresses.get(address, 0) - now
        if blocked_for > 0:
            return error(
                429,
                "Too many requests with an invalid token",
                "RATE_LIMITED",
                {"Retry-After": retry_after_header(blocked_for)},
            )
        message = "API token is not specified" if not token else "Invalid API token"
        return error(403, message, "INVALID_API_TOKEN")

    def _authenticate(self, request: Request, store_id: str, scope: str) -> str:
        token = self._token(request)
        grant = self.tokens().get(token) if token else None
        if grant is None or store_id != str(self.credentials["store_id"]):
            raise self._refuse_bad_token(request, token)
        if scope not in grant["scopes"]:
            raise error(
                403,
                f"The token does not have the {scope} scope required for this request",
                "INSUFFICIENT_APP_SCOPE",
            )
        return token

    def _rate_limit(self, token: str) -> None:
        knobs = self.knobs
        storm = self.faults.take_storm()
        verdict = self.limiter.hit(
            ("token", token), knobs.rate_limit, knobs.rate_window_seconds, consume=not storm
        )
        if not verdict.allowed:
            wait = verdict.retry_after if verdict.retry_after > 0 else knobs.rate_window_seconds
            raise error(
                429,
                "Too many requests: the limit is "
                f"{knobs.rate_limit} per {knobs.rate_window_seconds:g} s per token",
                "RATE_LIMITED",
                {"Retry-After": retry_after_header(wait)},
            )

    def _injected_error(self) -> HTTPError:
        status = self.knobs.error_status
        self.stats.bump("errors_injected")
        return error(status, status_phrase(status))

    def _api(self, route: str, handler, scope: str):
        def run(request: Request, storeId: str, **params) -> Response:
            headers: dict[str, str] = {}
            try:
                if self.faults.stall(self.knobs):
                    self.stats.bump("timeouts_injected")
                token = self._authenticate(request, storeId, scope)
                self._rate_limit(token)
                if self.faults.error(self.knobs):
                    raise self._injected_error()
                with self.lock:
                    status, body = handler(self, request, **params)
            except HTTPError as refusal:
                status, body, headers = refusal.status, refusal.payload, refusal.headers
                if isinstance(body, dict) and "errorMessage" not in body:  # e.g. unreadable JSON
                    body = {"errorMessage": body.get("message", ""), "errorCode": "WRONG_PARAMETER"}
            if status == 429:
                self.stats.bump("rate_limited")
            self.stats.request(route, status)
            return json_response(body, status, headers)

        return run
