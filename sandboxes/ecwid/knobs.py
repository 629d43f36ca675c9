"""The knobs of the Ecwid sandbox: fault settings plus what Ecwid's docs leave open.

[V] marks what Ecwid's API docs state, [I] what no public source documents (inferred, see
docs/providers/ecwid.md): those are knobs set to the most likely behaviour. `POST
/ecwid/_control` changes them at run time and `POST /ecwid/_control/reset` restores this
instance's defaults.
"""

from dataclasses import dataclass

from sandboxes.kit.kit import FaultKnobs


@dataclass
class Knobs(FaultKnobs):
    # Rate limit [V]: 600 requests per minute per token, refused with 429 + Retry-After.
    rate_limit: int = 600
    rate_window_seconds: float = 60.0
    # Requests with a bad token are limited per client address [V: 20/min]; how long the
    # longer block lasts is not published [I].
    bad_token_limit: int = 20
    bad_token_window_seconds: float = 60.0
    bad_token_block_seconds: int = 300

    # Paging [V]: limit max 100, default 10 (`/customers/deleted` default 100).
    max_limit: int = 100
    default_limit: int = 10
    deleted_default_limit: int = 100
    # A limit above the maximum is cut down to it rather than refused [I].
    clamp_limit: bool = True

    # createdFrom/To and updatedFrom/To include their bounds [I].
    date_filters_inclusive: bool = True
    # A PUT with part of `billingPerson` keeps the billing fields it leaves out [I]; false
    # replaces the whole object.
    merge_billing_person: bool = True
    # The deleted-customers log keeps entries for about six months [V].
    deleted_retention_days: int = 183

    # Webhooks [V]: retried every 15 minutes 4 times, then hourly up to 24 hours. The shared
    # sender backs off exponentially, so these approximate that schedule.
    webhook_max_attempts: int = 28
    webhook_base_delay_ms: int = 900_000
    webhook_max_delay_ms: int = 3_600_000
    webhook_timeout_ms: int = 10_000
