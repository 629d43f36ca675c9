"""Changes "made in the Shift4Shop admin", through `/shift4shop/_control/customers`.

POST   /_control/customers        add a customer as the store's admin or storefront would:
                                  fires "Customer New" (unless ?webhooks=false, a missed one)
PUT    /_control/customers/{id}   edit it: its last-update time moves, no webhook (Shift4Shop
                                  has no customer-updated event)
DELETE /_control/customers/{id}   delete it: no webhook and no deleted feed either
`?at=<ISO 8601>` sets the last-update moment instead of now, for boundary tests. Answers
{"customer": <as GET returns it>, "lastupdate": <store-local mm/dd/yyyy hh:mm:ss>,
"lastupdate_utc": <ISO>}. The other `/_control` routes are the kit's ControlPanel.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sandboxes.kit.web import HTTPError, Request, Response, json_response
from sandboxes.shift4shop import api, customers
from sandboxes.shift4shop.state import Shop


def check_knobs(body) -> None:
    """What the kit's generic knob check cannot know: a time zone must exist."""
    zone = body.get("store_timezone") if isinstance(body, dict) else None
    if zone is None:
        return
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError, TypeError):  # ZoneInfoNotFoundError is a KeyError
        raise HTTPError(422, {"errors": ["store_timezone must be an IANA time zone"]}) from None


def _moment(request: Request) -> datetime | None:
    raw = request.arg("at")
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPError(422, {"errors": ["at must be an ISO 8601 date-time"]}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _answer(shop: Shop, record: dict, status: int) -> Response:
    moment = customers.last_update(record)
    return json_response(
        {
            "customer": customers.serialise(record),
            "lastupdate": customers.store_time(moment, shop.knobs.store_timezone),
            "lastupdate_utc": moment.isoformat(),
        },
        status,
    )


def admin_change(shop: Shop, request: Request) -> Response:
    tail = request.path.rstrip("/").removeprefix("/_control/customers").strip("/")
    moment = _moment(request)
    body = request.json(required=False) or {}
    try:
        with shop.lock:
            if request.method == "POST" and not tail:
                emit = request.arg("webhooks", "true") != "false"
                record = api.create_one(shop, body, notify=emit)
                if not emit:
                    shop.stats.bump("webhooks_suppressed")
                status = 201
            elif request.method == "PUT" and tail:
                record, status = api.update_one(shop, tail, body), 200
            elif request.method == "DELETE" and tail:
                api.delete_one(shop, tail)
                return json_response({"deleted": int(tail)})
            else:
                raise HTTPError(405, {"message": f"Cannot {request.method} {request.path}"})
            if moment is not None:
                record = {**record, "_lastupdate": moment.astimezone(UTC).isoformat()}
                shop.store.put("customer", str(record["CustomerID"]), record)
    except customers.Invalid as invalid:
        raise HTTPError(422, {"errors": invalid.messages}) from None
    return _answer(shop, record, status)
