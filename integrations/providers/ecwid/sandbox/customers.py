"""The Ecwid REST handlers: store profile, customers, the deleted-customers log and
customer groups. Each takes (app, request, **route params) and returns (status, body); the
app has already checked the token, scope and rate limit and holds its lock.
Reference: ../shared/reference/store-platform-apis.md §2 (Ecwid REST API v3)."""

from typing import TYPE_CHECKING

from integrations.providers.ecwid.sandbox import records
from integrations.providers.ecwid.sandbox.records import error, wrong_parameter
from integrations.sandbox.web import Request

if TYPE_CHECKING:
    from integrations.providers.ecwid.sandbox.app import EcwidSandbox

CUSTOMER, DELETED, GROUP = "customer", "deleted", "group"
SORTS = {
    "NAME": lambda c: ((c.get("name") or "").lower(), c["id"]),
    "EMAIL": lambda c: (c["email"].lower(), c["id"]),
    "ORDER_COUNT": lambda c: (c.get("totalOrderCount", 0), c["id"]),
    "REGISTERED_DATE": lambda c: (c["_registered"], c["id"]),
    "UPDATED_DATE": lambda c: (c["_updated"], c["id"]),
}


def _int_param(request: Request, name: str, default: int | None = None) -> int | None:
    value = request.arg(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise wrong_parameter(f"Wrong {name} parameter: {value!r}") from None
    if number < 0:
        raise wrong_parameter(f"Wrong {name} parameter: {value!r}")
    return number


def _page_params(app: "EcwidSandbox", request: Request, default: int) -> tuple[int, int]:
    offset = _int_param(request, "offset", 0)
    limit = _int_param(request, "limit", default)
    if limit > app.knobs.max_limit:
        if not app.knobs.clamp_limit:
            raise wrong_parameter(f"Limit must not be greater than {app.knobs.max_limit}")
        limit = app.knobs.max_limit
    return offset, limit


def _page(items: list, offset: int, limit: int) -> dict:
    chosen = items[offset : offset + limit]
    return {
        "total": len(items),
        "count": len(chosen),
        "offset": offset,
        "limit": limit,
        "items": chosen,
    }


def _in_range(app: "EcwidSandbox", value: int, low: int | None, high: int | None) -> bool:
    if app.knobs.date_filters_inclusive:
        return (low is None or value >= low) and (high is None or value <= high)
    return (low is None or value > low) and (high is None or value < high)


def _date_param(request: Request, name: str) -> int | None:
    value = request.arg(name)
    return records.parse_date_param(name, value) if value else None


def _filter(app: "EcwidSandbox", request: Request):
    """The search filters of one request as a predicate over stored customers."""
    keyword = (request.arg("keyword") or "").lower()
    name = (request.arg("name") or "").lower()
    email = (request.arg("email") or "").lower()
    groups = request.arg("customerGroupIds") or request.arg("customerGroup")
    try:
        wanted = {int(part) for part in (groups or "").split(",") if part.strip()}
    except ValueError:
        raise wrong_parameter(f"Wrong customerGroupIds parameter: {groups!r}") from None
    marketing = request.arg("acceptMarketing")
    low, high = _int_param(request, "minOrderCount"), _int_param(request, "maxOrderCount")
    created = (_date_param(request, "createdFrom"), _date_param(request, "createdTo"))
    updated = (_date_param(request, "updatedFrom"), _date_param(request, "updatedTo"))

    def matches(doc: dict) -> bool:
        orders = doc.get("totalOrderCount", 0)
        return (
            (not keyword or keyword in f"{doc.get('name', '')} {doc['email']}".lower())
            and (not name or name in (doc.get("name") or "").lower())
            and (not email or email == doc["email"].lower())
            and (not wanted or doc.get("customerGroupId", 0) in wanted)
            and (
                marketing not in ("true", "false")
                or doc.get("acceptMarketing") == (marketing == "true")
            )
            and (low is None or orders >= low)
            and (high is None or orders <= high)
            and _in_range(app, doc["_registered"], *created)
            and _in_range(app, doc["_updated"], *updated)
        )

    return matches


def _sort_key(request: Request):
    sort_by = request.arg("sortBy") or "NAME_ASC"
    field, _, direction = sort_by.rpartition("_")
    if field not in SORTS or direction not in ("ASC", "DESC"):
        raise wrong_parameter(f"Wrong sortBy parameter: {sort_by!r}")
    return SORTS[field], direction == "DESC"


def _customer(app: "EcwidSandbox", customer_id: str) -> dict:
    doc = app.store.get(CUSTOMER, customer_id) if customer_id.isdigit() else None
    if doc is None:
        raise error(404, f"Customer #{customer_id} not found", "CUSTOMER_NOT_FOUND")
    return doc


def _email_taken(app: "EcwidSandbox", email: str, exclude: int | None = None) -> None:
    for doc in app.store.all(CUSTOMER):
        if doc["email"].lower() == email.lower() and doc["id"] != exclude:
            raise error(
                409, "The customer with the given email already exists", "CONSTRAINT_VIOLATION"
            )


def profile(app: "EcwidSandbox", request: Request) -> tuple[int, dict]:
    creds = app.credentials
    return 200, {
        "generalInfo": {
            "storeId": creds["store_id"],
            "storeUrl": f"{app.base_url}/store/{creds['store_id']}",
            "starterSite": {"ecwidSubdomain": "sandbox-store"},
        },
        "account": {
            "accountName": creds["account_name"],
            "accountNickName": creds["account_name"].split()[0],
            "accountEmail": creds["account_email"],
        },
        "settings": {"storeName": creds["store_name"], "closed": False},
    }


def list_customers(app: "EcwidSandbox", request: Request) -> tuple[int, dict]:
    offset, limit = _page_params(app, request, app.knobs.default_limit)
    key, reverse = _sort_key(request)
    matches = _filter(app, request)
    matched = sorted(
        (doc for doc in app.store.all(CUSTOMER) if matches(doc)),
        key=key,
        reverse=reverse,
    )
    page = _page(matched, offset, limit)
    names = app.group_names()
    page["items"] = [records.customer_out(doc, names) for doc in page["items"]]
    return 200, page


def get_customer(app: "EcwidSandbox", request: Request, customerId: str) -> tuple[int, dict]:
    return 200, records.customer_out(_customer(app, customerId), app.group_names())


def create_customer(app: "EcwidSandbox", request: Request, body=None) -> tuple[int, dict]:
    now = app.now()
    doc = records.apply_input(
        records.new_customer(app.next_id(), now),
        request.json() if body is None else body,
        creating=True,
        group_ids=set(app.group_names()),
        next_id=app.next_id,
        now=now,
        merge_billing=app.knobs.merge_billing_person,
    )
    _email_taken(app, doc["email"])
    app.store.put(CUSTOMER, str(doc["id"]), doc)
    app.emit("customer.created", doc["id"], {"customerEmail": doc["email"]})
    return 200, {"id": doc["id"]}


def update_customer(
    app: "EcwidSandbox", request: Request, customerId: str, body=None
) -> tuple[int, dict]:
    doc = _customer(app, customerId)
    now = app.now()
    doc = records.apply_input(
        doc,
        request.json() if body is None else body,
        creating=False,
        group_ids=set(app.group_names()),
        next_id=app.next_id,
        now=now,
        merge_billing=app.knobs.merge_billing_person,
    )
    _email_taken(app, doc["email"], exclude=doc["id"])
    doc["_updated"] = now
    app.store.put(CUSTOMER, str(doc["id"]), doc)
    app.emit("customer.updated", doc["id"], {"customerEmail": doc["email"]})
    return 200, {"updateCount": 1}


def delete_customer(app: "EcwidSandbox", request: Request, customerId: str) -> tuple[int, dict]:
    doc = _customer(app, customerId)
    app.store.delete(CUSTOMER, str(doc["id"]))
    sequence = app.next_id()
    app.store.put(DELETED, f"{sequence:012d}", {"id": doc["id"], "_date": app.now()})
    app.emit("customer.deleted", doc["id"], {"customerEmail": doc["email"]})
    return 200, {"deleteCount": 1}


def deleted_customers(app: "EcwidSandbox", request: Request) -> tuple[int, dict]:
    offset, limit = _page_params(app, request, app.knobs.deleted_default_limit)
    low, high = _date_param(request, "from_date"), _date_param(request, "to_date")
    kept_since = app.now() - app.knobs.deleted_retention_days * 86_400
    entries = sorted(
        (
            entry
            for entry in app.store.all(DELETED)
            if entry["_date"] >= kept_since and _in_range(app, entry["_date"], low, high)
        ),
        key=lambda entry: (entry["_date"], entry["id"]),
    )
    page = _page(entries, offset, limit)
    page["items"] = [
        {"id": entry["id"], "date": records.format_date(entry["_date"])} for entry in page["items"]
    ]
    return 200, page


# --- customer groups --------------------------------------------------------------------------


def _group(app: "EcwidSandbox", group_id: str, *, writable: bool = False) -> dict:
    if group_id == "0" and not writable:
        return {"id": 0, "name": "General"}
    doc = app.store.get(GROUP, group_id) if group_id.isdigit() else None
    if doc is None:
        if group_id == "0":
            raise wrong_parameter("The General group cannot be changed")
        raise error(404, f"Customer group #{group_id} not found")
    return doc


def _group_name(body) -> str:
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise wrong_parameter("Customer group name is required")
    return name.strip()


def list_groups(app: "EcwidSandbox", request: Request) -> tuple[int, dict]:
    offset, limit = _page_params(app, request, app.knobs.max_limit)
    groups = [{"id": group_id, "name": name} for group_id, name in app.group_names().items()]
    return 200, _page(groups, offset, limit)


def get_group(app: "EcwidSandbox", request: Request, groupId: str) -> tuple[int, dict]:
    return 200, _group(app, groupId)


def create_group(app: "EcwidSandbox", request: Request) -> tuple[int, dict]:
    doc = {"id": app.next_id(), "name": _group_name(request.json())}
    app.store.put(GROUP, str(doc["id"]), doc)
    app.emit("customer_group.created", doc["id"], {"customerGroupName": doc["name"]})
    return 200, {"id": doc["id"]}


def update_group(app: "EcwidSandbox", request: Request, groupId: str) -> tuple[int, dict]:
    doc = _group(app, groupId, writable=True)
    doc["name"] = _group_name(request.json())
    app.store.put(GROUP, str(doc["id"]), doc)
    app.emit("customer_group.updated", doc["id"], {"customerGroupName": doc["name"]})
    return 200, {"updateCount": 1}


def delete_group(app: "EcwidSandbox", request: Request, groupId: str) -> tuple[int, dict]:
    doc = _group(app, groupId, writable=True)
    app.store.delete(GROUP, str(doc["id"]))
    now = app.now()
    for customer in app.store.all(CUSTOMER):  # members fall back to "General" [I]
        if customer.get("customerGroupId") == doc["id"]:
            customer["customerGroupId"], customer["_updated"] = 0, now
            app.store.put(CUSTOMER, str(customer["id"]), customer)
    app.emit("customer_group.deleted", doc["id"], {"customerGroupName": doc["name"]})
    return 200, {"deleteCount": 1}
