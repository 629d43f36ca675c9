"""The Ecwid sandbox app, mounted at `/ecwid`: REST API v3 under `/api/v3/{storeId}`,
webhooks and the `_control` endpoint.

Every API request goes through one pipeline: injected latency, the token (Bearer header or
legacy `?token=`; unknown, revoked or another store's → 403 INVALID_API_TOKEN, and after
`bad_token_limit` of those a minute from one address → 429 for `bad_token_block_seconds`),
every scope the route needs (else 403 INSUFFICIENT_APP_SCOPE), the per-token rate limit
(→ 429 + Retry-After), an injected error, then the handler (given the shared `EcwidState`)
under the state's lock.
`describe()["base_url"]` stands for https://app.ecwid.com; `api_url` adds the store path."""

import time
from dataclasses import replace

from sandboxes.ecwid import control, customers, seed
from sandboxes.ecwid.events import Events
from sandboxes.ecwid.knobs import Knobs
from sandboxes.ecwid.records import error
from sandboxes.ecwid.state import CUSTOMER, EcwidState
from sandboxes.kit.control import ControlPanel, apply_knobs
from sandboxes.kit.kit import Faults, RateLimiter, Stats, retry_after_header, status_phrase
from sandboxes.kit.server import SandboxApp, SandboxOptions
from sandboxes.kit.store import Store
from sandboxes.kit.web import HTTPError, Request, Response, Router, json_response

API = "/api/v3/{storeId}"
CUSTOMER_PATH = API + "/customers/{customerId}"
GROUP_PATH = API + "/customer_groups/{groupId}"
READ, CREATE, UPDATE = ("read_customers",), ("create_customers",), ("update_customers",)
# (method, path, handler, the scopes it needs: all of them). Ecwid's API docs (customers)
# ask for both read_customers and update_customers to PUT a customer.
API_ROUTES = [
    ("GET", API + "/profile", customers.profile, ("read_store_profile",)),
    ("GET", API + "/customers", customers.list_customers, READ),
    ("POST", API + "/customers", customers.create_customer, CREATE),
    ("GET", API + "/customers/deleted", customers.deleted_customers, READ),
    ("GET", CUSTOMER_PATH, customers.get_customer, READ),
    ("PUT", CUSTOMER_PATH, customers.update_customer, READ + UPDATE),
    ("DELETE", CUSTOMER_PATH, customers.delete_customer, UPDATE),
    ("GET", API + "/customer_groups", customers.list_groups, READ),
    ("POST", API + "/customer_groups", customers.create_group, UPDATE),
    ("GET", GROUP_PATH, customers.get_group, READ),
    ("PUT", GROUP_PATH, customers.update_group, UPDATE),
    ("DELETE", GROUP_PATH, customers.delete_group, UPDATE),
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
        self.store = Store(self.state_path())
        self.stats = Stats()
        self.faults = Faults(self.name, options.random_seed)
        self.limiter = RateLimiter()
        self.blocked_addresses: dict[str, float] = {}
        self.credentials = self.store.get_meta("credentials")
        fresh = self.credentials is None
        if fresh:
            self.credentials = seed.credentials(options.random_seed)
            self.store.set_meta("credentials", self.credentials)
            self.store.set_meta("tokens", seed.tokens(self.credentials))
        self.state = EcwidState(
            store=self.store,
            credentials=self.credentials,
            knobs=lambda: self.knobs,
            base_url=lambda: self.base_url,
            test_mode=options.test_mode,
        )
        if fresh:
            with self.store.batch():
                seed.seed(self.store, options.seed, options.random_seed, self.state.next_id)
        self.events = Events(lambda: self.knobs, self.stats, self.credentials, options.random_seed)
        self.state.events = self.events
        self.panel = ControlPanel(
            knobs=lambda: self.knobs,
            defaults=lambda: replace(self.defaults),
            set_knobs=self._set_knobs,
            stats=self.stats,
            faults=self.faults,
            limiter=self.limiter,
            webhooks=self.events.sender,
            actions={
                "issue_token": lambda spec: control.issue_token(self.state, spec),
                "revoke_tokens": lambda tokens: control.revoke_tokens(self.state, tokens),
            },
            extra=lambda: {
                "store_id": self.credentials["store_id"],
                "customers": self.store.count(CUSTOMER),
            },
        )
        self.router = self._routes()

    def _set_knobs(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.blocked_addresses.clear()

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
            return control.handle(self.state, self.panel, request)
        return self.router.dispatch(request, self._not_found)

    def _not_found(self, request: Request) -> Response:
        self.stats.request("unrouted", 404)
        return json_response({"errorMessage": f"Resource not found: {request.path}"}, 404)

    def _routes(self) -> Router:
        router = Router()
        for method, path, handler, scopes in API_ROUTES:
            route = f"{method} {path.removeprefix(API) or '/'}"
            router.add(method, path, self._api(route, handler, scopes))
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

    def _authenticate(self, request: Request, store_id: str, scopes: tuple[str, ...]) -> str:
        token = self._token(request)
        grant = self.state.tokens().get(token) if token else None
        if grant is None or store_id != str(self.credentials["store_id"]):
            raise self._refuse_bad_token(request, token)
        missing = [scope for scope in scopes if scope not in grant["scopes"]]
        if missing:
            raise error(
                403,
                f"The token does not have the {', '.join(missing)} scope required for this request",
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

    def _api(self, route: str, handler, scopes: tuple[str, ...]):
        def run(request: Request, storeId: str, **params) -> Response:
            headers: dict[str, str] = {}
            try:
                if self.faults.stall(self.knobs):
                    self.stats.bump("timeouts_injected")
                token = self._authenticate(request, storeId, scopes)
                self._rate_limit(token)
                if self.faults.error(self.knobs):
                    raise self._injected_error()
                with self.state.lock:
                    status, body = handler(self.state, request, **params)
            except HTTPError as refusal:
                status, body, headers = refusal.status, refusal.payload, refusal.headers
                if isinstance(body, dict) and "errorMessage" not in body:  # e.g. unreadable JSON
                    body = {"errorMessage": body.get("message", ""), "errorCode": "WRONG_PARAMETER"}
            if status == 429:
                self.stats.bump("rate_limited")
            self.stats.request(route, status)
            return json_response(body, status, headers)

        return run
