"""The knobs of the HighLevel sandbox: defaults, and how `/_control` changes them.

Every knob has a default that follows HighLevel's documentation and OpenAPI specs (or, where
they leave a question open, the most likely documented behaviour; the open questions are
listed in docs/providers/highlevel.md). `HighLevelSandbox(options, **knobs)`
overrides defaults for one instance; `POST /_control` changes them at run time and
`POST /_control/reset` goes back to that instance's defaults.
"""

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sandboxes.kit.kit import FaultKnobs


@dataclass
class Config(FaultKnobs):
    # Faults come from FaultKnobs, all off by default: error_rate, error_status (500),
    # latency_ms, timeout_rate, and timeout_ms (35 s, longer than the official SDK's 30 s
    # client timeout).

    # OAuth and tokens.
    access_token_ttl: int = 86_399  # seconds; `expires_in` of every access token
    code_ttl: int = 600  # seconds an authorization code stays usable
    # Open question: an old refresh token dies the moment it is used (0). A positive value
    # keeps it usable for that many seconds, as some providers do to cover lost responses.
    refresh_token_grace_seconds: float = 0.0
    # Test knob (not HighLevel behaviour): POST /oauth/token answers this long after it has
    # done its work (a code redeemed, a refresh token rotated), so a test can lose the answer
    # to a refresh that happened — a worker killed while it waits, say.
    token_latency_ms: int = 0
    redirect_uris: list[str] = field(default_factory=list)  # empty: any http(s) URI is accepted

    # Rate limits: per app (client_id; each PIT is its own app) per location.
    burst_limit: int = 100
    burst_window_ms: int = 10_000
    daily_limit: int = 200_000
    time_scale: float = 1.0  # >1 makes every window shorter by that factor (benchmarks)
    retry_after: bool = False  # open question: no evidence of Retry-After, so off

    # Response shapes the sources disagree on or leave open.
    create_status: int = 201  # spec 201; live recordings through a proxy showed 200
    not_found_status: int = 400  # 400 {statusCode, message} by default; 404 when asked
    normalise_tags: bool = True  # tags are trimmed and lower-cased, as the HighLevel UI shows
    # The spec's schemas say custom-field values and bulk-tag results are strings, its examples
    # (and live recordings) show numbers, arrays and objects. False follows the schemas.
    native_types: bool = False
    strict_properties: bool = True  # unknown body properties -> 422 "property x should not exist"

    # Location duplicate rule ("Allow Duplicate Contact" and its matching priority).
    allow_duplicate_contact: bool = False
    duplicate_priority: list[str] = field(default_factory=lambda: ["email", "phone"])

    # Version header values accepted besides the specs' (2021-07-28, v3). HighLevel's SDK
    # sends "2023-02-21" and third parties report it answered live; no spec lists it, so the
    # sandbox refuses it (400, like any unknown version) unless it is listed here.
    extra_versions: list[str] = field(default_factory=list)

    # POST /contacts/search.
    search_max_page_limit: int = 500
    search_max_window: int = 10_000  # page * pageLimit beyond this needs searchAfter

    # Webhooks out (webhook_url, webhook_base_delay_ms and webhook_max_delay_ms keep the
    # FaultKnobs defaults: none, 1 s and 60 s).
    webhook_max_attempts: int = 12
    webhook_timeout_ms: int = 10_000
    # Open question: the legacy x-wh-signature (RSA) is due to be retired; False sends only
    # x-ghl-signature (Ed25519), as deliveries will look after the sunset.
    webhook_legacy_signature: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


_CHOICES = {
    "create_status": (200, 201),
    "not_found_status": (400, 404),
}
_RATES = ("error_rate", "timeout_rate")
_POSITIVE = ("burst_limit", "burst_window_ms", "daily_limit", "webhook_max_attempts")


def _coerce(name: str, expected: type, value: Any) -> Any:
    if expected is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be a boolean value")
        return value
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an integer number")
        return value
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name} must be a number")
        return float(value)
    return value


def apply_changes(config: Config, changes: dict) -> list[str]:
    """Validate and apply `changes` (knob -> value) to `config`; returns error messages, in
    which case nothing is changed."""
    types = {f.name: f.type for f in fields(Config)}
    errors: list[str] = []
    updates: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in types:
            errors.append(f"property {name} should not exist")
            continue
        kind = types[name]
        try:
            if kind in (bool, int, float):
                value = _coerce(name, kind, value)
            elif name == "webhook_url":
                if value is not None and not (
                    isinstance(value, str) and value.startswith(("http://", "https://"))
                ):
                    raise ValueError("webhook_url must be an http(s) URL or null")
            elif name == "duplicate_priority":
                if (
                    not isinstance(value, list)
                    or not value
                    or any(item not in ("email", "phone") for item in value)
                    or len(set(value)) != len(value)
                ):
                    raise ValueError('duplicate_priority must list "email" and/or "phone"')
            elif name == "extra_versions" and (
                not isinstance(value, list) or not all(isinstance(v, str) and v for v in value)
            ):
                raise ValueError("extra_versions must be an array of strings")
            elif name == "redirect_uris" and (
                not isinstance(value, list) or not all(isinstance(v, str) for v in value)
            ):
                raise ValueError("redirect_uris must be an array of strings")
        except ValueError as error:
            errors.append(str(error))
            continue
        if name in _CHOICES and value not in _CHOICES[name]:
            errors.append(f"{name} must be one of {', '.join(map(str, _CHOICES[name]))}")
        elif name in _RATES and not 0 <= value <= 1:
            errors.append(f"{name} must be between 0 and 1")
        elif name in _POSITIVE and value < 1:
            errors.append(f"{name} must not be less than 1")
        elif name == "error_status" and not 400 <= value <= 599:
            errors.append("error_status must be between 400 and 599")
        elif name == "time_scale" and value <= 0:
            errors.append("time_scale must be greater than 0")
        elif isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            errors.append(f"{name} must not be less than 0")
        else:
            updates[name] = value
    if errors:
        return errors
    for name, value in updates.items():
        setattr(config, name, value)
    return []
