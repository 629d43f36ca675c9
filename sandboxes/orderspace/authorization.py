"""Public integrations: the authorization-code grant's consent page and its codes.

Orderspace enables the authorization-code grant for public integrations on request and does
not document its pages [I], so this follows Doorkeeper, the Rails OAuth server behind its
identity host (`/oauth/token`, its error bodies):

    GET  {authorize_path}?client_id&redirect_uri&response_type=code&scope&state
         → the consent page: the app, the scopes asked for, Authorize / Deny
    POST {authorize_path} (the page's form, `decision=approve|deny`)
         → 302 to redirect_uri with `code` and `state`, or `error=access_denied` and `state`

An unknown client or a bad redirect URI cannot be sent back anywhere safely, so it is an
error page; everything after that (wrong response_type, unknown scope, denial) goes back to
the redirect URI as `error=...`, as RFC 6749 §4.1.2.1 says. Codes are single-use and live
`code_ttl_seconds`; `POST /oauth/token` redeems them through `redeem()` (tokens.py).
"""

import secrets
import time
from collections.abc import Callable
from html import escape
from urllib.parse import urlencode, urlparse

from sandboxes.kit import look
from sandboxes.kit.kit import Stats
from sandboxes.kit.store import Store
from sandboxes.kit.web import Request, Response, redirect
from sandboxes.orderspace.knobs import Knobs
from sandboxes.orderspace.tokens import SCOPE, invalid_grant, invalid_request

KIND = "authorization_code"
SCOPES = frozenset(SCOPE.split())
FLOW_PARAMS = ("client_id", "redirect_uri", "response_type", "scope", "state")
# [I] Doorkeeper's wordings.
UNKNOWN_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)
BAD_REDIRECT = "The requested redirect uri is malformed or doesn't match client redirect URI."
DENIED = "The resource owner or authorization server denied the request."
UNSUPPORTED_RESPONSE = "The authorization server does not support this response type."
INVALID_SCOPE = "The requested scope is invalid, unknown, or malformed."


def _page(title: str, content: str, status: int = 200) -> Response:
    return look.page("Orderspace", title, content, status)


def _back(redirect_uri: str, params: dict) -> Response:
    separator = "&" if urlparse(redirect_uri).query else "?"
    query = urlencode({key: value for key, value in params.items() if value})
    return redirect(redirect_uri + separator + query)


class Authorizations:
    def __init__(self, store: Store, knobs: Callable[[], Knobs], stats: Stats):
        self.store = store
        self.knobs = knobs
        self.stats = stats

    # --- the consent page ---------------------------------------------------------------------
    def page(self, request: Request, credentials: dict) -> Response:
        params = {key: values[0] for key, values in request.query.items()}
        if request.method == "POST":
            params.update(request.form())
        redirect_uri = params.get("redirect_uri", "")
        if not secrets.compare_digest(params.get("client_id", ""), credentials["client_id"]):
            return _page("An error has occurred", f"<p>{escape(UNKNOWN_CLIENT)}</p>", 401)
        if not self._redirect_allowed(redirect_uri):
            return _page("An error has occurred", f"<p>{escape(BAD_REDIRECT)}</p>", 400)
        state = params.get("state", "")
        if params.get("response_type") != "code":
            return self._refuse(
                redirect_uri, "unsupported_response_type", UNSUPPORTED_RESPONSE, state
            )
        requested = (params.get("scope") or SCOPE).split()
        if not requested or not set(requested) <= SCOPES:
            return self._refuse(redirect_uri, "invalid_scope", INVALID_SCOPE, state)
        decision = params.get("decision") if request.method == "POST" else None
        if decision == "deny":
            return self._refuse(redirect_uri, "access_denied", DENIED, state)
        if decision != "approve":
            return self._consent(params, requested, credentials)
        code = self._new_code(credentials["client_id"], redirect_uri, " ".join(requested))
        self.stats.bump("authorizations_approved")
        return _back(redirect_uri, {"code": code, "state": state})

    def _redirect_allowed(self, redirect_uri: str) -> bool:
        parsed = urlparse(redirect_uri)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.fragment:
            return False
        registered = self.knobs().redirect_uris.split()
        return not registered or redirect_uri in registered

    def _refuse(self, redirect_uri: str, error: str, description: str, state: str) -> Response:
        self.stats.bump("authorizations_refused")
        return _back(
            redirect_uri, {"error": error, "error_description": description, "state": state}
        )

    def _consent(self, params: dict, scopes: list[str], credentials: dict) -> Response:
        hidden = "".join(
            f'<input type="hidden" name="{key}" value="{escape(params[key])}">'
            for key in FLOW_PARAMS
            if params.get(key)
        )
        items = "".join(f"<li>{escape(scope)}</li>" for scope in scopes)
        content = (
            f"<p>Authorize <strong>{escape(credentials['client_id'][:12])}…</strong> to use "
            f"your account <strong>{escape(credentials['site_name'])}</strong>?</p>"
            f'<p>This application will be able to:</p><ul class="scopes">{items}</ul>'
            f'<form method="post">{hidden}<div class="actions">'
            '<button type="submit" class="primary" name="decision" value="approve">'
            "Authorize</button>"
            '<button type="submit" name="decision" value="deny">Deny</button></div></form>'
        )
        return _page("Authorization required", content)

    # --- codes --------------------------------------------------------------------------------
    def _new_code(self, client_id: str, redirect_uri: str, scope: str) -> str:
        code = secrets.token_urlsafe(32)
        self._prune()
        self.store.put(
            KIND,
            code,
            {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "scope": scope,
                "expires_at": time.time() + self.knobs().code_ttl_seconds,
                "used": False,
            },
        )
        return code

    def redeem(self, params: dict) -> str:
        """Use up the code in a `grant_type=authorization_code` request (the client is already
        checked); returns the approved scope. Unknown, used, expired, another client's, or
        sent with a different redirect_uri: invalid_grant."""
        code = params.get("code", "")
        if not code or not params.get("redirect_uri"):
            raise invalid_request()
        record = self.store.get(KIND, code)
        if record is None or record["used"]:
            raise invalid_grant()
        # Used up even when refused below: a code is tried once.
        self.store.put(KIND, code, {**record, "used": True})
        if (
            record["expires_at"] <= time.time()
            or record["client_id"] != params.get("client_id")
            or record["redirect_uri"] != params["redirect_uri"]
        ):
            raise invalid_grant()
        return record["scope"]

    def _prune(self) -> None:
        # Used or expired codes are kept an hour so a replay still answers invalid_grant.
        cutoff = time.time() - 3600
        for code in self.store.ids(KIND):
            if self.store.get(KIND, code)["expires_at"] < cutoff:
                self.store.delete(KIND, code)
