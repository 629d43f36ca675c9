"""The Shift4Shop sandbox's settings, changed at run time through `/_control`.

Shift4Shop documents little beyond its endpoints and fields, so most behaviour here is
inferred ([I] in ../shared/reference/store-platform-apis.md §4): each such behaviour is a
knob whose default is the most likely answer, so tests can also run against the others.
"""

from dataclasses import dataclass

from integrations.sandbox.kit import FaultKnobs

DATE_FORMAT = "%m/%d/%Y %H:%M:%S"  # lastupdatestart/lastupdateend [V]


@dataclass
class Knobs(FaultKnobs):
    # Rate limit [I]: none is documented; the reference advises about 2 requests/second.
    rate_limit: int = 2  # requests allowed per window, per store and app
    rate_window_seconds: float = 1.0
    rate_limit_status: int = 429  # [I] 429; 503 is the other answer seen from such stacks
    rate_limit_retry_after: bool = True  # [I] send Retry-After with the refusal
    # Paging [I]: limit + offset; the PHP client caps limit at 500.
    max_limit: int = 500
    reject_over_max: bool = False  # False: a larger limit is quietly cut to max_limit
    default_limit: int = 100  # when no limit (or 0) is given
    offset_base: int = 0  # the help page defaults offset to 0; other resources start at 1
    empty_list_status: int = 200  # [I] 200 with [] for an empty list; 404 is the other guess
    # Auth [I]: no error catalogue; 401 for bad keys is assumed.
    auth_error_status: int = 401
    # Incremental filter: the format is [V], the clock it is read in is [I] (store-local).
    store_timezone: str = "America/New_York"
    unique_email: bool = True  # [I] a second customer with the same e-mail is refused
    # Webhooks: "Customer New" only, unsigned [V]; payload shape and codes [I].
    webhook_on_api_create: bool = True  # customers created through the API fire it too
    webhook_payload_array: bool = True  # the customer inside a one-element array, as GET
    customer_new_event_type: int = 2  # EventType code of "Customer New" in POST /Webhooks
