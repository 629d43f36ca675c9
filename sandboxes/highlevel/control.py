"""`/highlevel/_control`: fault injection, counters and test helpers (test mode only).

GET  /_control                  {"config": {...}, "stats": {...}, "rate_limit_storm_remaining",
                                 "webhooks_pending", "location_ids", "user_ids"}
POST /_control                  any Config knob (see config.py), plus the actions
                                   rate_limit_storm: N       the next N API requests get 429
                                   revoke_tokens: "all" | token | [tokens]
                                   expire_access_tokens: true
                                   token_faults: ["error" | "timeout", ...]  the next token
                                     requests, in order: answered with error_status, or
                                     carried out at once and answered after timeout_ms (a
                                     refresh whose answer is lost)
                                   issue_token: {kind: "oauth"|"pit", scopes, location_id,
                                                 user_type, expires_in}  (skips the OAuth dance)
                                 answers like GET, plus "result" for the actions.
POST /_control/reset            knobs back to this instance's defaults; counters, rate-limit
                                 windows, storm and the webhook log cleared. Data is kept.
GET  /_control/webhooks         the delivery log, newest last (?type=ContactCreate&status=...)
POST /_control/contacts         a change "made in the HighLevel UI": fires webhooks like the
PUT  /_control/contacts/{id}    API does, unless ?webhooks=false (a missed webhook). Bodies
DELETE /_control/contacts/{id}  are the API's contact bodies (2021-07-28 keys).
"""

import uuid

from sandboxes.highlevel import contacts, errors
from sandboxes.highlevel import serializers as out
from sandboxes.highlevel.config import apply_changes
from sandboxes.highlevel.host import Sandbox
from sandboxes.highlevel.seed import PIT_SCOPES
from sandboxes.highlevel.validation import parse_contact_input
from sandboxes.kit.web import Request

ACTIONS = (
    "rate_limit_storm",
    "revoke_tokens",
    "expire_access_tokens",
    "issue_token",
    "token_faults",
)
TOKEN_FAULTS = ("error", "timeout")


def state(app: Sandbox) -> dict:
    return {
        "config": app.config.as_dict(),
        "stats": app.stats.snapshot(),
        "rate_limit_storm_remaining": app.faults.storm,
        "token_faults_planned": list(app.token_faults),
        "webhooks_pending": app.webhooks.pending(),
        "location_ids": list(app.credentials["location_ids"]),
        "user_ids": list(app.credentials["user_ids"]),
    }


def issue_token(app: Sandbox, spec: dict) -> dict:
    creds = app.credentials
    if not isinstance(spec, dict):
        raise errors.unprocessable(["issue_token must be an object"])
    scopes = spec.get("scopes", PIT_SCOPES)
    scopes = scopes.split() if isinstance(scopes, str) else list(scopes)
    location_id = spec.get("location_id", creds["location_ids"][0])
    if location_id not in app.data.locations:
        raise errors.unprocessable(["issue_token.location_id is not a location of this sandbox"])
    if spec.get("kind", "oauth") == "pit":
        token = f"pit-{uuid.uuid4()}"
        app.tokens.add_pit(
            token,
            location_id=location_id,
            company_id=creds["company_id"],
            scopes=scopes,
            user_id=creds["user_ids"][0],
        )
        return {"access_token": token, "scope": " ".join(scopes), "locationId": location_id}
    company = spec.get("user_type") == "Company"
    grant = {
        "client_id": creds["client_id"],
        "app_key": creds["client_id"],
        "user_type": "Company" if company else "Location",
        "location_id": None if company else location_id,
        "company_id": creds["company_id"],
        "approved_locations": list(creds["location_ids"]) if company else [location_id],
        "scopes": scopes,
        "user_id": creds["user_ids"][0],
    }
    ttl = int(spec.get("expires_in", app.config.access_token_ttl))
    access, refresh = app.tokens.issue(grant, ttl)
    return {
        "access_token": access["token"],
        "refresh_token": refresh["token"],
        "expires_in": ttl,
        "scope": " ".join(scopes),
        "userType": grant["user_type"],
        "locationId": grant["location_id"],
    }


def update(app: Sandbox, body: dict) -> dict:
    if not isinstance(body, dict):
        raise errors.unprocessable(["body must be a JSON object"])
    knobs = {key: value for key, value in body.items() if key not in ACTIONS}
    planned = body.get("token_faults", [])
    if not isinstance(planned, list) or any(fault not in TOKEN_FAULTS for fault in planned):
        raise errors.unprocessable(['token_faults must be an array of "error" and "timeout"'])
    with app.lock:
        problems = apply_changes(app.config, knobs)
        if problems:
            raise errors.unprocessable(problems)
        app.token_faults.extend(planned)
    result: dict = {}
    if "rate_limit_storm" in body:
        count = body["rate_limit_storm"]
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise errors.unprocessable(["rate_limit_storm must be a whole number of requests"])
        app.faults.start_storm(count)
    if "revoke_tokens" in body:
        targets = body["revoke_tokens"]
        targets = targets if isinstance(targets, list) else [targets]
        result["revoked"] = sum(app.tokens.revoke(str(target)) for target in targets)
    if body.get("expire_access_tokens"):
        result["expired"] = app.tokens.expire_access_tokens()
    if "issue_token" in body:
        result["issued"] = issue_token(app, body["issue_token"])
    return {**state(app), "result": result}


def reset(app: Sandbox) -> dict:
    app.reset_config()
    app.stats.clear()
    app.faults.reset()
    app.token_faults.clear()
    app.limiter.reset()
    app.webhooks.clear_log()
    return state(app)


def deliveries(app: Sandbox, request: Request) -> dict:
    return {"deliveries": app.webhooks.deliveries(request.arg("type"), request.arg("status"))}


def _ui_actor(app: Sandbox) -> dict:
    return {"source": "WEB_USER", "channel": "APP", "sourceId": app.credentials["user_ids"][0]}


def _ui_changes(app: Sandbox, body: dict, mode: str, location_id: str) -> dict:
    return parse_contact_input(
        body,
        mode=mode,
        version="2021-07-28",
        strict=app.config.strict_properties,
        definitions=app.data.custom_fields.get(location_id, []),
        lower_tags=app.config.normalise_tags,
    )


def ui_contact(app: Sandbox, request: Request, contact_id: str | None = None) -> tuple[int, dict]:
    emit = request.arg("webhooks", "true") != "false"
    body = request.json(required=False) or {}
    if not isinstance(body, dict):
        raise errors.unprocessable(["body must be a JSON object"])
    with app.lock:
        if request.method == "POST":
            location_id = body.get("locationId") or app.credentials["location_ids"][0]
            changes = _ui_changes(app, {**body, "locationId": location_id}, "create", location_id)
            changes.pop("locationId")
            contacts.refuse_duplicate(app, location_id, changes)
            contact = contacts.create_contact(app, location_id, changes, _ui_actor(app), emit=emit)
            return 201, {"contact": out.contact_out(contact, "2021-07-28", app.config.native_types)}
        contact = app.data.contacts.get(contact_id or "")
        if contact is None:
            raise errors.not_found(404, "Contact")
        if request.method == "DELETE":
            contacts.delete_contact(app, contact, emit=emit)
            return 200, {"succeded": True, "succeeded": True}
        changes = _ui_changes(app, body, "update", contact["locationId"])
        contacts.refuse_duplicate(app, contact["locationId"], changes, exclude=contact["id"])
        contact = contacts.update_contact(app, contact, changes, _ui_actor(app), emit=emit)
        return 200, {"contact": out.contact_out(contact, "2021-07-28", app.config.native_types)}
