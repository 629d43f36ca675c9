"""`/ecwid/_control`: the shared control panel (sandboxes.kit.control.ControlPanel) plus
what Ecwid's sandbox adds. Test mode only.

POST /_control                 knobs (knobs.py) and the actions
                                 rate_limit_storm: N     the next N API requests get 429
                                 issue_token: {"scopes": [...]}   a new secret_ token
                                 revoke_tokens: token | [tokens]  (then 403 INVALID_API_TOKEN)
POST /_control/customers       a change "made in the Ecwid admin": same bodies and answers as
PUT  /_control/customers/{id}  the API, webhooks fire as for a real store-side change unless
DELETE /_control/customers/{id} ?webhooks=false (a missed webhook). No token, no rate limit.
GET, POST /_control, POST /_control/reset, GET /_control/webhooks: see ControlPanel.
"""

import secrets

from sandboxes.ecwid import customers
from sandboxes.ecwid.records import wrong_parameter
from sandboxes.ecwid.state import EcwidState
from sandboxes.kit.control import ControlPanel
from sandboxes.kit.web import HTTPError, Request, Response, json_response


def issue_token(state: EcwidState, spec) -> dict:
    scopes = spec.get("scopes") if isinstance(spec, dict) else None
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise HTTPError(422, {"errors": ["issue_token.scopes must be a list of scope names"]})
    token = "secret_" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")
    with state.lock:
        tokens = state.tokens()
        tokens[token] = {"scopes": scopes}
        state.store.set_meta("tokens", tokens)
    return {"token": token, "scopes": scopes}


def revoke_tokens(state: EcwidState, targets) -> dict:
    targets = targets if isinstance(targets, list) else [targets]
    with state.lock:
        tokens = state.tokens()
        revoked = sum(tokens.pop(str(target), None) is not None for target in targets)
        state.store.set_meta("tokens", tokens)
    return {"revoked": revoked}


def _admin_change(state: EcwidState, request: Request, customer_id: str | None) -> Response:
    if not state.test_mode:
        raise HTTPError(403, {"message": "The control endpoint is off (not in test mode)."})
    body = request.json() if request.method != "DELETE" else None
    with state.lock:
        state.mute_webhooks = request.arg("webhooks", "true") == "false"
        try:
            if request.method == "POST" and customer_id is None:
                status, answer = customers.create_customer(state, request, body)
            elif request.method == "PUT" and customer_id:
                status, answer = customers.update_customer(state, request, customer_id, body)
            elif request.method == "DELETE" and customer_id:
                status, answer = customers.delete_customer(state, request, customer_id)
            else:
                raise wrong_parameter(f"No admin action {request.method} {request.path}")
        finally:
            state.mute_webhooks = False
    return json_response(answer, status)


def handle(state: EcwidState, panel: ControlPanel, request: Request) -> Response:
    parts = request.path.strip("/").split("/")
    if len(parts) in (2, 3) and parts[1] == "customers":
        return _admin_change(state, request, parts[2] if len(parts) == 3 else None)
    return panel.handle(request, state.test_mode)
