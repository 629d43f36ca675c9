"""`/cin7/_control` (test mode only): knobs, counters, faults and "changes in Cin7's UI".

GET  /_control                    knobs, stats, storm_remaining, webhooks_pending, customers,
                                  webhook_registrations
POST /_control                    knob changes (see knobs.py) and the actions
                                    rate_limit_storm: N   the next N API calls are refused as
                                                          the rate limit refuses them
                                    flush_webhooks: true  send waiting batches now
POST /_control/reset              knobs back to the instance defaults; counters, rate windows,
                                  storm and the delivery log cleared. Data is kept.
GET  /_control/webhooks           the delivery log (?type=Customer/Updated&status=delivered)
POST   /_control/customers        a customer created in the Cin7 UI (missing required fields
                                  get the UI's defaults); fires Customer/Updated
PUT    /_control/customers/{id}   edited in the UI (only the fields given change); fires it
DELETE /_control/customers/{id}   deleted in the UI: gone, and no webhook (Cin7 has no
                                  customer-deleted event)
Add ?webhooks=false to a customer change to make a change whose webhook never comes.
"""

from sandboxes.cin7 import customers, seed
from sandboxes.cin7.knobs import problems
from sandboxes.cin7.state import Cin7State
from sandboxes.kit.web import HTTPError, Request, Response, json_response

UI_DEFAULTS = {
    "Status": "Active",
    "Currency": seed.BASE_CURRENCY,
    "PaymentTerm": seed.PAYMENT_TERMS[0],
    "TaxRule": seed.TAX_RULES[0],
    "PriceTier": seed.PRICE_TIERS[0],
    "AccountReceivable": seed.DEFAULT_ACCOUNT_RECEIVABLE,
    "RevenueAccount": seed.DEFAULT_REVENUE_ACCOUNT,
}


def handle(app: Cin7State, request: Request) -> Response:
    if not app.options.test_mode:
        return json_response({"message": "The control endpoint is off (not in test mode)."}, 403)
    parts = request.path.strip("/").split("/")
    try:
        if len(parts) >= 2 and parts[1].lower() == "customers":
            return _customer_change(app, request, parts[2] if len(parts) > 2 else None)
        if request.method == "POST" and len(parts) == 1:
            body = request.json()
            found = problems(body) if isinstance(body, dict) else []
            if found:
                raise HTTPError(422, {"errors": found})
        return app.panel.handle(request, app.options.test_mode)
    except HTTPError as error:
        return error.to_response()


def _customer_change(app: Cin7State, request: Request, customer_id: str | None) -> Response:
    emit = (request.arg("webhooks") or "true").lower() != "false"
    with app.lock:
        if request.method == "POST" and customer_id is None:
            body = request.json()
            if not isinstance(body, dict):
                raise HTTPError(422, {"errors": ["the body must be a customer object"]})
            record = customers.create(app, {**UI_DEFAULTS, **body}, source="ui", emit=emit)
            return json_response({"customer": customers.public(record)}, 201)
        if customer_id is None:
            raise HTTPError(405, {"message": f"Cannot {request.method} /_control/customers"})
        customer_id = customer_id.lower()
        if app.store.get(customers.KIND, customer_id) is None:
            raise HTTPError(404, {"message": f"No customer {customer_id}"})
        if request.method == "PUT":
            record = customers.update(
                app, request.json(), source="ui", customer_id=customer_id, emit=emit
            )
            return json_response({"customer": customers.public(record)})
        if request.method == "DELETE":
            app.store.delete(customers.KIND, customer_id)
            return json_response({"deleted": customer_id})
    raise HTTPError(405, {"message": f"Cannot {request.method} /_control/customers/{{id}}"})
