"""The CS-Cart sandbox, mounted at `/cscart`: one self-hosted store's REST API.

The API answers at `<store>/api/2.0/...`, `<store>/api/...` (1.0 paths) and, for stores without
mod_rewrite, `<store>/api.php?_d=...`. Every request goes through one pipeline, in the order a
real store meets it: injected latency, the host's throttle (CS-Cart documents no rate limit, so
this is a knob that is off by default and answers like a WAF: 429 + Retry-After, HTML body),
injected errors, HTTP Basic auth (admin e-mail + API key; anything else is a 401 with
`WWW-Authenticate: Basic realm="User email/API key"`), content negotiation (415/406), the
admin's privileges (403), then the entity under the sandbox lock.

CS-Cart sends no webhooks for users, so nothing is ever pushed: changes made "in the store's
admin panel" through `/_control` are only visible by reading the API again.
"""

import base64
import binascii
import hmac
import json
import re
import threading
from dataclasses import dataclass, replace
from urllib.parse import parse_qs

from sandboxes.cscart import seed
from sandboxes.cscart.errors import api_error
from sandboxes.cscart.users import GROUP_KIND, KIND, Users
from sandboxes.kit.control import ControlPanel, apply_knobs
from sandboxes.kit.kit import FaultKnobs, Faults, RateLimiter, Stats, retry_after_header
from sandboxes.kit.server import SandboxApp, SandboxOptions
from sandboxes.kit.store import Store
from sandboxes.kit.web import HTTPError, Request, Response, json_response

API_VERSION_PATH = "/api/2.0"
BODY_TYPES = ("application/json", "text/plain", "application/x-www-form-urlencoded")


@dataclass
class CsCartKnobs(FaultKnobs):
    """Settings a test may change through `/_control`. [I] marks a guess no public source
    confirms (docs/providers/cscart.md); its default is the most likely behaviour."""

    rate_limit: int = 0  # [I] requests per window the host allows; 0 = no limit (as documented)
    rate_window_s: float = 60.0
    rate_limit_status: int = 429  # [I] the throttle's refusal (a WAF: 429; 503/509 also seen)
    rate_limit_retry_after: bool = True  # [I] the refusal says when to come back
    default_items_per_page: int = 10  # the admin's "elements per page" setting
    max_items_per_page: int = 0  # [I] no documented cap; >0 silently caps items_per_page
    clamp_page_past_end: bool = True  # [I] db_paginate serves the last page for a page too far
    require_user_type: bool = True  # 4.1x+: listing without user_type is a 400
    get_includes_profile: bool = False  # [I] GET /users/<id> prints the list columns only
    missing_get_404: bool = False  # the entity answers 200 + empty envelope for unknown ids
    legacy_delete_ok: bool = False  # older 4.x: DELETE answers 200 {"message": "Ok"}


PRIVILEGES = {  # (entity, method) -> privilege, from the entities' privileges()
    ("users", "GET"): "view_users",
    ("users", "POST"): "manage_users",
    ("users", "PUT"): "manage_users",
    ("users", "DELETE"): "manage_users",
    ("usergroups", "GET"): "view_usergroups",
    ("usergroups", "PUT"): "manage_usergroups",
    ("usergroups", "DELETE"): "manage_usergroups",
}
ROUTES = [  # (regex over the resource path, route name, entity)
    (re.compile(r"^users$"), "/users", "users"),
    (re.compile(r"^users/(?P<id>[^/]+)$"), "/users/{id}", "users"),
    (re.compile(r"^users/(?P<id>[^/]+)/usergroups$"), "/users/{id}/usergroups", "usergroups"),
    (
        re.compile(r"^users/(?P<id>[^/]+)/usergroups/(?P<gid>[^/]+)$"),
        "/users/{id}/usergroups/{gid}",
        "usergroups",
    ),
    (re.compile(r"^usergroups$"), "/usergroups", "usergroups"),
    (re.compile(r"^usergroups/(?P<gid>[^/]+)$"), "/usergroups/{gid}", "usergroups"),
]


