"""The HighLevel sandbox app, mounted at `/highlevel`: the Contacts API (Versions 2021-07-28
and v3, the values the Contacts specs allow, plus any in Config.extra_versions), OAuth, rate
limits, webhooks and the `_control` endpoint.

Every API request goes through one pipeline, in the live API's order: injected latency,
Version header (missing -> 401, unknown -> 400), bearer token (unknown/expired/revoked ->
401 "Invalid JWT"; wrong token class or missing scope -> 401), rate limit (429), injected
5xx, then the handler under the sandbox lock. Rate-limit headers go on every response to
a request whose token was accepted, and every JSON body gets a `traceId`. Requests to an
operation the spec marks deprecated (GET /contacts/) are counted in `deprecated_requests`,
so tests can show a client never relies on one."""

import collections
import threading
import time
import uuid

from sandboxes.highlevel import (
    associations,
    contacts,
    control,
    errors,
    locations,
    oauth,
    search,
    seed,
    tasks_notes,
)
from sandboxes.highlevel.config import Config, apply_changes
from sandboxes.highlevel.context import Ctx
from sandboxes.highlevel.ratelimit import RateLimiter
from sandboxes.highlevel.state import Data
from sandboxes.highlevel.tokens import Tokens
from sandboxes.highlevel.webhooks import SigningKeys, Webhooks
from sandboxes.kit.kit import Faults, Stats, status_phrase
from sandboxes.kit.server import SandboxApp, SandboxOptions
from sandboxes.kit.store import Store
from sandboxes.kit.web import HTTPError, Request, Response, Router, json_response

VERSIONS = ("2021-07-28", "v3")  # the Version enums of contacts.json and contacts-v3.json
DEPRECATED = {"GET /contacts/"}  # operations the Contacts spec marks deprecated
READ = ("contacts.readonly", "contacts.write")
WRITE = ("contacts.write",)
CONTACT = "/contacts/{contactId}"
# Counters `/_control` always reports, 0 until something bumps them.
COUNTERS = (
    "tokens_issued",
    "token_failures",
    "token_refreshes",
    "token_refresh_failures",
    "authorizations_approved",
    "authorizations_denied",
    "rate_limited",
    "errors_injected",
    "timeouts_injected",
    "token_errors_injected",
    "token_timeouts_injected",
    "webhooks_sent",
    "webhooks_failed",
    "webhook_attempts",
    "webhook_retries",
    "webhooks_unrouted",
    "deprecated_requests",
)

# (method, path, handler, scopes that allow it; any one is enough)
API_ROUTES = [
    ("GET", "/contacts/", search.list_contacts, READ),
    ("POST", "/contacts/", contacts.create, WRITE),
    ("POST", "/contacts/upsert", contacts.upsert, WRITE),
    ("POST", "/contacts/search", search.search_contacts, READ),
    ("GET", "/contacts/search/duplicate", search.duplicate, READ),
    ("POST", "/contacts/bulk/tags/update/{type}", associations.bulk_tags, WRITE),
    ("POST", "/contacts/bulk/business", associations.bulk_business, WRITE),
    ("GET", "/contacts/business/{businessId}", search.by_business, READ),
    ("GET", CONTACT, contacts.get_contact, READ),
    ("PUT", CONTACT, contacts.update, WRITE),
    ("DELETE", CONTACT, contacts.delete, WRITE),
    ("GET", CONTACT + "/tasks", tasks_notes.list_tasks, READ),
    ("POST", CONTACT + "/tasks", tasks_notes.create_task, WRITE),
    ("GET", CONTACT + "/tasks/{taskId}", tasks_notes.get_task, READ),
    ("PUT", CONTACT + "/tasks/{taskId}", tasks_notes.update_task, WRITE),
    ("DELETE", CONTACT + "/tasks/{taskId}", tasks_notes.delete_task, WRITE),
    ("PUT", CONTACT + "/tasks/{taskId}/completed", tasks_notes.complete_task, WRITE),
    ("GET", CONTACT + "/notes", tasks_notes.list_notes, READ),
    ("POST", CONTACT + "/notes", tasks_notes.create_note, WRITE),
    ("GET", CONTACT + "/notes/{id}", tasks_notes.get_note, READ),
    ("PUT", CONTACT + "/notes/{id}", tasks_notes.update_note, WRITE),
    ("DELETE", CONTACT + "/notes/{id}", tasks_notes.delete_note, WRITE),
    ("GET", CONTACT + "/appointments", tasks_notes.list_appointments, READ),
    ("POST", CONTACT + "/tags", associations.add_tags, WRITE),
    ("DELETE", CONTACT + "/tags", associations.remove_tags, WRITE),
    ("POST", CONTACT + "/followers", associations.add_followers, WRITE),
    ("DELETE", CONTACT + "/followers", associations.remove_followers, WRITE),
    ("POST", CONTACT + "/campaigns/{campaignId}", associations.add_to_campaign, WRITE),
    ("DELETE", CONTACT + "/campaigns/{campaignId}", associations.remove_from_campaign, WRITE),
    ("POST", CONTACT + "/workflow/{workflowId}", associations.add_to_workflow, WRITE),
    ("DELETE", CONTACT + "/workflow/{workflowId}", associations.remove_from_workflow, WRITE),
    (
        "GET",
        "/locations/{locationId}/customFields",
        locations.custom_fields,
        ("locations/customFields.readonly", "locations/customFields.write"),
    ),
    ("GET", "/users/", locations.users, ("users.readonly",)),
]
COMPANY_ROUTES = [
    ("POST", "/oauth/locationToken", oauth.location_token, ("oauth.write",)),
    (
        "GET",
        "/oauth/installedLocations",
        oauth.installed_locations,
        ("oauth.readonly", "oauth.write"),
    ),
]


