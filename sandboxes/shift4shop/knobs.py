"""The Shift4Shop sandbox's settings, changed at run time through `/_control`.

Shift4Shop documents little beyond its endpoints and fields, so most behaviour here is
inferred: [I] marks what no public source documents, [V] what the REST API help pages or
production clients show (docs/providers/shift4shop.md lists both). Each inferred behaviour
is a knob whose default is the most likely answer, so tests can also run against the others.
"""

from dataclasses import dataclass

from sandboxes.kit.kit import FaultKnobs

DATE_FORMAT = "%m/%d/%Y %H:%M:%S"  # lastupdatestart/lastupdateend [V]


@dataclass
class Knobs(FaultKnobs):
    # Rate limit [I]: none is documented; about 2 requests/second is the cautious guess.
    rate_limit: int = 2  # requests allowed per window, per store and app
    rate_window_seconds: float = 1.0
    rate_limit_status: int = 429  # [I] 429; 503 is the other answer seen from such stacks
    rate_limit_retry_after: bool = True  # [I] send Retry-After with the refusal
    # Paging [I]: limit + offset; the PHP client caps limit at 500.
    max_limit: int = 500
    reject_over_max: bool = False  # False: a larger limit is quietly cut to max_limit
    default_limit: int = 100  # when no limit (or 0) is given
    # [I] production clients page from offset 1; the customers help page shows 0.
    offset_base: int = 1
    # [V] an offset past the last record (or any offset into an empty list) is answered
    # 400 [{"Message": "Offset amount exceeds the total number of records"}]; 200 turns
    # that off, and then an empty page is answered with `empty_list_status`.
    past_end_status: int = 400
    empty_list_status: int = 200  # [I] 200 with [], or 404 (only when past_end_status=200)
    # Auth [I]: no error catalogue; 401 for bad keys is assumed.
    auth_error_status: int = 401
    # Incremental filter: the format is [V], the clock it is read in is [I] (store-local).
    store_timezone: str = "America/New_York"
    unique_email: bool = True  # [I] a second customer with the same e-mail is refused
    # Webhooks: "Customer New" only, unsigned [V]; payload shape and codes [I].
    webhook_on_api_create: bool = True  # customers created through the API fire it too
    webhook_payload_array: bool = True  # the customer inside a one-element array, as GET
    customer_new_event_type: int = 2  # EventType code of "Customer New" in POST /Webhooks
