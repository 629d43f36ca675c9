"""Listing and searching contacts.

GET /contacts/ (deprecated, still used): keyset paging. Sorted by dateAdded descending
unless `sortBy=date_updated` and/or `order=asc`; `startAfter` (epoch ms) + `startAfterId`
continue strictly after that record. `meta` always carries the cursor of the page's last
record (and a nextPageUrl built from it), so clients stop on a short or empty page, or once
they hold `meta.total` records.

POST /contacts/search: `page`/`pageLimit` (pageLimit required, at most
Config.search_max_page_limit; page * pageLimit at most Config.search_max_window) or a
`searchAfter` cursor; see filters.py for `filters`. `sort` is one {field, direction}:
dateAdded (the default, desc), dateUpdated, firstName(LowerCase), lastName(LowerCase),
email or companyName, ties broken by id. Records carry `searchAfter`: [sort value, id]
(epoch ms for dates, the lower-cased text otherwise), the cursor for the next page.

Paging works on the location's sorted (value, id) keys, so a page is a bisect and a slice;
records are only serialised for the page returned."""

from bisect import bisect_left, bisect_right
from urllib.parse import urlencode

from sandboxes.highlevel import errors
from sandboxes.highlevel import serializers as out
from sandboxes.highlevel.context import Ctx
from sandboxes.highlevel.filters import compile_filters, matches_query
from sandboxes.highlevel.validation import Checks, normalise_phone

LIST_SORTS = {"date_added": "dateAdded", "date_updated": "dateUpdated"}
STRING_SORTS = {
    "firstName": "firstName",
    "firstNameLowerCase": "firstName",
    "lastName": "lastName",
    "lastNameLowerCase": "lastName",
    "email": "email",
    "companyName": "companyName",
}
HIGHEST = "\U0010ffff"


def page_of(keys: list[tuple], ascending: bool, limit: int, *, cursor=None, offset: int = 0):
    """(page keys in order, number of keys before the page) from ascending `keys`."""
    total = len(keys)
    if cursor is not None:
        if ascending:
            start = bisect_right(keys, cursor)
            return keys[start : start + limit], start
        end = bisect_left(keys, cursor)
        return keys[max(0, end - limit) : end][::-1], total - end
    if ascending:
        return keys[offset : offset + limit], offset
    end = max(0, total - offset)
    return keys[max(0, end - limit) : end][::-1], offset