class HighLevelSandbox(SandboxApp):
    """`HighLevelSandbox(options, **knobs)`: knobs are Config fields that become this
    instance's defaults (e.g. burst_limit=5, webhook_url=...). `rsa_key_bits` sizes the
    legacy webhook signing key (HighLevel's is 4096; tests use 2048 to start faster)."""

    name = "highlevel"

    def __init__(self, options: SandboxOptions, *, rsa_key_bits: int = 4096, **knobs):
        super().__init__(options)
        self.knobs = knobs
        self.config = self._fresh_config()
        self.lock = threading.RLock()
        self.store = Store(self.state_path())
        self.stats = Stats(always=COUNTERS)
        # Faults draw from an RNG seeded by the random seed (re-seeded on reset), so a test
        # that sets error_rate=0.5 sees the same sequence every run.
        self.faults = Faults(self.name, options.random_seed)
        # Faults a test plans for the next token requests, in order (the `token_faults`
        # control action): the lost answer to a refresh is then sure to happen, not a roll.
        self.token_faults: collections.deque[str] = collections.deque()
        self.limiter = RateLimiter()
        self.credentials = self.store.get_meta("credentials")
        if self.credentials is None:
            self.credentials = seed.credentials(options.random_seed)
            self.store.set_meta("credentials", self.credentials)
        self.data = Data(self.store)
        self.tokens = Tokens(self.store, self.credentials["jwt_secret"])
        if self.data.is_empty():
            self._seed()
        self.keys = SigningKeys(self.store, rsa_key_bits)
        self.webhooks = Webhooks(self.keys, lambda: self.config, self.stats, options.random_seed)
        self.router = self._routes()

    def _fresh_config(self) -> Config:
        # The app's registered webhook URL: --webhook-base, unless a knob names another.
        config = Config(webhook_url=self.default_webhook_url())
        problems = apply_changes(config, self.knobs)
        if problems:
            raise ValueError("; ".join(problems))
        return config

    def reset_config(self) -> None:
        self.config = self._fresh_config()

    def _seed(self) -> None:
        creds = self.credentials
        with self.store.batch():
            seed.seed_reference(self.data, creds, self.options.random_seed)
            seed.seed_contacts(self.data, creds, self.options.seed, self.options.random_seed)
            self.tokens.add_pit(
                creds["private_integration_token"],
                location_id=creds["location_ids"][0],
                company_id=creds["company_id"],
                scopes=seed.PIT_SCOPES.split(),
                user_id=creds["user_ids"][0],
            )

    def describe(self) -> dict:
        creds = self.credentials
        return {
            "provider": self.name,
            "base_url": self.base_url,
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
            "company_id": creds["company_id"],
            "location_id": creds["location_ids"][0],
            "location_ids": list(creds["location_ids"]),
            "private_integration_token": creds["private_integration_token"],
            "webhook_public_key": self.keys.ed25519_public_b64,
            "webhook_rsa_public_key": self.keys.rsa_public_pem,
            "authorize_url": f"{self.base_url}/oauth/chooselocation",
            "token_url": f"{self.base_url}/oauth/token",
            "control_url": f"{self.base_url}/_control",
        }

    def close(self) -> None:
        self.webhooks.close()
        self.store.close()

    def trace_id(self) -> str:
        return str(uuid.uuid4())

    def handle(self, request: Request) -> Response:
        return self.router.dispatch(request, self._not_found)

    def _not_found(self, request: Request) -> Response:
        body = {
            "statusCode": 404,
            "message": f"Cannot {request.method} {request.path}",
            "error": "Not Found",
        }
        self.stats.request("unrouted", 404)
        return json_response({**body, "traceId": self.trace_id()}, 404)

    # Routing.

    def _routes(self) -> Router:
        router = Router()
        for method, path, handler, scopes in API_ROUTES:
            router.add(method, path, self._api(f"{method} {path}", handler, scopes, "Location"))
        for method, path, handler, scopes in COMPANY_ROUTES:
            router.add(method, path, self._api(f"{method} {path}", handler, scopes, "Company"))
        router.add("POST", "/oauth/token", self._token)
        for path in ("/oauth/chooselocation", "/v2/oauth/chooselocation"):
            for method in ("GET", "POST"):
                router.add(method, path, self._page(f"{method} {path}"))
        router.add("GET", "/_control", self._control(lambda request: (200, control.state(self))))
        router.add(
            "POST",
            "/_control",
            self._control(lambda request: (200, control.update(self, request.json()))),
        )
        router.add(
            "POST", "/_control/reset", self._control(lambda request: (200, control.reset(self)))
        )
        router.add(
            "GET",
            "/_control/webhooks",
            self._control(lambda request: (200, control.deliveries(self, request))),
        )
        router.add(
            "POST",
            "/_control/contacts",
            self._control(lambda request: control.ui_contact(self, request)),
        )
        for method in ("PUT", "DELETE"):
            router.add(
                method,
                "/_control/contacts/{contactId}",
                self._control(
                    lambda request, contactId: control.ui_contact(self, request, contactId)
                ),
            )
        return router

    def _check_version(self, request: Request) -> str:
        version = (request.header("version") or "").strip()
        if not version:
            raise HTTPError(401, {"statusCode": 401, "message": "version header was not found."})
        if version not in VERSIONS and version not in self.config.extra_versions:
            raise errors.bad_request(f"Invalid API version segment '{version}' at position 0")
        return version

    def _authenticate(self, request: Request, scopes: tuple, auth_class: str) -> dict:
        scheme, _, value = (request.header("authorization") or "").partition(" ")
        token = self.tokens.valid_access(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise errors.unauthorized()
        if token["user_type"] != auth_class:
            raise errors.unauthorized(
                errors.WRONG_AUTH_CLASS
                if auth_class == "Location"
                else "Token's user type mismatch!"
            )
        if not any(scope in token["scopes"] for scope in scopes):
            raise errors.unauthorized(errors.SCOPE_MISSING)
        return token

    def _injected_error(self, counter: str = "errors_injected") -> HTTPError:
        status = self.config.error_status
        self.stats.bump(counter)
        return HTTPError(status, {"statusCode": status, "message": status_phrase(status)})

    def _api(self, route: str, handler, scopes: tuple, auth_class: str):
        def run(request: Request, **params) -> Response:
            headers: dict[str, str] = {}
            try:
                if self.faults.stall(self.config):
                    self.stats.bump("timeouts_injected")
                version = self._check_version(request)
                token = self._authenticate(request, scopes, auth_class)
                key = (token["app_key"], token["location_id"] or token["company_id"])
                storm = self.faults.take_storm()
                allowed, headers = self.limiter.hit(key, self.config, consume=not storm)
                if not allowed:
                    raise errors.too_many_requests(headers)
                if self.faults.error(self.config):
                    raise self._injected_error()
                if route in DEPRECATED:
                    self.stats.bump("deprecated_requests")
                ctx = Ctx(self, request, token, version)
                with self.lock:
                    status, body = handler(ctx, **params)
            except HTTPError as error:
                status, body = error.status, dict(error.payload or {})
                headers = {**headers, **error.headers}
            if status == 429:
                self.stats.bump("rate_limited")
            self.stats.request(route, status)
            return json_response({**body, "traceId": self.trace_id()}, status, headers)

        return run

    def _token(self, request: Request) -> Response:
        # Faults here are counted apart from the API's (token_*_injected): a token request
        # is not an API call, and tests hold the API's fault counters against their logs.
        route = "POST /oauth/token"
        with self.lock:
            planned = self.token_faults.popleft() if self.token_faults else None
        if planned == "timeout" or (planned is None and self.faults.stall(self.config)):
            self.stats.bump("token_timeouts_injected")
        if planned == "error" or (planned is None and self.faults.error(self.config)):
            error = self._injected_error("token_errors_injected")
            response = json_response({**error.payload, "traceId": self.trace_id()}, error.status)
        else:
            response = oauth.token_response(self, request)
        if self.config.token_latency_ms:  # the work is done; only the answer is late
            time.sleep(self.config.token_latency_ms / 1000)
        if planned == "timeout":  # the same, as a planned fault: a refresh's answer is lost
            time.sleep(self.config.timeout_ms / 1000)
        self.stats.request(route, response.status)
        return response

    def _page(self, route: str):
        def run(request: Request) -> Response:
            response = oauth.choose_location(self, request)
            self.stats.request(route, response.status)
            return response

        return run

    def _control(self, action):
        def run(request: Request, **params) -> Response:
            if not self.options.test_mode:
                body = {
                    "statusCode": 403,
                    "message": "The control endpoint is off: the sandbox is not in test mode.",
                }
                return json_response(body, 403)
            try:
                status, body = action(request, **params)
            except HTTPError as error:
                status, body = error.status, error.payload
            return json_response(body, status)

        return run
