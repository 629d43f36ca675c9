"""The Shift4Shop REST API handlers: customers, customer groups and webhook registrations.

Every handler returns (HTTP status, JSON body). Lists are bare arrays [V]; writes answer
with status arrays `[{"Key","Value","Status","Message"}]` whose Status is a string [V];
errors use the same shape [I]. Lists are ordered by CustomerID, so new customers land at
the end of the list and never shift a page someone is reading.
"""

from datetime import UTC, datetime

from sandboxes.kit.web import HTTPError, Request
from sandboxes.shift4shop import customers
from sandboxes.shift4shop.state import Shop

PAST_THE_END = "Offset amount exceeds the total number of records"
LIST_FILTERS = ("email", "firstname", "lastname", "country", "state", "city", "phone")


def status(key: str, value, code: int, message: str) -> dict:
    return {"Key": key, "Value": "" if value is None else str(value), "Status": str(code),
            "Message": message}  # fmt: skip


def error(code: int, message: str, key: str = "", value="") -> HTTPError:
    return HTTPError(code, [status(key, value, code, message)])


def _int_arg(request: Request, name: str, default: int) -> int:
    raw = request.arg(name)
    if raw in (None, ""):
        return default
    try:
        number = int(raw)
    except ValueError:
        raise error(400, f"The parameter {name} must be a whole number.") from None
    if number < 0:
        raise error(400, f"The parameter {name} cannot be negative.")
    return number


def _time_arg(shop: Shop, request: Request, name: str):
    raw = request.arg(name)
    if not raw:
        return None
    try:
        return customers.parse_store_time(raw, shop.knobs.store_timezone)
    except ValueError:
        raise error(400, f"{name} must be formatted mm/dd/yyyy hh:mm:ss.") from None


def _customer(shop: Shop, customer_id: str) -> dict:
    record = shop.store.get("customer", str(customer_id)) if customer_id.isdigit() else None
    if record is None:
        raise error(404, "Customer not found.", "CustomerID", customer_id)
    return record


def list_customers(shop: Shop, request: Request) -> tuple[int, object]:
    knobs = shop.knobs
    start = _time_arg(shop, request, "lastupdatestart")
    end = _time_arg(shop, request, "lastupdateend")
    filters = {name: request.arg(name, "") for name in LIST_FILTERS}
    records = sorted(shop.store.all("customer"), key=lambda record: record["CustomerID"])
    selected = [r for r in records if customers.matches(r, filters, start=start, end=end)]
    if request.arg("countonly") in ("1", "true", "True"):
        return 200, {"TotalCount": len(selected)}
    limit = _int_arg(request, "limit", 0) or knobs.default_limit
    if limit > knobs.max_limit:
        if knobs.reject_over_max:
            raise error(400, f"The limit cannot be greater than {knobs.max_limit}.")
        limit = knobs.max_limit
    offset = _int_arg(request, "offset", knobs.offset_base)
    first = max(offset - knobs.offset_base, 0)
    if first >= len(selected) and knobs.past_end_status != 200:
        # Past the last record (an empty list included) the store answers a bare Message.
        raise HTTPError(knobs.past_end_status, [{"Message": PAST_THE_END}])
    page = [customers.serialise(r) for r in selected[first : first + limit]]
    if not page and knobs.empty_list_status != 200:
        raise error(knobs.empty_list_status, "No customers found.")
    return 200, page


def get_customer(shop: Shop, request: Request, customer_id: str):
    return 200, [customers.serialise(_customer(shop, customer_id))]


def _now() -> datetime:
    return datetime.now(UTC)


def create_one(shop: Shop, body, *, notify: bool) -> dict:
    """Create a customer (the shop lock is held), firing "Customer New" if `notify`."""
    changes = customers.parse(body, creating=True)
    _refuse_duplicate(shop, changes)
    customer_id = shop.next_id("customer")
    record = customers.new_record(customer_id, changes, _now())
    shop.store.put("customer", str(customer_id), record)
    if notify:
        shop.customer_new(record)
    return record


def update_one(shop: Shop, customer_id: str, body) -> dict:
    record = _customer(shop, customer_id)
    changes = customers.parse(body, creating=False)
    _refuse_duplicate(shop, changes, exclude=record["CustomerID"])
    record = customers.apply(record, changes, _now())
    shop.store.put("customer", str(record["CustomerID"]), record)
    return record


def delete_one(shop: Shop, customer_id: str) -> None:
    _customer(shop, customer_id)
    shop.store.delete("customer", customer_id)