class CsCartSandbox(SandboxApp):
    """`CsCartSandbox(options, **knobs)`: knobs are CsCartKnobs fields that become this
    instance's defaults (e.g. rate_limit=20, default_items_per_page=50)."""

    name = "cscart"

    def __init__(self, options: SandboxOptions, **knobs):
        super().__init__(options)
        self.default_knobs = CsCartKnobs()
        problems = apply_knobs(self.default_knobs, knobs)
        if problems:
            raise ValueError("; ".join(problems))
        self.knobs = replace(self.default_knobs)
        self.lock = threading.RLock()
        self.store = Store(self.state_path())
        self.stats = Stats()
        self.faults = Faults(self.name, options.random_seed)
        self.limiter = RateLimiter()
        self.users = Users(self.store, lambda: self.knobs)
        self.credentials = self.store.get_meta("credentials")
        if self.credentials is None:
            self._seed()
        self.control = ControlPanel(
            knobs=lambda: self.knobs,
            defaults=lambda: replace(self.default_knobs),
            set_knobs=self._set_knobs,
            stats=self.stats,
            faults=self.faults,
            limiter=self.limiter,
            actions={
                "store_create_user": self._store_create,
                "store_update_user": self._store_update,
                "store_delete_user": self._store_delete,
                "storefront_login": self._storefront_login,
                "admin_status": self._admin_status,
            },
            extra=lambda: {
                "users": self.store.count(KIND),
                "next_user_id": self.store.get_meta("next_user_id", 1),
            },
        )

    def _set_knobs(self, knobs: CsCartKnobs) -> None:
        self.knobs = knobs

    def _seed(self) -> None:
        self.credentials = seed.credentials(self.options.random_seed)
        admins = seed.admins(self.credentials)
        customers = seed.customers(self.options.seed, self.options.random_seed, len(admins) + 1)
        with self.store.batch():
            for gid, (name, kind, status) in seed.USERGROUPS.items():
                group = {"usergroup_id": str(gid), "status": status, "type": kind}
                self.store.put(GROUP_KIND, str(gid), {**group, "usergroup": name})
            for user in (*admins, *customers):
                self.store.put(KIND, str(user["user_id"]), user)
            self.store.set_meta("next_user_id", len(admins) + len(customers) + 1)
            self.store.set_meta("credentials", self.credentials)

    def describe(self) -> dict:
        creds = self.credentials
        return {
            "provider": self.name,
            "base_url": self.base_url,
            "store_url": self.base_url,
            "api_url": self.base_url + API_VERSION_PATH,
            "email": creds["email"],
            "api_key": creds["api_key"],
            "viewer_email": creds["viewer_email"],
            "viewer_api_key": creds["viewer_api_key"],
            "company_id": str(seed.COMPANY_ID),
            "control_url": f"{self.base_url}/_control",
        }

    def close(self) -> None:
        self.store.close()

    # --- the pipeline -------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_control"):
            return self.control.handle(request, self.options.test_mode)
        resource = _resource(request)
        if resource is None:
            self.stats.request("unrouted", 404)
            return json_response({"message": "Not Found", "status": 404}, 404)
        resolved = _route(resource)
        route = f"{request.method} {resolved[1]}" if resolved else "unrouted"
        try:
            if self.faults.stall(self.knobs):
                self.stats.bump("timeouts_injected")
            refusal = self._throttle()
            if refusal is not None:
                self.stats.request(route, refusal.status)
                return refusal
            if self.faults.error(self.knobs):
                self.stats.bump("errors_injected")
                raise api_error(self.knobs.error_status)
            admin = self._authenticate(request)
            if resolved is None:
                entity = resource.split("/")[0] or "(none)"
                raise api_error(404, messages=[f"Entity {entity} was not found"])
            match, _, entity = resolved
            self._negotiate(request)
            needed = PRIVILEGES.get((entity, request.method))
            if needed and needed not in admin.get("privileges", ()):
                raise api_error(403)
            with self.lock:
                status, body = self._dispatch(request, match.groupdict(), route)
        except HTTPError as error:
            self.stats.request(route, error.status)
            return error.to_response()
        self.stats.request(route, status)
        if status == 204:
            return Response(204)
        return json_response(body, status)

    def _throttle(self) -> Response | None:
        knobs = self.knobs
        storm = self.faults.take_storm()
        if not storm and not knobs.rate_limit:
            return None
        verdict = self.limiter.hit(
            "store", knobs.rate_limit, knobs.rate_window_s, consume=not storm
        )
        if verdict.allowed:
            return None
        self.stats.bump("rate_limited")
        wait = verdict.retry_after if not storm else 1.0
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if knobs.rate_limit_retry_after:
            headers["Retry-After"] = retry_after_header(wait)
        status = knobs.rate_limit_status
        page = f"<html><body><h1>{status} Too Many Requests</h1></body></html>"
        return Response(status, page.encode(), headers)

    def _authenticate(self, request: Request) -> dict:
        scheme, _, value = (request.header("authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            raise api_error(401)
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise api_error(401) from None
        email, _, api_key = decoded.partition(":")
        with self.lock:
            user = self.users.by_email(email)
        stored = (user or {}).get("api_key") or ""
        # Disabled users can't use the API (Tygh\Api::getUserData).
        if not stored or not hmac.compare_digest(stored, api_key.strip()) or user["status"] != "A":
            raise api_error(401)
        return user

    @staticmethod
    def _negotiate(request: Request) -> None:
        if request.method in ("POST", "PUT"):
            content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
            if content_type not in BODY_TYPES:
                raise api_error(415)
        accept = (request.header("accept") or "*/*").lower()
        if request.method == "GET" and not any(
            kind in accept for kind in ("json", "*/*", "text/plain", "x-www-form-urlencoded")
        ):
            raise api_error(406)

    def _dispatch(self, request: Request, params: dict, route: str) -> tuple[int, object]:
        method, query = request.method, request.query
        query = {k: v for k, v in query.items() if k != "_d"}
        user_id, group_id = params.get("id"), params.get("gid")
        match route:
            case "GET /users":
                return 200, self.users.list_page(query)
            case "POST /users":
                return 201, self.users.create(_body(request))
            case "GET /users/{id}":
                return self.users.get(user_id)
            case "PUT /users/{id}":
                return 200, self.users.update(user_id, _body(request))
            case "DELETE /users/{id}":
                self.users.delete(user_id)
                return (200, {"message": "Ok"}) if self.knobs.legacy_delete_ok else (204, None)
            case "GET /users/{id}/usergroups":
                return 200, self.users.user_links(user_id)
            case "GET /users/{id}/usergroups/{gid}":
                raise api_error(400)
            case "PUT /users/{id}/usergroups/{gid}":
                return self.users.set_link(user_id, group_id, _body(request))
            case "DELETE /users/{id}/usergroups/{gid}":
                return self.users.set_link(user_id, group_id, {"status": "F"})
            case "GET /usergroups":
                return 200, self.users.usergroups(query)
            case "GET /usergroups/{gid}":
                return 200, self.users.usergroup(group_id)
        if method == "POST" and (user_id or group_id):
            raise api_error(405, messages=["The request must not contain an identifier"])
        if method in ("PUT", "DELETE") and not (user_id or group_id):
            raise api_error(405, messages=["The request must contain an identifier"])
        raise api_error(405)

    # --- "changes in the store's admin panel" (through /_control) ------------------------------
    def _store_create(self, data) -> dict:
        if not isinstance(data, dict):
            raise HTTPError(422, {"errors": ["store_create_user takes a user object"]})
        body = {"user_type": "C", "company_id": seed.COMPANY_ID, **data}
        with self.lock:
            return self.users.create(body, admin_panel=True)

    def _store_update(self, data) -> dict:
        if not isinstance(data, dict) or "user_id" not in data:
            raise HTTPError(422, {"errors": ["store_update_user takes {user_id, ...changes}"]})
        changes = {k: v for k, v in data.items() if k != "user_id"}
        with self.lock:
            return self.users.update(str(data["user_id"]), changes, admin_panel=True)

    def _store_delete(self, user_id) -> dict:
        with self.lock:
            self.users.delete(str(user_id))
        return {"deleted": str(user_id)}

    def _storefront_login(self, data) -> dict:
        """Would the storefront accept {"email", "password"}? (Passwords set through API 2.0
        are ignored; the admin panel's store_create/update_user set them.)"""
        if not isinstance(data, dict):
            raise HTTPError(422, {"errors": ["storefront_login takes {email, password}"]})
        with self.lock:
            ok = self.users.storefront_login(
                str(data.get("email", "")), str(data.get("password", ""))
            )
        return {"ok": ok}

    def _admin_status(self, data) -> dict:
        """Disable or re-enable an API administrator: {"email": ..., "status": "D"|"A"}."""
        if not isinstance(data, dict) or data.get("status") not in ("A", "D"):
            raise HTTPError(422, {"errors": ["admin_status takes {email, status: A|D}"]})
        with self.lock:
            admin = self.users.by_email(str(data.get("email", "")))
            if admin is None or admin["user_type"] != "A":
                raise HTTPError(422, {"errors": ["no administrator has that e-mail"]})
            admin["status"] = data["status"]
            self.store.put(KIND, str(admin["user_id"]), admin)
        return {"email": admin["email"], "status": admin["status"]}


def _resource(request: Request) -> str | None:
    """The entity path ("users/5") of an API request, or None when it is not one."""
    path = request.path
    if path.rstrip("/") == "/api.php":
        return (request.arg("_d") or "").strip("/")
    for prefix in (API_VERSION_PATH, "/api"):
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :].strip("/")
    return None


def _route(resource: str):
    for regex, name, entity in ROUTES:
        match = regex.match(resource)
        if match:
            return match, name, entity
    return None


def _body(request: Request):
    if not request.body:
        return {}
    content_type = (request.header("content-type") or "").lower()
    if "x-www-form-urlencoded" in content_type:
        parsed = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}
    try:
        return json.loads(request.body)
    except ValueError:
        raise api_error(400, messages=["Invalid JSON in the request body"]) from None
