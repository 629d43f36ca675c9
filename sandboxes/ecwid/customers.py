"""The Ecwid REST handlers: store profile, customers, the deleted-customers log and
customer groups. Each takes (state, request, **route params) and returns (status, body); the
app has already checked the token, scopes and rate limit and holds the state's lock.
docs/providers/ecwid.md lists the facts they imitate."""

from sandboxes.ecwid import records
from sandboxes.ecwid.records import error, wrong_parameter
from sandboxes.ecwid.state import CUSTOMER, DELETED, GROUP, EcwidState
from sandboxes.kit.web import Request

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


def _page_params(state: EcwidState, request: Request, default: int) -> tuple[int, int]:
    offset = _int_param(request, "offset", 0)
    limit = _int_param(request, "limit", default)
    if limit > state.knobs.max_limit:
        if not state.knobs.clamp_limit:
            raise wrong_parameter(f"Limit must not be greater than {state.knobs.max_limit}")
        limit = state.knobs.max_limit
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


def _in_range(state: EcwidState, value: int, low: int | None, high: int | None) -> bool:
    if state.knobs.date_filters_inclusive:
        return (low is None or value >= low) and (high is None or value <= high)
    return (low is None or value > low) and (high is None or value < high)


def _date_param(request: Request, name: str) -> int | None:
    value = request.arg(name)
    return records.parse_date_param(name, value) if value else None


def _filter(state: EcwidState, request: Request):
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
            and _in_range(state, doc["_registered"], *created)
            and _in_range(state, doc["_updated"], *updated)
        )

    return matches


def _sort_key(request: Request):
    sort_by = request.arg("sortBy") or "NAME_ASC"
    field, _, direction = sort_by.rpartition("_")
    if field not in SORTS or direction not in ("ASC", "DESC"):
        raise wrong_parameter(f"Wrong sortBy parameter: {sort_by!r}")
    return SORTS[field], direction == "DESC"


def _customer(state: EcwidState, customer_id: str) -> dict:
    doc = state.store.get(CUSTOMER, customer_id) if customer_id.isdigit() else None
    if doc is None:
        raise error(404, f"Customer #{customer_id} not found", "CUSTOMER_NOT_FOUND")
    return doc


def _email_taken(state: EcwidState, email: str, exclude: int | None = None) -> None:
    for doc in state.store.all(CUSTOMER):
        if doc["email"].lower() == email.lower() and doc["id"] != exclude:
            raise error(
                409, "The customer with the given email already exists", "CONSTRAINT_VIOLATION"
            )


def profile(state: EcwidState, request: Request) -> tuple[int, dict]:
    creds = state.credentials
    return 200, {
        "generalInfo": {
            "storeId": creds["store_id"],
            "storeUrl": f"{state.base_url}/store/{creds['store_id']}",
            "starterSite": {"ecwidSubdomain": "sandbox-store"},
        },
        "account": {
            "accountName": creds["account_name"],
            "accountNickName": creds["account_name"].split()[0],
            "accountEmail": creds["account_email"],
        },
        "settings": {"storeName": creds["store_name"], "closed": False},
    }


def list_customers(state: EcwidState, request: Request) -> tuple[int, dict]:
    offset, limit = _page_params(state, request, state.knobs.default_limit)
    key, reverse = _sort_key(request)
    matches = _filter(state, request)
    matched = sorted(
        (doc for doc in state.store.all(CUSTOMER) if matches(doc)),
        key=key,
        reverse=reverse,
    )
    page = _page(matched, offset, limit)
    names = state.group_names()
    page["items"] = [records.customer_out(doc, names) for doc in page["items"]]
    return 200, page


def get_customer(state: EcwidState, request: Request, customerId: str) -> tuple[int, dict]:
    return 200, records.customer_out(_customer(state, customerId), state.group_names())


def create_customer(state: EcwidState, request: Request, body=None) -> tuple[int, dict]:
    now = state.now()
    doc = records.apply_input(
        records.new_customer(state.next_id(), now),
        request.json() if body is None else body,
        creating=True,
        group_ids=set(state.group_names()),
        next_id=state.next_id,
        now=now,
        merge_billing=state.knobs.merge_billing_person,
    )
    _email_taken(state, doc["email"])
    state.store.put(CUSTOMER, str(doc["id"]), doc)
    state.emit("customer.created", doc["id"], {"customerEmail": doc["email"]})
    return 200, {"id": doc["id"]}


