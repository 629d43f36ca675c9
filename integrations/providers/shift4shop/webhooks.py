"""Receiving Shift4Shop's "Customer New" webhooks.

Shift4Shop signs nothing and puts no store id in the body (the body is the new customer
record, inside a one-element array like GET's answer [I]). So a delivery is treated as a
hint, never as data: for each store we have connections to, the customer is read back
through that store's API, and the delivery is accepted only where a customer with that
CustomerID exists with the same Email. The payload stored is what the API returned, not
what was posted. A forged body can at most make us read a customer we already may read.

This costs one API call per store per delivery (connections to the same store share it).
Batches: a delivery holding several customers is one inbox row, the same way: every
customer in it must be confirmed, and the payload keeps them all. There is no delivery id,
but "Customer New" happens once per customer, so (store, CustomerID...) is the event id
and a redelivery is stored once.

The read-back can also happen later, in the worker: `verify(body, headers, confirm=False)`
only checks the body's shape and returns an event that `needs_confirmation`, for every
Shift4Shop connection (the body does not say which store sent it), with the body's
customers as an unconfirmed payload; `confirm(connection, payload)` then reads them back
through one connection and returns the confirmed payload, or raises WebhookRejected.
The payload's `confirmed` flag says which of the two it is.
"""

import hashlib
import json

from integrations import jsonsafe
from integrations.errors import IntegrationError, NotFoundError
from integrations.models import Connection
from integrations.providers.base import VerifiedEvent, WebhookRejected
from integrations.providers.shift4shop import auth
from integrations.providers.shift4shop.client import Shift4ShopClient

EVENT_TYPE = "Customer New"
# "Customer New" is one customer; a few per delivery are allowed, since the body's shape is
# inferred. Each costs one read-back, so a forged batch cannot spend more than this.
MAX_CUSTOMERS = 10
# Verification runs inside the webhook request: keep it short rather than thorough.
VERIFY_TRANSPORT = {"max_attempts": 2, "max_wait": 5.0}


def _parse(body: bytes) -> list[dict]:
    try:
        payload = jsonsafe.loads(body)
    except jsonsafe.JSONRejected as error:
        raise WebhookRejected("malformed", f"The body is not JSON we can read: {error}") from None
    items = payload if isinstance(payload, list) else [payload]
    if len(items) > MAX_CUSTOMERS:
        raise WebhookRejected(
            "malformed", f"A delivery may carry at most {MAX_CUSTOMERS} customers."
        )
    valid = items and all(
        isinstance(item, dict)
        and isinstance(item.get("CustomerID"), int)
        and not isinstance(item.get("CustomerID"), bool)
        and isinstance(item.get("Email"), str)
        and item["Email"]
        for item in items
    )
    if not valid:
        raise WebhookRejected("malformed", "Expected customer records with CustomerID and Email.")
    return items


def _stores() -> dict[str, list[Connection]]:
    stores: dict[str, list[Connection]] = {}
    candidates = Connection.objects.filter(provider="shift4shop").exclude(
        status=Connection.Status.DISABLED
    )
    for connection in candidates.order_by("pk"):
        host = auth.store_host(connection.settings.get("secure_url") or "")
        if host:
            stores.setdefault(host, []).append(connection)
    return stores


def _confirm(connections: list[Connection], items: list[dict]) -> list[dict] | None:
    """The customers as the store's API has them, or None if this store has not got them.
    Raises IntegrationError when no connection of the store could ask."""
    failure: IntegrationError | None = None
    for connection in connections:  # the next one only if this one cannot ask
        client = Shift4ShopClient(connection, **VERIFY_TRANSPORT)
        try:
            return _read_back(client, items)
        except NotFoundError:
            return None
        except IntegrationError as error:
            failure = error
    raise failure or IntegrationError("no connection")


def _read_back(client: Shift4ShopClient, items: list[dict]) -> list[dict] | None:
    """Each customer as the store has it; None at the first that differs, so a forged
    batch costs one read more than its first lie."""
    records = []
    for item in items:
        record = client.get_customer(item["CustomerID"])
        if (record.Email or "").lower() != item["Email"].lower():
            return None
        records.append(record.model_dump(mode="json", by_alias=True))
    return records


def _payload(host: str, records: list[dict], *, confirmed: bool) -> dict:
    return {"event": EVENT_TYPE, "store": host, "customers": records, "confirmed": confirmed}


def confirm(connection: Connection, payload) -> dict:
    """Read the customers of a stored (unconfirmed) delivery back through `connection`:
    the payload with the store's own records, or WebhookRejected ("unconfirmed") when the
    store has not got them. A store that cannot be asked raises the typed IntegrationError,
    so the worker retries a TransientError later instead of losing a real event."""
    items = payload.get("customers") if isinstance(payload, dict) else payload
    items = _parse(json.dumps(items).encode())
    try:
        records = _read_back(Shift4ShopClient(connection, **VERIFY_TRANSPORT), items)
    except NotFoundError:
        records = None
    if records is None:
        raise WebhookRejected(
            "unconfirmed", "This Shift4Shop store has no such customer with this e-mail."
        )
    host = auth.store_host(connection.settings.get("secure_url") or "")
    return _payload(host, records, confirmed=True)


def _unconfirmed(items: list[dict]) -> VerifiedEvent:
    """A well-formed delivery, not yet read back: for the worker to `confirm()`. Without
    the store in the id, the e-mails are: two stores' customer 5 differ by them."""
    ids = "-".join(str(item["CustomerID"]) for item in items)
    emails = ",".join(item["Email"].strip().lower() for item in items)
    digest = hashlib.sha256(emails.encode()).hexdigest()[:16]
    connections = [c for group in _stores().values() for c in group]
    return VerifiedEvent(
        event_id=f"customer-new:{ids}:{digest}",
        event_type=EVENT_TYPE,
        payload=_payload("", items, confirmed=False),
        connections=connections,
        needs_confirmation=True,
    )


def verify(body: bytes, headers, confirm: bool = True) -> VerifiedEvent:
    """Return the confirmed event or raise WebhookRejected (nothing of it may be stored).
    `confirm=False` skips the read-back: see the module's docstring."""
    items = _parse(body)
    if not confirm:
        return _unconfirmed(items)
    matched: list[tuple[str, list[Connection], list[dict]]] = []
    unreachable = []
    for host, connections in _stores().items():
        try:
            records = _confirm(connections, items)
        except IntegrationError:
            unreachable.append(host)
            continue
        if records is not None:
            matched.append((host, connections, records))
    if not matched:
        if unreachable:
            raise WebhookRejected(
                "unverifiable",
                "Shift4Shop could not be asked to confirm this customer; send it again later.",
            )
        raise WebhookRejected(
            "unconfirmed", "No connected Shift4Shop store has this customer with this e-mail."
        )
    host, _, records = matched[0]
    ids = "-".join(str(item["CustomerID"]) for item in items)
    return VerifiedEvent(
        event_id=f"{host}:customer-new:{ids}",
        event_type=EVENT_TYPE,
        payload=_payload(host, records, confirmed=True),
        connections=[connection for _, connections, _ in matched for connection in connections],
    )
