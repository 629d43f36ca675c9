"""`/ecwid/_control`: the shared control panel (integrations.sandbox.control.ControlPanel) plus
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
from typing import TYPE_CHECKING

from integrations.providers.ecwid.sandbox import customers
from integrations.providers.ecwid.sandbox.records import wrong_parameter
from integrations.sandbox.web import HTTPError, Request, Response, json_response

if TYPE_CHECKING:
    from integrations.providers.ecwid.sandbox.app import EcwidSandbox


def issue_token(app: "EcwidSandbox", spec) -> dict:
    scopes = spec.get("scopes") if isinstance(spec, dict) else None
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise HTTPError(422, {"errors": ["issue_token.scopes must be a list of scope names"]})
    token = "secret_" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")
    with app.lock:
        tokens = app.tokens()
        tokens[token] = {"scopes": scopes}
        app.store.set_meta("tokens", tokens)
    return {"token": token, "scopes": scopes}


def revoke_tokens(app: "EcwidSandbox", targets) -> dict:
    targets = targets if isinstance(targets, list) else [targets]
    with app.lock:
        tokens = app.tokens()
        revoked = sum(tokens.pop(str(target), None) is not None for target in targets)
        app.store.set_meta("tokens", tokens)
    return {"revoked": revoked}


def _admin_change(app: "EcwidSandbox", request: Request, customer_id: str | None) -> Response:
    if not app.options.test_mode:
        raise HTTPError(403, {"message": "The control endpoint is off (not in test mode)."})
    body = request.json() if request.method != "DELETE" else None
    with app.lock:
        app.mute_webhooks = request.arg("webhooks", "true") == "false"
        try:
            if request.method == "POST" and customer_id is None:
                status, answer = customers.create_customer(app, request, body)
            elif request.method == "PUT" and customer_id:
                status, answer = customers.update_customer(app, request, customer_id, body)
            elif request.method == "DELETE" and customer_id:
                status, answer = customers.delete_customer(app, request, customer_id)
            else:
                raise wrong_parameter(f"No admin action {request.method} {request.path}")
        finally:
            app.mute_webhooks = False
    return json_response(answer, status)


def handle(app: "EcwidSandbox", request: Request) -> Response:
    parts = request.path.strip("/").split("/")
    if len(parts) in (2, 3) and parts[1] == "customers":
        return _admin_change(app, request, parts[2] if len(parts) == 3 else None)
    return app.panel.handle(request, app.options.test_mode)