def update_customer(
    state: EcwidState, request: Request, customerId: str, body=None
) -> tuple[int, dict]:
    doc = _customer(state, customerId)
    now = state.now()
    doc = records.apply_input(
        doc,
        request.json() if body is None else body,
        creating=False,
        group_ids=set(state.group_names()),
        next_id=state.next_id,
        now=now,
        merge_billing=state.knobs.merge_billing_person,
    )
    _email_taken(state, doc["email"], exclude=doc["id"])
    doc["_updated"] = now
    state.store.put(CUSTOMER, str(doc["id"]), doc)
    state.emit("customer.updated", doc["id"], {"customerEmail": doc["email"]})
    return 200, {"updateCount": 1}


def delete_customer(state: EcwidState, request: Request, customerId: str) -> tuple[int, dict]:
    doc = _customer(state, customerId)
    state.store.delete(CUSTOMER, str(doc["id"]))
    sequence = state.next_id()
    state.store.put(DELETED, f"{sequence:012d}", {"id": doc["id"], "_date": state.now()})
    state.emit("customer.deleted", doc["id"], {"customerEmail": doc["email"]})
    return 200, {"deleteCount": 1}


def deleted_customers(state: EcwidState, request: Request) -> tuple[int, dict]:
    offset, limit = _page_params(state, request, state.knobs.deleted_default_limit)
    low, high = _date_param(request, "from_date"), _date_param(request, "to_date")
    kept_since = state.now() - state.knobs.deleted_retention_days * 86_400
    entries = sorted(
        (
            entry
            for entry in state.store.all(DELETED)
            if entry["_date"] >= kept_since and _in_range(state, entry["_date"], low, high)
        ),
        key=lambda entry: (entry["_date"], entry["id"]),
    )
    page = _page(entries, offset, limit)
    page["items"] = [
        {"id": entry["id"], "date": records.format_date(entry["_date"])} for entry in page["items"]
    ]
    return 200, page


# --- customer groups --------------------------------------------------------------------------


def _group(state: EcwidState, group_id: str, *, writable: bool = False) -> dict:
    if group_id == "0" and not writable:
        return {"id": 0, "name": "General"}
    doc = state.store.get(GROUP, group_id) if group_id.isdigit() else None
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


def list_groups(state: EcwidState, request: Request) -> tuple[int, dict]:
    offset, limit = _page_params(state, request, state.knobs.max_limit)
    groups = [{"id": group_id, "name": name} for group_id, name in state.group_names().items()]
    return 200, _page(groups, offset, limit)


def get_group(state: EcwidState, request: Request, groupId: str) -> tuple[int, dict]:
    return 200, _group(state, groupId)


def create_group(state: EcwidState, request: Request) -> tuple[int, dict]:
    doc = {"id": state.next_id(), "name": _group_name(request.json())}
    state.store.put(GROUP, str(doc["id"]), doc)
    state.emit("customer_group.created", doc["id"], {"customerGroupName": doc["name"]})
    return 200, {"id": doc["id"]}


def _touch_members(state: EcwidState, group_id: int, *, new_group: int | None = None) -> None:
    """Ecwid moves a customer's `updated` whenever the customer's group changes in any way
    (renamed, deleted, or the customer moved): pollers then see those customers."""
    now = state.now()
    for customer in state.store.all(CUSTOMER):
        if customer.get("customerGroupId") == group_id:
            if new_group is not None:
                customer["customerGroupId"] = new_group
            customer["_updated"] = now
            state.store.put(CUSTOMER, str(customer["id"]), customer)


def update_group(state: EcwidState, request: Request, groupId: str) -> tuple[int, dict]:
    doc = _group(state, groupId, writable=True)
    name = _group_name(request.json())
    if name != doc["name"]:
        doc["name"] = name
        state.store.put(GROUP, str(doc["id"]), doc)
        _touch_members(state, doc["id"])
    state.emit("customer_group.updated", doc["id"], {"customerGroupName": doc["name"]})
    return 200, {"updateCount": 1}


def delete_group(state: EcwidState, request: Request, groupId: str) -> tuple[int, dict]:
    doc = _group(state, groupId, writable=True)
    state.store.delete(GROUP, str(doc["id"]))
    _touch_members(state, doc["id"], new_group=0)  # members fall back to "General" [I]
    state.emit("customer_group.deleted", doc["id"], {"customerGroupName": doc["name"]})
    return 200, {"deleteCount": 1}
