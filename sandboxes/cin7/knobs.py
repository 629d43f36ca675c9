"""The knobs of the Cin7 Core sandbox: defaults that follow what Cin7 documents, and the
choices no public source settles, each a knob with the most likely default. [V] marks what a
public source shows, [I] what is inferred; docs/providers/cin7.md names the sources.

`Cin7Sandbox(options, **knobs)` makes knobs this instance's defaults; `POST /cin7/_control`
changes them at run time and `POST /cin7/_control/reset` goes back to the instance defaults.
The shared `webhook_url` knob is unused here: Cin7 webhooks are registered through the API
(`POST /ExternalApi/v2/webhooks`), each with its own URL and authentication.
"""

from dataclasses import dataclass

from sandboxes.kit.kit import FaultKnobs


@dataclass
class Knobs(FaultKnobs):
    # Rate limit [V]: 60 calls per minute per account. The refusal: 503 "You reached 60 calls
    # per minute API limit" per the help page; the Apiary status table says 429 [I].
    rate_limit: int = 60
    rate_limit_window_s: float = 60.0
    rate_limit_status: int = 503
    rate_limit_retry_after: bool = False  # no Retry-After header is documented [I]
    rate_limit_headers: bool = True  # X-RateLimit-Remaining, read by one client [I]

    # Paging [V]: Page (default 1) and Limit (default 100, max 1000).
    default_limit: int = 100
    max_limit: int = 1000
    limit_over_max: str = "clamp"  # "clamp" or "error" when Limit > max_limit [I]
    # The order of GET /customer is not documented [I]: "name" (as the UI lists them) or
    # "created" (insertion order).
    list_order: str = "name"
    modified_since_inclusive: bool = True  # LastModifiedOn >= ModifiedSince [I]

    # Writes. The 2025 OpenAPI transcription marks seven fields required on POST: Name,
    # Status, Currency, PaymentTerm, AccountReceivable, RevenueAccount, TaxRule. With
    # require_all_seven off, the older behaviour: AccountReceivable and RevenueAccount are
    # picked from the account's defaults when blank [I]. PriceTier was required by the v1
    # docs and the import guide, not by the v2 schema [I].
    require_all_seven: bool = True
    require_price_tier: bool = False
    error_format: str = "array"  # 4xx bodies: "array" [{ErrorCode, Exception}] or "object" [I]

    # Webhooks [V]: Customer/Updated only, payload {"CustomerDetailsList": [...]}.
    # POST /webhooks answers the registration as a bare object or wrapped in
    # {"Webhooks": [...]}: sources disagree [I].
    webhook_answer: str = "bare"
    webhook_on_create: bool = True  # whether Customer/Updated also fires on create [I]
    webhook_on_api_changes: bool = True  # changes made through the API fire it too [I]
    webhook_batch_ms: int = 500  # changes within this window go out as one delivery [I]
    webhook_batch_max: int = 50
    webhook_max_attempts: int = 5
    webhook_base_delay_ms: int = 1000


CHOICES = {
    "rate_limit_status": (503, 429),
    "limit_over_max": ("clamp", "error"),
    "list_order": ("name", "created"),
    "error_format": ("array", "object"),
    "webhook_answer": ("bare", "wrapped"),
}
POSITIVE = ("rate_limit", "rate_limit_window_s", "default_limit", "max_limit", "webhook_batch_max")


def problems(changes: dict) -> list[str]:
    """Checks that control.apply_knobs does not make: fixed choices and values that must be > 0."""
    found = []
    for name, allowed in CHOICES.items():
        if name in changes and changes[name] not in allowed:
            found.append(f"{name} must be one of {', '.join(map(str, allowed))}")
    for name in POSITIVE:
        value = changes.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
            found.append(f"{name} must be greater than 0")
    return found
