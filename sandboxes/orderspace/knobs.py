"""The Orderspace sandbox's settings, changeable at run time through `/orderspace/_control`.

Defaults follow Orderspace's API docs ([V]). Behaviour no public source documents ([I],
see docs/providers/orderspace.md) is a knob whose default is the likeliest answer, so a
client can be tested against the other possibilities too.
"""

from dataclasses import dataclass

from sandboxes.kit.kit import FaultKnobs

CHOICES = {
    # The docs say `created_at`; real responses (2022 fixtures, 2025 events) say `created`.
    "created_field": ("created", "created_at", "both"),
    # [I] What `starting_after=<id of a customer deleted since>` does: answer 404 like any
    # unknown customer, or carry on from where that customer was.
    "deleted_cursor": ("not_found", "continue"),
    # [I] A `limit` above the maximum: quietly use the maximum, or refuse with 400.
    "limit_over_max": ("clamp", "bad_request"),
}


@dataclass
class Knobs(FaultKnobs):
    rate_limit: int = 60  # [V] requests per window per account...
    rate_window_seconds: float = 60.0  # [V] ...of 60 s; then 429
    rate_limit_retry_after: bool = False  # [I] no rate-limit headers are documented
    token_ttl_seconds: int = 1800  # [V] access tokens live 30 minutes
    page_default: int = 50  # [V]
    page_max: int = 200  # [V]
    limit_over_max: str = "clamp"
    created_field: str = "created"
    created_since_inclusive: bool = True  # [I] "created since" read as >=
    deleted_cursor: str = "not_found"
    require_https_webhooks: bool = True  # [V] endpoint must be https, else 422
    webhooks_for_api_changes: bool = True  # [I] API writes fire webhooks like admin edits
    webhook_batch_ms: int = 200  # [I] how long events gather before one delivery
    webhook_batch_max: int = 50  # [V] up to 50 events per delivery
    # Public integrations (authorization code). Orderspace documents that the grant exists
    # but not its pages, so all of this is [I], modelled on Doorkeeper (its identity server).
    authorize_path: str = "/oauth/authorize"  # [I] the consent page, beside /oauth/token
    code_ttl_seconds: int = 600  # [I] Doorkeeper's default: codes live 10 minutes
    refresh_token_rotation: bool = True  # [I] a refresh returns a new refresh token
    redirect_uris: str = ""  # [I] registered redirect URIs, space-separated ("" = any)


RESERVED_PATHS = ("/oauth/token", "/v1", "/_control")


def choice_errors(changes: dict) -> list[str]:
    """Messages for enumerated knobs given a value they do not know, and for an authorize
    path that is not a path or would hide another route."""
    problems = [
        f"{name} must be one of {', '.join(CHOICES[name])}"
        for name, value in changes.items()
        if name in CHOICES and value not in CHOICES[name]
    ]
    path = changes.get("authorize_path")
    if path is not None and not (
        isinstance(path, str)
        and path.startswith("/")
        and len(path) > 1
        and not any(path == p or path.startswith(p + "/") for p in RESERVED_PATHS)
    ):
        problems.append("authorize_path must be a path such as /oauth/authorize")
    return problems
