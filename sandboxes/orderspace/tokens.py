"""The identity server's token endpoint and the bearer check of every API call.

Orderspace's identity server is Doorkeeper-style: form (or JSON) `client_id`,
`client_secret` and a `grant_type`:
- `client_credentials` [V] (Private Integrations) → a 30-minute bearer token, no refresh token;
- `authorization_code` [I] (public integrations, see authorization.py) → a 30-minute token
  and a refresh token;
- `refresh_token` [I] → a new access token; the old access token is revoked and, with the
  `refresh_token_rotation` knob (Doorkeeper's default), the old refresh token too.
Tokens are kept in the Store, so they outlive a sandbox restart as real ones would.
"""

import base64
import secrets
import time

from sandboxes.kit.store import Store
from sandboxes.kit.web import HTTPError, Request, json_response

KIND = "token"
REFRESH_KIND = "refresh_token"
SCOPE = "read write"
GRANT_TYPES = ("client_credentials", "authorization_code", "refresh_token")
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)  # [I] Doorkeeper's wording; Orderspace documents no token error
UNSUPPORTED_GRANT = "The authorization grant type is not supported by the authorization server."
INVALID_REQUEST = (
    "The request is missing a required parameter, includes an unsupported parameter value, "
    "or is otherwise malformed."
)
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)  # [I] Doorkeeper's wording
TOKEN_INVALID = "The access token is invalid"
TOKEN_EXPIRED = "The access token expired"
TOKEN_REVOKED = "The access token was revoked"  # [I] Doorkeeper's wording


def invalid_request() -> HTTPError:
    return _token_error(400, "invalid_request", INVALID_REQUEST)


def invalid_grant() -> HTTPError:
    return _token_error(400, "invalid_grant", INVALID_GRANT)


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

    def grant(self, request: Request, credentials: dict, knobs, redeem_code):
        """POST /oauth/token → (response, grant type). `redeem_code(params)` uses up an
        authorization code and returns the scope it was approved for (authorization.py)."""
        params = self._params(request)
        grant_type = params.get("grant_type")
        if not grant_type:
            raise invalid_request()
        if grant_type not in GRANT_TYPES:
            raise _token_error(400, "unsupported_grant_type", UNSUPPORTED_GRANT)
        if not (
            secrets.compare_digest(params.get("client_id", ""), credentials["client_id"])
            and secrets.compare_digest(
                params.get("client_secret", ""), credentials["client_secret"]
            )
        ):
            raise _token_error(401, "invalid_client", INVALID_CLIENT)
        ttl = knobs.token_ttl_seconds
        client_id = credentials["client_id"]
        if grant_type == "client_credentials":
            body = self.issue(client_id, ttl, SCOPE)
        elif grant_type == "authorization_code":
            body = self.issue(client_id, ttl, redeem_code(params), refresh=True)
        else:
            body = self.use_refresh(
                params.get("refresh_token", ""), client_id, ttl, knobs.refresh_token_rotation
            )
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        return json_response(body, 200, headers), grant_type

    def issue(
        self, client_id: str, ttl: int, scope: str, *, refresh: bool = False, reuse: str = ""
    ) -> dict:
        """A new access token (and, for code grants, a refresh token: a new one, or `reuse`)."""
        token = secrets.token_urlsafe(32)
        now = int(time.time())
        self._prune(now)
        record = {"client_id": client_id, "created_at": now, "expires_at": now + ttl}
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": scope,
            "created_at": now,
        }
        if refresh:
            refresh_token = reuse or secrets.token_urlsafe(32)
            record.update(scope=scope, refresh_token=refresh_token)
            self.store.put(
                REFRESH_KIND,
                refresh_token,
                {"client_id": client_id, "scope": scope, "access_token": token, "revoked": False},
            )
            body["refresh_token"] = refresh_token
        self.store.put(KIND, token, record)
        return body

    def use_refresh(self, refresh_token: str, client_id: str, ttl: int, rotate: bool) -> dict:
        if not refresh_token:
            raise invalid_request()
        record = self.store.get(REFRESH_KIND, refresh_token)
        if record is None or record["revoked"] or record["client_id"] != client_id:
            raise invalid_grant()
        # Doorkeeper revokes the token pair being refreshed: the old access token stops now.
        self._revoke_access(record["access_token"])
        if rotate:
            self.store.put(REFRESH_KIND, refresh_token, {**record, "revoked": True})
        return self.issue(
            client_id, ttl, record["scope"], refresh=True, reuse="" if rotate else refresh_token
        )

    def _revoke_access(self, token: str) -> None:
        access = self.store.get(KIND, token)
        if access is not None:
            self.store.put(KIND, token, {**access, "revoked": True})

    def revoke_grants(self) -> int:
        """Revoke every code grant's tokens, as uninstalling the app in Orderspace would."""
        revoked = 0
        for refresh_token in self.store.ids(REFRESH_KIND):
            record = self.store.get(REFRESH_KIND, refresh_token)
            if not record["revoked"]:
                self.store.put(REFRESH_KIND, refresh_token, {**record, "revoked": True})
                self._revoke_access(record["access_token"])
                revoked += 1
        return revoked

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
        if record.get("revoked"):
            raise unauthorized(TOKEN_REVOKED)
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
        return sum(
            1
            for record in self.store.all(KIND)
            if record["expires_at"] > now and not record.get("revoked")
        )
