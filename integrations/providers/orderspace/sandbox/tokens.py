"""The identity server's client-credentials grant and the bearer check of every API call.

Orderspace's identity server is Doorkeeper-style: form (or JSON) `client_id`,
`client_secret`, `grant_type=client_credentials` → a 30-minute bearer token, no refresh
token. Tokens are kept in the Store, so they outlive a sandbox restart as real ones would.
"""

import base64
import secrets
import time

from integrations.sandbox.store import Store
from integrations.sandbox.web import HTTPError, Request, json_response

KIND = "token"
SCOPE = "read write"
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)  # [I] Doorkeeper's wording; Orderspace documents no token error
UNSUPPORTED_GRANT = "The authorization grant type is not supported by the authorization server."
INVALID_REQUEST = (
    "The request is missing a required parameter, includes an unsupported parameter value, "
    "or is otherwise malformed."
)
TOKEN_INVALID = "The access token is invalid"
TOKEN_EXPIRED = "The access token expired"


def _token_error(status: int, error: str, description: str) -> HTTPError:
    return HTTPError(status, {"error": error, "error_description": description})


def unauthorized(description: str) -> HTTPError:
    # [V] 401 with an empty body; the reason is only in WWW-Authenticate.
    return HTTPError(
        401,
        b"",
        {
            "Content-Type": "text/html",
            "WWW-Authenticate": (
                f'Bearer realm="Orderspace", error="invalid_token", '
                f'error_description="{description}"'
            ),
        },
    )


class Tokens:
    def __init__(self, store: Store):
        self.store = store

    def _params(self, request: Request) -> dict:
        if "json" in (request.header("content-type") or ""):
            body = request.json(required=False) or {}
            params = {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
        else:
            params = {**{k: v[0] for k, v in request.query.items()}, **request.form()}
        scheme, _, value = (request.header("authorization") or "").partition(" ")
        if scheme.lower() == "basic":  # client_secret_basic, as Doorkeeper also accepts
            try:
                client_id, _, secret = base64.b64decode(value).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                client_id, secret = "", ""
            params.setdefault("client_id", client_id)
            params.setdefault("client_secret", secret)
        return params

    def grant(self, request: Request, credentials: dict, ttl: int):
        """POST /oauth/token → (response, issued?)."""
        params = self._params(request)
        grant_type = params.get("grant_type")
        if not grant_type:
            raise _token_error(400, "invalid_request", INVALID_REQUEST)
        if grant_type != "client_credentials":
            raise _token_error(400, "unsupported_grant_type", UNSUPPORTED_GRANT)
        if not (
            secrets.compare_digest(params.get("client_id", ""), credentials["client_id"])
            and secrets.compare_digest(
                params.get("client_secret", ""), credentials["client_secret"]
            )
        ):
            raise _token_error(401, "invalid_client", INVALID_CLIENT)
        token = secrets.token_urlsafe(32)
        now = int(time.time())
        self._prune(now)
        self.store.put(
            KIND,
            token,
            {"client_id": credentials["client_id"], "created_at": now, "expires_at": now + ttl},
        )
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": SCOPE,
            "created_at": now,
        }
        return json_response(body, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _prune(self, now: int) -> None:
        # Expired tokens are kept for a day so they still answer "expired", then dropped.
        for old in self.store.ids(KIND):
            if self.store.get(KIND, old)["expires_at"] < now - 86_400:
                self.store.delete(KIND, old)

    def authenticate(self, request: Request) -> dict:
        scheme, _, value = (request.header("authorization") or "").partition(" ")
        record = self.store.get(KIND, value.strip()) if scheme.lower() == "bearer" else None
        if record is None:
            raise unauthorized(TOKEN_INVALID)
        if record["expires_at"] <= time.time():
            raise unauthorized(TOKEN_EXPIRED)
        return record

    def expire_all(self) -> int:
        """Make every issued token expired now (as if 30 minutes had passed)."""
        now = int(time.time()) - 1
        expired = 0
        for token in self.store.ids(KIND):
            record = self.store.get(KIND, token)
            if record["expires_at"] > now:
                record["expires_at"] = now
                self.store.put(KIND, token, record)
                expired += 1
        return expired

    def active(self) -> int:
        now = time.time()
        return sum(1 for record in self.store.all(KIND) if record["expires_at"] > now)
