"""The Orderspace sandbox, mounted at `/orderspace`: identity server, API v1, webhooks and
`/_control`.

    POST /oauth/token                 client credentials → 30-minute bearer token; also
                                      authorization code and refresh token grants [I]
    GET|POST /oauth/authorize         the public integrations' consent page [I] (the path is
                                      the `authorize_path` knob; authorization.py)
    GET|POST /v1/customers            list (cursor `starting_after`, `limit` ≤ 200) / create (200)
    GET|PUT|DELETE /v1/customers/ID   get / partial update / delete ({"deleted": true})
    GET /v1/customer_groups, /v1/price_lists, /v1/payment_terms, /v1/tax_rates
    GET|POST /v1/webhooks, GET|PUT|DELETE /v1/webhooks/ID

Every API request goes through one pipeline: injected latency/timeout, bearer token (401
with an empty body and the reason in WWW-Authenticate), the per-account rate limit (429,
"Retry later"), injected 5xx, then the handler under the sandbox lock.

`/_control` (test mode) is the kit's ControlPanel with these actions besides the knobs:
    admin_create_customer: {fields}         a change made in Orderspace's admin: fires the
    admin_update_customer: {"id", fields}   customer.* webhooks like the real store does
    admin_delete_customer: "cu_..."
    expire_tokens: true                     every issued token now answers "expired"
    rotate_client_secret: true              the old secret stops working
    revoke_grants: true                     the code grants' tokens stop working (app removed)
"""

import random
import secrets
import threading

from sandboxes.kit.control import ControlPanel, apply_knobs
from sandboxes.kit.delivery import WebhookSender
from sandboxes.kit.kit import Faults, RateLimiter, Stats, retry_after_header, status_phrase
from sandboxes.kit.server import SandboxApp, SandboxOptions
from sandboxes.kit.store import Store
from sandboxes.kit.web import HTTPError, Request, Response, Router, json_response
from sandboxes.orderspace import seed
from sandboxes.orderspace.authorization import Authorizations
from sandboxes.orderspace.knobs import Knobs, choice_errors
from sandboxes.orderspace.records import (
    Customers,
    Invalid,
    bad_request,
    output,
    parse_time,
)
from sandboxes.orderspace.tokens import Tokens
from sandboxes.orderspace.webhooks import Webhooks

FILTERS = ("company_name", "buyers_email_address", "status", "reference", "payment_terms_id")
FILTERS += ("customer_group_id", "price_list_id")
NOT_FOUND_PAGE = (
    "<!DOCTYPE html><html><head><title>404 Page Not Found</title></head><body><div>"
    "<h1>Page Not Found</h1><p>You may have mistyped the address or the page may have moved.</p>"
    "</div></body></html>"
)