def _number(checks: Checks, name: str, value: str | None, default: int, low: int, high: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(float(value))
    except ValueError:
        checks.errors.append(f"{name} must be a number conforming to the specified constraints")
        return default
    if number < low:
        checks.errors.append(f"{name} must not be less than {low}")
    elif number > high:
        checks.errors.append(f"{name} must not be greater than {high}")
    return number


def list_contacts(ctx: Ctx):
    checks = Checks({"locationId": ctx.arg("locationId")}, strict=False)
    location_id = checks.string("locationId", required=True)
    limit = _number(checks, "limit", ctx.arg("limit"), 20, 1, 100)
    sort_by = ctx.arg("sortBy") or "date_added"
    order = ctx.arg("order") or "desc"
    if sort_by not in LIST_SORTS:
        checks.errors.append("sortBy must be one of the following values: date_added, date_updated")
    if order not in ("asc", "desc"):
        checks.errors.append("order must be one of the following values: asc, desc")
    start_after = ctx.arg("startAfter")
    start_after_id = ctx.arg("startAfterId")
    if start_after not in (None, "") and not start_after.isdigit():
        checks.errors.append("startAfter must be a number conforming to the specified constraints")
    checks.done()
    ctx.check_location(location_id)
    field = LIST_SORTS[sort_by]
    keys = ctx.data.keys(location_id, field)
    query = (ctx.arg("query") or "").strip()
    if query:
        keys = [key for key in keys if matches_query(ctx.data.contacts[key[1]], query)]
    cursor = None
    if start_after:
        cursor = (int(start_after), start_after_id or ("" if order == "desc" else HIGHEST))
    elif start_after_id:
        anchor = ctx.data.contact_in(location_id, start_after_id)
        if anchor is None:
            raise errors.unprocessable(
                ["startAfterId must be the id of a contact of this location"]
            )
        cursor = next(key for key in ctx.data.keys(location_id, field) if key[1] == start_after_id)
    page, before = page_of(keys, order == "asc", limit, cursor=cursor)
    contacts = [ctx.data.contacts[key[1]] for key in page]
    current = before // limit + 1
    meta = {
        "total": len(keys),
        "currentPage": current,
        "prevPage": current - 1 if current > 1 else None,
    }
    if page:
        last_ms, last_id = page[-1]
        params = {"locationId": location_id, "startAfter": last_ms, "startAfterId": last_id}
        for name in ("limit", "query", "sortBy", "order"):
            if ctx.arg(name):
                params[name] = ctx.arg(name)
        meta.update(
            startAfterId=last_id,
            startAfter=last_ms,
            nextPage=current + 1,
            nextPageUrl=f"{ctx.app.base_url}/contacts/?{urlencode(params)}",
        )
    items = [out.list_item(contact, ctx.version, ctx.native) for contact in contacts]
    return 200, {"contacts": items, "count": len(keys), "meta": meta}


def _sort_keys(ctx: Ctx, location_id: str, field: str) -> list[tuple]:
    """Ascending (value, id) keys: the kept index for dates, built for name/e-mail sorts
    (lower-cased, unset as "")."""
    if field in LIST_SORTS.values():
        return ctx.data.keys(location_id, field)
    source = STRING_SORTS[field]
    return sorted(
        ((contact.get(source) or "").lower(), contact["id"])
        for contact in ctx.data.contacts.values()
        if contact["locationId"] == location_id
    )


def search_contacts(ctx: Ctx):
    allowed = {"locationId", "page", "pageLimit", "query", "sort", "searchAfter", "filters"}
    checks = Checks(ctx.body(), allowed=allowed, strict=ctx.config.strict_properties)
    location_id = checks.string("locationId", required=True)
    limit = checks.integer(
        "pageLimit", required=True, minimum=1, maximum=ctx.config.search_max_page_limit
    )
    page = checks.integer("page", minimum=1) or 1
    query = checks.string("query") or ""
    body = checks.body
    sort = body.get("sort") or [{"field": "dateAdded", "direction": "desc"}]
    field, direction = "dateAdded", "desc"
    if not isinstance(sort, list) or len(sort) != 1 or not isinstance(sort[0], dict):
        checks.errors.append("sort must be an array of one {field, direction} object")
    else:
        field, direction = sort[0].get("field"), sort[0].get("direction", "desc")
        if field not in (*LIST_SORTS.values(), *STRING_SORTS):
            names = ", ".join([*LIST_SORTS.values(), *STRING_SORTS])
            checks.errors.append(f"sort.0.field must be one of the following values: {names}")
        if direction not in ("asc", "desc"):
            checks.errors.append("sort.0.direction must be one of the following values: asc, desc")
    search_after = body.get("searchAfter")
    if search_after is not None and (
        not isinstance(search_after, list)
        or len(search_after) != 2
        or not isinstance(search_after[1], str)
    ):
        checks.errors.append("searchAfter must be an array of [sort value, id]")
    if search_after is not None and page > 1:
        checks.errors.append("page must not be used together with searchAfter")
    predicate = compile_filters(body.get("filters"), checks.errors)
    if limit and not search_after and page * limit > ctx.config.search_max_window:
        window = ctx.config.search_max_window
        checks.errors.append(
            f"page * pageLimit must not be greater than {window}: use searchAfter to go further"
        )
    checks.done()
    ctx.check_location(location_id)
    keys = _sort_keys(ctx, location_id, field)
    if predicate is not None or query:
        contacts = ctx.data.contacts
        keys = [
            key
            for key in keys
            if (predicate is None or predicate(contacts[key[1]]))
            and (not query or matches_query(contacts[key[1]], query))
        ]
    cursor = None
    if search_after is not None:
        value = search_after[0]
        if field in LIST_SORTS.values():
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise errors.unprocessable(["searchAfter.0 must be epoch milliseconds"]) from None
        cursor = (str(value).lower() if field in STRING_SORTS else value, search_after[1])
    chosen, _ = page_of(keys, direction == "asc", limit, cursor=cursor, offset=(page - 1) * limit)
    records = []
    for value, contact_id in chosen:
        contact = ctx.data.contacts[contact_id]
        business = ctx.data.businesses.get(contact.get("businessId") or "")
        records.append(
            out.search_record(
                contact, ctx.version, ctx.native, [value, contact_id], business and business["name"]
            )
        )
    return 200, {"contacts": records, "total": len(keys)}


def duplicate(ctx: Ctx):
    """GET /contacts/search/duplicate: the location's unique identifiers in priority order."""
    checks = Checks({"locationId": ctx.arg("locationId")}, strict=False)
    location_id = checks.string("locationId", required=True)
    checks.done()
    ctx.check_location(location_id)
    wanted = {
        "email": (ctx.arg("email") or "").strip(),
        "phone": normalise_phone(ctx.arg("number") or ""),
    }
    for field in ctx.config.duplicate_priority:
        if wanted[field]:
            match = ctx.data.matching(location_id, field, wanted[field])
            if match is not None:
                return 200, {
                    "contact": out.contact_out(match, ctx.version, ctx.native),
                    "matchingField": field,
                }
    return 200, {"contact": None}


def by_business(ctx: Ctx, businessId: str):
    """GET /contacts/business/{businessId}: skip/limit are strings; newest first."""
    checks = Checks({"locationId": ctx.arg("locationId")}, strict=False)
    location_id = checks.string("locationId", required=True)
    limit = _number(checks, "limit", ctx.arg("limit"), 25, 1, 100)
    skip = _number(checks, "skip", ctx.arg("skip"), 0, 0, 10**9)
    checks.done()
    ctx.check_location(location_id)
    query = (ctx.arg("query") or "").strip()
    contacts = ctx.data.contacts
    keys = [
        key
        for key in ctx.data.keys(location_id, "dateAdded")
        if contacts[key[1]].get("businessId") == businessId
        and (not query or matches_query(contacts[key[1]], query))
    ]
    start_after = ctx.request.query.get("startAfter") or []
    if len(start_after) == 1 and "," in start_after[0]:
        start_after = start_after[0].split(",", 1)
    cursor = (
        (int(start_after[0]), start_after[1])
        if len(start_after) == 2 and start_after[0].isdigit()
        else None
    )
    page, _ = page_of(keys, False, limit, cursor=cursor, offset=skip)
    items = [out.list_item(contacts[key[1]], ctx.version, ctx.native) for key in page]
    return 200, {"contacts": items, "count": len(keys)}
