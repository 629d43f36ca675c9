"""Access tokens, refresh tokens, authorization codes and Private Integration Tokens.

Access and refresh tokens are JWT-shaped (HS256 over HighLevel-like claims) so clients see
what they would see live, but the sandbox trusts only its own records: a token is valid
while its record exists, is not revoked and has not expired. Refresh tokens are single-use
and rotating (see Config.refresh_token_grace_seconds). PITs never expire."""

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time

from sandboxes.kit.store import Store

TOKEN, CODE = "token", "code"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class RefreshError(Exception):
    """The refresh token cannot be used; the message is the error_description."""


class Tokens:
    def __init__(self, store: Store, secret: str):
        self.store = store
        self.secret = secret.encode()
        self.lock = threading.RLock()
        self.records: dict[str, dict] = {doc["token"]: doc for doc in store.all(TOKEN)}
        self.codes: dict[str, dict] = {doc["code"]: doc for doc in store.all(CODE)}

    def _save(self, record: dict) -> dict:
        self.records[record["token"]] = record
        self.store.put(TOKEN, record["token"], record)
        return record

    def _jwt(self, claims: dict) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self.secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def add_pit(
        self, token: str, *, location_id: str, company_id: str, scopes: list[str], user_id: str
    ) -> dict:
        with self.lock:
            return self._save(
                {
                    "token": token,
                    "kind": "pit",
                    "app_key": "pit:" + token[4:12],
                    "client_id": None,
                    "user_type": "Location",
                    "location_id": location_id,
                    "company_id": company_id,
                    "approved_locations": [location_id],
                    "scopes": scopes,
                    "user_id": user_id,
                    "issued_at": time.time(),
                    "expires_at": None,
                    "revoked": False,
                }
            )

    def issue(
        self, grant: dict, ttl: int, *, with_refresh: bool = True
    ) -> tuple[dict, dict | None]:
        """A new access token (and refresh token) for `grant`: client_id, app_key, user_type,
        location_id, company_id, approved_locations, scopes, user_id."""
        now = time.time()
        auth_class = grant["user_type"]
        claims = {
            "authClass": auth_class,
            "authClassId": grant["location_id"]
            if auth_class == "Location"
            else grant["company_id"],
            "source": "INTEGRATION",
            "sourceId": grant["client_id"],
            "channel": "OAUTH",
            "primaryAuthClassId": grant["location_id"] or grant["company_id"],
            "oauthMeta": {"scopes": grant["scopes"], "client": grant["client_id"].split("-")[0]},
            "iat": int(now),
            "exp": int(now + ttl),
            "jti": secrets.token_hex(8),
        }
        fields = {
            key: grant[key]
            for key in (
                "client_id",
                "app_key",
                "user_type",
                "location_id",
                "company_id",
                "approved_locations",
                "scopes",
                "user_id",
            )
        }
        with self.lock:
            access = self._save(
                {
                    "token": self._jwt(claims),
                    "kind": "access",
                    **fields,
                    "issued_at": now,
                    "expires_at": now + ttl,
                    "revoked": False,
                }
            )
            refresh = None
            if with_refresh:
                refresh_claims = {
                    **claims,
                    "exp": int(now + 365 * 86400),
                    "jti": secrets.token_hex(8),
                }
                refresh = self._save(
                    {
                        "token": self._jwt(refresh_claims),
                        "kind": "refresh",
                        **fields,
                        "issued_at": now,
                        "expires_at": now + 365 * 86400,
                        "revoked": False,
                        "used_at": None,
                    }
                )
        return access, refresh

    def valid_access(self, token: str) -> dict | None:
        """The record of a usable access token or PIT, else None."""
        with self.lock:
            record = self.records.get(token)
        if record is None or record["kind"] == "refresh" or record["revoked"]:
            return None
        if record["expires_at"] is not None and record["expires_at"] <= time.time():
            return None
        return record

    def use_refresh(self, token: str, client_id: str, grace_seconds: float) -> dict:
        """Mark a refresh token used and return its record; RefreshError if it cannot be."""
        with self.lock:
            record = self.records.get(token)
            if record is None or record["kind"] != "refresh":
                raise RefreshError("Invalid refresh token")
            if record["revoked"]:
                raise RefreshError("Refresh token has been revoked")
            if record["client_id"] != client_id:
                raise RefreshError("Refresh token was not issued to this client")
            now = time.time()
            if record["expires_at"] <= now:
                raise RefreshError("Refresh token has expired")
            if record["used_at"] is not None and now - record["used_at"] > grace_seconds:
                raise RefreshError(
                    "Refresh token has already been used: refresh tokens are single-use"
                )
            if record["used_at"] is None:
                record = self._save({**record, "used_at": now})
            return record

    # Authorization codes.

    def new_code(self, grant: dict, redirect_uri: str, ttl: int) -> str:
        code = secrets.token_hex(20)
        record = {
            "code": code,
            **grant,
            "redirect_uri": redirect_uri,
            "expires_at": time.time() + ttl,
        }
        with self.lock:
            self.codes[code] = record
            self.store.put(CODE, code, record)
        return code

    def redeem_code(self, code: str) -> dict | None:
        """The code's grant, once: a redeemed or expired code is gone."""
        with self.lock:
            record = self.codes.pop(code, None)
            if record is not None:
                self.store.delete(CODE, code)
        if record is None or record["expires_at"] <= time.time():
            return None
        return record

    # Control actions.

    def revoke(self, which: str) -> int:
        """Revoke "all" tokens (OAuth and PITs), or every token whose value is `which`."""
        with self.lock:
            targets = [r for r in self.records.values() if which == "all" or r["token"] == which]
            for record in targets:
                self._save({**record, "revoked": True})
            return len(targets)

    def expire_access_tokens(self) -> int:
        now = time.time()
        with self.lock:
            targets = [
                r for r in self.records.values() if r["kind"] == "access" and r["expires_at"] > now
            ]
            for record in targets:
                self._save({**record, "expires_at": now})
            return len(targets)