class OrderspaceSandbox(SandboxApp):
    """`OrderspaceSandbox(options, **knobs)`: knobs (see knobs.py) become this instance's
    defaults, e.g. `rate_limit=5, rate_window_seconds=1`."""

    name = "orderspace"

    def __init__(self, options: SandboxOptions, **knobs):
        super().__init__(options)
        self.overrides = knobs
        self.knobs = self._default_knobs()
        self.lock = threading.RLock()
        self.store = Store(self.state_path())
        self.stats = Stats()
        self.faults = Faults(self.name, options.random_seed)
        self.limiter = RateLimiter()
        self.rng = random.Random(f"orderspace-keys:{options.random_seed}")
        self.credentials = self.store.get_meta("credentials")
        if self.credentials is None:
            self.credentials = seed.credentials(options.random_seed)
            self.store.set_meta("credentials", self.credentials)
        references = self.store.get_meta("references")
        if references is None:
            references = seed.references(options.random_seed)
            self.store.set_meta("references", references)
        self.customers = Customers(self.store, references, options.random_seed)
        if not self.store.get_meta("seeded"):
            with self.store.batch():
                seed.seed_customers(self.customers, options.seed, options.random_seed)
                self.store.set_meta("seeded", True)
        self.tokens = Tokens(self.store)
        self.authorizations = Authorizations(self.store, lambda: self.knobs, self.stats)
        sender = WebhookSender(self.name, lambda: self.knobs, self.stats, options.random_seed)
        self.webhooks = Webhooks(
            self.store,
            lambda: self.knobs,
            sender,
            self.credentials["admin_signing_key"],
            self.customers.new_id,
        )
        self.control = ControlPanel(
            knobs=lambda: self.knobs,
            defaults=self._default_knobs,
            set_knobs=self._set_knobs,
            stats=self.stats,
            faults=self.faults,
            limiter=self.limiter,
            webhooks=sender,
            actions={
                "admin_create_customer": self._admin_create,
                "admin_update_customer": self._admin_update,
                "admin_delete_customer": self._admin_delete,
                "expire_tokens": lambda _: {"expired": self.tokens.expire_all()},
                "rotate_client_secret": self._rotate_secret,
                "revoke_grants": lambda _: {"revoked": self.tokens.revoke_grants()},
            },
            extra=lambda: {
                "customers": self.customers.count(),
                "webhooks": len(self.webhooks.all()),
                "tokens_active": self.tokens.active(),
                "events_batching": self.webhooks.pending_batches(),
            },
        )
        self.router = self._routes()

    # --- set-up -------------------------------------------------------------------------------
    def _default_knobs(self) -> Knobs:
        knobs = Knobs(webhook_url=self.default_webhook_url())
        problems = apply_knobs(knobs, self.overrides) + choice_errors(self.overrides)
        if problems:
            raise ValueError("; ".join(problems))
        return knobs

    def _set_knobs(self, knobs: Knobs) -> None:
        self.knobs = knobs

    def describe(self) -> dict:
        return {
            "provider": self.name,
            "base_url": self.base_url,
            "api_url": f"{self.base_url}/v1",  # Orderspace's https://api.orderspace.com/v1
            "token_url": f"{self.base_url}/oauth/token",
            "authorize_url": f"{self.base_url}{self.knobs.authorize_path}",  # [I]
            "client_id": self.credentials["client_id"],
            "client_secret": self.credentials["client_secret"],
            "webhook_signing_key": self.credentials["admin_signing_key"],
            "webhook_url": self.knobs.webhook_url,
            "site_name": self.credentials["site_name"],
            "control_url": f"{self.base_url}/_control",
        }

    def close(self) -> None:
        self.webhooks.close()
        self.store.close()

    def _routes(self) -> Router:
        router = Router()
        router.add("POST", "/oauth/token", self._token)
        api = [
            ("GET", "/v1/customers", self._list_customers),
            ("POST", "/v1/customers", self._create_customer),
            ("GET", "/v1/customers/{id}", self._get_customer),
            ("PUT", "/v1/customers/{id}", self._update_customer),
            ("DELETE", "/v1/customers/{id}", self._delete_customer),
            ("GET", "/v1/webhooks", self._list_webhooks),
            ("POST", "/v1/webhooks", self._create_webhook),
            ("GET", "/v1/webhooks/{id}", self._get_webhook),
            ("PUT", "/v1/webhooks/{id}", self._update_webhook),
            ("DELETE", "/v1/webhooks/{id}", self._delete_webhook),
        ]
        for kind in seed.REFERENCE_NAMES:
            api.append(("GET", f"/v1/{kind}", self._reference_list(kind)))
        for method, path, handler in api:
            router.add(method, path, self._api(f"{method} {path}", handler))
        return router

    # --- the pipeline -------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.path == "/_control" or request.path.startswith("/_control/"):
            return self._control(request)
        if request.path == self.knobs.authorize_path and request.method in ("GET", "POST"):
            with self.lock:
                response = self.authorizations.page(request, self.credentials)
            self.stats.request(f"{request.method} /oauth/authorize", response.status)
            return response
        return self.router.dispatch(request, self._not_found)

    def _control(self, request: Request) -> Response:
        if request.method == "POST" and request.path.rstrip("/") == "/_control":
            body = request.json(required=False)
            problems = choice_errors(body) if isinstance(body, dict) else []
            if problems:
                raise HTTPError(422, {"errors": problems})
        with self.lock:
            return self.control.handle(request, self.options.test_mode)

    def _not_found(self, request: Request) -> Response:
        self.stats.request("unrouted", 404)
        return Response(404, NOT_FOUND_PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def _token(self, request: Request) -> Response:
        try:
            if self.faults.stall(self.knobs):
                self.stats.bump("timeouts_injected")
            if self.faults.error(self.knobs):
                raise self._injected_error()
            with self.lock:
                response, grant_type = self.tokens.grant(
                    request, self.credentials, self.knobs, self.authorizations.redeem
                )
            self.stats.bump("tokens_issued")
            self.stats.bump(f"tokens_issued_by_{grant_type}")
        except HTTPError as error:
            response = error.to_response()
        self.stats.request("POST /oauth/token", response.status)
        return response

    def _injected_error(self) -> HTTPError:
        status = self.knobs.error_status
        self.stats.bump("errors_injected")
        return HTTPError(status, {"message": status_phrase(status)})

    def _rate_limited(self) -> HTTPError:
        self.stats.bump("rate_limited")
        headers = {"Content-Type": "text/plain"}
        if self.knobs.rate_limit_retry_after:
            headers["Retry-After"] = retry_after_header(self.knobs.rate_window_seconds)
        return HTTPError(429, "Retry later\n", headers)

    def _api(self, route: str, handler):
        def run(request: Request, **params) -> Response:
            try:
                if self.faults.stall(self.knobs):
                    self.stats.bump("timeouts_injected")
                token = self.tokens.authenticate(request)
                storm = self.faults.take_storm()
                verdict = self.limiter.hit(
                    token["client_id"],
                    self.knobs.rate_limit,
                    self.knobs.rate_window_seconds,
                    consume=not storm,
                )
                if not verdict.allowed:
                    raise self._rate_limited()
                if self.faults.error(self.knobs):
                    raise self._injected_error()
                with self.lock:
                    response = handler(request, **params)
            except Invalid as invalid:
                response = json_response(
                    {"message": "Validation failed: " + ", ".join(invalid.problems)}, 422
                )
            except HTTPError as error:
                response = error.to_response()
            self.stats.request(route, response.status)
            return response

        return run

    # --- customers ----------------------------------------------------------------------------
    def _out(self, record: dict) -> dict:
        return output(record, self.knobs.created_field)

    def _body(self, request: Request, key: str) -> dict:
        try:
            body = request.json()
        except HTTPError:
            raise bad_request() from None
        if not isinstance(body, dict) or not isinstance(body.get(key), dict):
            raise bad_request()  # Rails' params.require(:customer)
        return body[key]

    def _limit(self, request: Request) -> int:
        text = request.arg("limit")
        if text is None or text == "":
            return self.knobs.page_default
        try:
            limit = int(text)
        except ValueError:
            raise bad_request() from None
        if limit < 1 or (limit > self.knobs.page_max and self.knobs.limit_over_max != "clamp"):
            raise bad_request()
        return min(limit, self.knobs.page_max)

    def _list_customers(self, request: Request) -> Response:
        limit = self._limit(request)
        since = request.arg("created_since")
        cursor = request.arg("starting_after")
        after = None
        if cursor:
            after = self.customers.position(
                cursor, allow_deleted=self.knobs.deleted_cursor == "continue"
            )
        records, has_more = self.customers.page(
            filters={key: request.arg(key) for key in FILTERS if request.arg(key)},
            created_since=parse_time(since) if since else None,
            inclusive=self.knobs.created_since_inclusive,
            after=after,
            limit=limit,
        )
        return json_response({"customers": [self._out(r) for r in records], "has_more": has_more})

    def _get_customer(self, request: Request, id: str) -> Response:
        return json_response({"customer": self._out(self.customers.get(id))})

    def _publish_customer(self, event: str, record: dict, *, admin: bool) -> None:
        if not admin and not self.knobs.webhooks_for_api_changes:
            return
        if event == "customer.deleted":
            data = {"id": record["id"], "company_name": record["company_name"], "deleted": True}
        else:
            data = self._out(record)
        self.webhooks.publish(event, {"customer": data})

    def _create_customer(self, request: Request) -> Response:
        record = self.customers.create(self._body(request, "customer"))
        self._publish_customer("customer.created", record, admin=False)
        return json_response({"customer": self._out(record)})  # [V] 200, not 201

    def _update_customer(self, request: Request, id: str) -> Response:
        record = self.customers.update(id, self._body(request, "customer"))
        self._publish_customer("customer.updated", record, admin=False)
        return json_response({"customer": self._out(record)})

    def _delete_customer(self, request: Request, id: str) -> Response:
        record = self.customers.delete(id)
        self._publish_customer("customer.deleted", record, admin=False)
        return json_response({"customer": {"id": id, "deleted": True}})

    def _reference_list(self, kind: str):
        def run(request: Request) -> Response:
            items = self.customers.references.get(kind, {})
            return json_response({kind: [{"id": k, "name": v} for k, v in items.items()]})

        return run

    # --- webhooks -----------------------------------------------------------------------------
    @staticmethod
    def _webhook_out(record: dict) -> dict:
        return {k: record[k] for k in ("id", "endpoint", "signing_key", "events")}

    def _list_webhooks(self, request: Request) -> Response:
        return json_response({"webhooks": [self._webhook_out(w) for w in self.webhooks.all()]})

    def _create_webhook(self, request: Request) -> Response:
        record = self.webhooks.create(
            self._body(request, "webhook"), self.rng, self.customers.next_seq()
        )
        return json_response({"webhook": self._webhook_out(record)})

    def _get_webhook(self, request: Request, id: str) -> Response:
        return json_response({"webhook": self._webhook_out(self.webhooks.get(id))})

    def _update_webhook(self, request: Request, id: str) -> Response:
        record = self.webhooks.update(id, self._body(request, "webhook"))
        return json_response({"webhook": self._webhook_out(record)})

    def _delete_webhook(self, request: Request, id: str) -> Response:
        self.webhooks.delete(id)
        return json_response({"webhook": {"id": id, "deleted": True}})

    # --- admin changes and other /_control actions ----------------------------------------------
    def _admin(self, change):
        try:
            return change()
        except Invalid as invalid:
            raise HTTPError(422, {"errors": invalid.problems}) from None
        except HTTPError as error:
            if error.status == 400:
                problem = "the customer fields must be an object"
                raise HTTPError(422, {"errors": [problem]}) from None
            raise

    def _admin_create(self, fields) -> dict:
        record = self._admin(lambda: self.customers.create(fields))
        self._publish_customer("customer.created", record, admin=True)
        return self._out(record)

    def _admin_update(self, fields) -> dict:
        if not isinstance(fields, dict) or not isinstance(fields.get("id"), str):
            raise HTTPError(422, {"errors": ["admin_update_customer needs an id"]})
        changes = {k: v for k, v in fields.items() if k != "id"}
        record = self._admin(lambda: self.customers.update(fields["id"], changes))
        self._publish_customer("customer.updated", record, admin=True)
        return self._out(record)

    def _admin_delete(self, customer_id) -> dict:
        if not isinstance(customer_id, str):
            raise HTTPError(422, {"errors": ["admin_delete_customer needs a customer id"]})
        record = self._admin(lambda: self.customers.delete(customer_id))
        self._publish_customer("customer.deleted", record, admin=True)
        return {"id": customer_id, "deleted": True}

    def _rotate_secret(self, _) -> dict:
        secret = secrets.token_urlsafe(32)
        self.credentials = {**self.credentials, "client_secret": secret}
        self.store.set_meta("credentials", self.credentials)
        return {"client_secret": secret}
