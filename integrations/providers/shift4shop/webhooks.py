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
"""

import json

from integrations.errors import IntegrationError, NotFoundError
from integrations.models import Connection
from integrations.providers import VerifiedEvent, WebhookRejected
from integrations.providers.shift4shop import auth
from integrations.providers.shift4shop.client import Shift4ShopClient

EVENT_TYPE = "Customer New"
# Verification runs inside the webhook request: keep it short rather than thorough.
VERIFY_TRANSPORT = {"max_attempts": 2, "max_wait": 5.0}


def _parse(body: bytes) -> list[dict]:
    try:
        payload = json.loads(body)
    except ValueError:
        raise WebhookRejected("malformed", "The body is not JSON.") from None
    items = payload if isinstance(payload, list) else [payload]
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
            records = [client.get_customer(item["CustomerID"]) for item in items]
        except NotFoundError:
            return None
        except IntegrationError as error:
            failure = error
            continue
        same = all(
            (record.Email or "").lower() == item["Email"].lower()
            for record, item in zip(records, items, strict=True)
        )
        return [r.model_dump(mode="json", by_alias=True) for r in records] if same else None
    raise failure or IntegrationError("no connection")


def verify(body: bytes, headers) -> VerifiedEvent:
    """Return the confirmed event or raise WebhookRejected (nothing of it may be stored)."""
    items = _parse(body)
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
        payload={"event": EVENT_TYPE, "store": host, "customers": records},
        connections=[connection for _, connections, _ in matched for connection in connections],
    )