def _refuse_duplicate(shop: Shop, changes: dict, exclude: int | None = None):
    email = (changes.get("Email") or "").lower()
    if not email or not shop.knobs.unique_email:
        return
    for record in shop.store.all("customer"):
        if record["Email"].lower() == email and record["CustomerID"] != exclude:
            raise customers.Invalid([f"A customer with the email {changes['Email']} exists."])


def _write_many(items, write) -> tuple[int, list]:
    """Run `write` per item; one status per item, like the bulk endpoints. The HTTP status
    is the first item's when every item failed, else the success status."""
    results, failures = [], []
    for item in items:
        try:
            results.append(write(item))
        except customers.Invalid as invalid:
            failures.append(len(results))
            results.append(status("CustomerID", "", 400, "; ".join(invalid.messages)))
        except HTTPError as refused:
            failures.append(len(results))
            results.append(refused.payload[0])
    if failures and len(failures) == len(results):
        return int(results[0]["Status"]), results
    return 200, results


def create_customers(shop: Shop, request: Request):
    body = request.json()
    items = body if isinstance(body, list) else [body]

    def write(item):
        record = create_one(shop, item, notify=shop.knobs.webhook_on_api_create)
        return status("CustomerID", record["CustomerID"], 201, "Created successfully")

    code, results = _write_many(items, write)
    return (201 if code == 200 else code), results


def update_customer(shop: Shop, request: Request, customer_id: str):
    def write(item):
        record = update_one(shop, customer_id, item)
        return status("CustomerID", record["CustomerID"], 200, "Updated successfully")

    return _write_many([request.json()], write)


def update_customers(shop: Shop, request: Request):
    """PUT /Customers: an array, each item naming its CustomerID."""
    body = request.json()
    if not isinstance(body, list):
        raise error(400, "The body must be an array of customers.")

    def write(item):
        customer_id = str(item.get("CustomerID", "")) if isinstance(item, dict) else ""
        record = update_one(shop, customer_id, item)
        return status("CustomerID", record["CustomerID"], 200, "Updated successfully")

    return _write_many(body, write)


def delete_customer(shop: Shop, request: Request, customer_id: str):
    delete_one(shop, customer_id)
    return 200, [status("CustomerID", customer_id, 200, "Deleted successfully")]


def list_groups(shop: Shop, request: Request):
    groups = sorted(shop.store.all("group"), key=lambda group: group["CustomerGroupID"])
    return 200, groups


def get_group(shop: Shop, request: Request, group_id: str):
    group = shop.store.get("group", group_id)
    if group is None:
        raise error(404, "Customer group not found.", "CustomerGroupID", group_id)
    return 200, [group]


def group_customers(shop: Shop, request: Request, group_id: str):
    get_group(shop, request, group_id)
    records = sorted(shop.store.all("customer"), key=lambda record: record["CustomerID"])
    return 200, [customers.serialise(r) for r in records if str(r["CustomerGroupID"]) == group_id]


# Webhook registrations (Modules -> Webhooks, or the API) [V config].
def list_webhooks(shop: Shop, request: Request):
    return 200, shop.store.all("webhook")


def create_webhook(shop: Shop, request: Request):
    body = request.json()
    if not isinstance(body, dict):
        raise error(400, "The webhook must be a JSON object.")
    url, event_type = body.get("Url"), body.get("EventType")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise error(400, "Url must be an http(s) URL.")
    if not isinstance(event_type, int) or isinstance(event_type, bool):
        raise error(400, "EventType must be a number.")
    if body.get("Format", "JSON") != "JSON":
        raise error(400, "This sandbox sends webhooks as JSON only.")
    webhook_id = str(shop.next_id("webhook"))
    hook = {
        "WebhookID": int(webhook_id),
        "Name": str(body.get("Name") or ""),
        "Url": url,
        "EventType": event_type,
        "Format": body.get("Format", "JSON"),
        "Enabled": body.get("Enabled", True) is not False,
    }
    shop.store.put("webhook", webhook_id, hook)
    return 201, [status("WebhookID", webhook_id, 201, "Created successfully")]


def delete_webhook(shop: Shop, request: Request, webhook_id: str):
    if not shop.store.delete("webhook", webhook_id):
        raise error(404, "Webhook not found.", "WebhookID", webhook_id)
    return 200, [status("WebhookID", webhook_id, 200, "Deleted successfully")]
