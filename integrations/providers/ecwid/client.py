"""The Ecwid REST API v3 for customers, one typed method per operation.

Lists are generators that fetch one page at a time. Facts relied on: docs/providers/ecwid.md
(Ecwid API docs, customers reference).

Paging while records change: Ecwid pages by offset, and offset paging over a set that
changes under it skips rows (a record that moves out of an earlier page shifts every later
one down). `iter_customers` therefore sorts by `UPDATED_DATE_ASC` and, after each page,
re-anchors the next query at the last `updated` second seen (`updatedFrom`, minus one
second of overlap in case Ecwid's bounds are exclusive) instead of moving the offset on.
Records changed behind the anchor move ahead of it and are read again; nothing ahead of it
shifts. Records already yielded in the overlap (same id and `updated`) are skipped.
What Ecwid cannot give: `updated` has one-second precision, so
- a record changed twice within one second is yielded once, with its later state;
- when more than a page of records share one second, those are paged by offset within that
  second, where a change in the middle of it can still shift one record past us;
- at the cursor boundary a record may be yielded again by the next run (at-least-once):
  callers de-duplicate on (id, updated) and keep max(customer.updated_at) as their cursor,
  Ecwid's own clock rather than ours.
"""

import math
from collections.abc import Iterator
from datetime import datetime

from integrations.errors import ConfigError, NotFoundError
from integrations.models import Connection
from integrations.providers.base import AccountInfo
from integrations.providers.ecwid.schemas import (
    Customer,
    CustomerGroup,
    CustomerInput,
    DeletedCustomer,
    parse_date,
)
from integrations.providers.ecwid.transport import EcwidTransport

MAX_PAGE = 100  # Ecwid's cap on `limit` for every list
OVERLAP_SECONDS = 1


def _unix(moment: datetime, name: str) -> int:
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A naive datetime would be read in the server's zone: hours of skipped changes.
        raise ConfigError(f"{name} must be timezone-aware (got {moment.isoformat()}).")
    return math.floor(moment.timestamp())


def _page_size(page_size: int | None) -> int:
    if page_size is None:
        return MAX_PAGE
    if page_size < 1:
        raise ConfigError("page_size must be at least 1.")
    return min(page_size, MAX_PAGE)


class EcwidClient:
    def __init__(self, connection: Connection, **transport_options):
        self.transport = EcwidTransport(connection, **transport_options)

    def _get(self, path: str, **params) -> dict:
        return self.transport.request("GET", path, params=params or None)

    def _write(self, method: str, path: str, body: dict | None = None) -> dict:
        return self.transport.request(method, path, write=True, json=body)

    # --- connection check ---------------------------------------------------------------------
    def check(self) -> AccountInfo:
        """The store's name from its profile, then one customer read (proves read_customers,
        which the profile alone would not)."""
        profile = self._get("/profile")
        customers = self._get("/customers", limit=1)
        settings, general = profile.get("settings") or {}, profile.get("generalInfo") or {}
        account = profile.get("account") or {}
        return AccountInfo(
            name=settings.get("storeName") or account.get("accountName") or "Ecwid store",
            account_id=str(general.get("storeId") or ""),
            details={
                "store_url": general.get("storeUrl", ""),
                "account_email": account.get("accountEmail", ""),
                "customers": customers.get("total"),
            },
        )

    # --- customers ----------------------------------------------------------------------------
    def get_customer(self, customer_id: int | str) -> Customer:
        return Customer.model_validate(self._get(f"/customers/{int(customer_id)}"))

    def create_customer(self, data: CustomerInput) -> int:
        """Create and return the new customer's id (Ecwid answers with the id only).
        An e-mail another customer has is refused (409 → ValidationFailedError)."""
        body = data.payload()
        if not body.get("email"):
            raise ConfigError("Ecwid needs an e-mail address to create a customer.")
        return int(self._write("POST", "/customers", body)["id"])

    def update_customer(self, customer_id: int | str, data: CustomerInput) -> None:
        """Change the fields set on `data` (see CustomerInput for the replace-whole rules)."""
        answer = self._write("PUT", f"/customers/{int(customer_id)}", data.payload())
        if answer.get("updateCount") == 0:
            raise NotFoundError(f"Ecwid updated no customer #{customer_id}.")

    def delete_customer(self, customer_id: int | str) -> None:
        """Delete for good (Ecwid has no deactivation); it then appears in the deleted feed."""
        answer = self._write("DELETE", f"/customers/{int(customer_id)}")
        if answer.get("deleteCount") == 0:
            raise NotFoundError(f"Ecwid deleted no customer #{customer_id}.")

    def customers_page(
        self, *, updated_from: datetime | None, offset: int, page_size: int | None = None
    ) -> list[Customer]:
        """One page of customers updated at or after `updated_from` (all when None), oldest
        change first: the page the record adapter's cursor scan asks for.
        Reference: https://docs.ecwid.com/api-reference/rest-api/customers/search-customers"""
        params = {"sortBy": "UPDATED_DATE_ASC", "limit": _page_size(page_size), "offset": offset}
        if updated_from is not None:
            params["updatedFrom"] = _unix(updated_from, "updated_from")
        items = self._get("/customers", **params).get("items") or []
        return [Customer.model_validate(item) for item in items]

    def customers_by_email(self, email: str) -> list[Customer]:
        """Customers whose e-mail is exactly `email` (Ecwid keeps e-mails unique per store).
        Reference: https://docs.ecwid.com/api-reference/rest-api/customers/search-customers"""
        items = self._get("/customers", email=email, limit=MAX_PAGE).get("items") or []
        return [Customer.model_validate(item) for item in items]

    def deleted_customers_page(
        self, *, since: datetime | None, offset: int, page_size: int | None = None
    ) -> list[DeletedCustomer]:
        """One page of the deleted-customers log from `since` (all when None), oldest first.
        Reference: https://docs.ecwid.com/api-reference/rest-api/customers/get-deleted-customers"""
        params = {"limit": _page_size(page_size), "offset": offset}
        if since is not None:
            params["from_date"] = _unix(since, "since")
        items = self._get("/customers/deleted", **params).get("items") or []
        return [DeletedCustomer.model_validate(item) for item in items]

    def iter_customers(
        self, *, updated_since: datetime | None = None, page_size: int | None = None
    ) -> Iterator[Customer]:
        """Every customer (or those updated at or after `updated_since`), oldest change
        first, one page at a time; see the module docstring for the paging guarantees."""
        limit = _page_size(page_size)
        window = None
        if updated_since is not None:
            window = _unix(updated_since, "updated_since") - OVERLAP_SECONDS
        offset = 0
        seen: dict[tuple[int, str], int] = {}  # (id, updated) → updated second, in the window
        while True:
            params = {"sortBy": "UPDATED_DATE_ASC", "limit": limit, "offset": offset}
            if window is not None:
                params["updatedFrom"] = window
            items = self._get("/customers", **params).get("items") or []
            for item in items:
                customer = Customer.model_validate(item)
                key = (customer.id, customer.updated or "")
                if key in seen:
                    continue
                seen[key] = _second(customer.updated)
                yield customer
            if len(items) < limit:
                return
            anchor = _second(items[-1].get("updated")) - OVERLAP_SECONDS
            if window is None or anchor > window:
                window, offset = anchor, 0
                seen = {key: second for key, second in seen.items() if second >= window}
            else:  # a whole page within one second: only the offset can move on
                offset += len(items)

    def iter_deleted_customers(
        self, since: datetime, *, until: datetime | None = None, page_size: int | None = None
    ) -> Iterator[DeletedCustomer]:
        """Customers deleted at or after `since` (Ecwid keeps about six months), oldest first.
        The log only grows at its end, so offset paging over a fixed `from_date` is safe."""
        limit = _page_size(page_size)
        params = {"from_date": _unix(since, "since"), "limit": limit, "offset": 0}
        if until is not None:
            params["to_date"] = _unix(until, "until")
        while True:
            items = self._get("/customers/deleted", **params).get("items") or []
            yield from (DeletedCustomer.model_validate(item) for item in items)
            if len(items) < limit:
                return
            params["offset"] += len(items)

    # --- customer groups ----------------------------------------------------------------------
    def iter_customer_groups(self) -> Iterator[CustomerGroup]:
        """Every group, including "General" (id 0) that customers without a group are in."""
        offset = 0
        while True:
            page = self._get("/customer_groups", limit=MAX_PAGE, offset=offset)
            items = page.get("items") or []
            yield from (CustomerGroup.model_validate(item) for item in items)
            offset += len(items)
            if len(items) < MAX_PAGE:
                return

    def get_customer_group(self, group_id: int | str) -> CustomerGroup:
        return CustomerGroup.model_validate(self._get(f"/customer_groups/{int(group_id)}"))

    def create_customer_group(self, name: str) -> int:
        return int(self._write("POST", "/customer_groups", {"name": name})["id"])

    def rename_customer_group(self, group_id: int | str, name: str) -> None:
        self._write("PUT", f"/customer_groups/{int(group_id)}", {"name": name})

    def delete_customer_group(self, group_id: int | str) -> None:
        self._write("DELETE", f"/customer_groups/{int(group_id)}")


def _second(value: str | None) -> int:
    moment = parse_date(value)
    return math.floor(moment.timestamp()) if moment else 0
