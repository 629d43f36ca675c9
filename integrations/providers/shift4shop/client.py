"""The Shift4Shop REST API's customers, one typed method per operation.

Lists are generators that fetch one page at a time (constant memory). Every call goes
through `Shift4ShopTransport` (auth headers, budget, retries, typed errors).
Reference: https://apirest.3dcart.com/v1/customers/ (docs/providers/shift4shop.md has the
facts relied on and what is inferred).

Offsets: production clients page from offset 1, while the customers help page shows 0, so
the first offset is a setting (`offset_base`, default 1). Asking past the last record is
answered with 400 `[{"Message": "Offset amount exceeds the total number of records"}]`;
exactly that answer means "no more customers" (also for an empty list), any other 400 is
an error.

`iter_customers` pages limit/offset over a list ordered by CustomerID [I], which it checks
and relies on: new customers get higher ids and land at the end, updates do not move
anyone, and deletions ahead of the reader shift the rest up. So each page overlaps the
previous one by a record, records at or below the last id seen are dropped, and when the
overlap record has moved up (deletions) the reader steps back a page: nothing is skipped or
repeated by our paging. A page whose ids are not increasing turns those checks off (plain
offsets, de-duplicated against the previous page) rather than dropping records. (The record
adapter pages through `customers_page` instead, with the shared cursor helpers.)
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from integrations.errors import ConfigError, NotFoundError, ValidationFailedError
from integrations.models import Connection
from integrations.providers.base import AccountInfo
from integrations.providers.shift4shop import auth
from integrations.providers.shift4shop.schemas import (
    Customer,
    CustomerGroup,
    CustomerInput,
    WriteResult,
)
from integrations.providers.shift4shop.transport import Shift4ShopTransport, messages

MAX_PAGE = 500  # the page cap [I]; a platform that cuts pages shorter is still read whole
DATE_FORMAT = "%m/%d/%Y %H:%M:%S"
DEFAULT_TIMEZONE = "America/New_York"  # the store clock `lastupdatestart` is read in [I]
# Our clock and the store's differ, and a customer changed while a read runs may be missed
# by it: incremental reads start this much before the cursor (the engine de-duplicates).
DEFAULT_OVERLAP = timedelta(minutes=1)
DEFAULT_OFFSET_BASE = 1  # the first record's offset, as production clients page [I]
PAST_THE_END = "Offset amount exceeds the total number of records"


def store_time(moment: datetime, timezone: str = DEFAULT_TIMEZONE) -> str:
    """An aware datetime as `mm/dd/yyyy hh:mm:ss` on the store's clock, floored to the second
    (never later than asked). In the repeated hour when daylight saving ends, the store may
    read the wall time as either occurrence, so it steps back an hour to cover both."""
    if moment.tzinfo is None:
        raise ValueError("updated_since must be timezone-aware.")
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    wall = local.replace(tzinfo=None)
    if (
        wall.replace(tzinfo=zone, fold=0).utcoffset()
        != wall.replace(tzinfo=zone, fold=1).utcoffset()
    ):
        wall -= timedelta(hours=1)
    return wall.strftime(DATE_FORMAT)


class Shift4ShopClient:
    def __init__(self, connection: Connection, **transport_options):
        self.connection = connection
        self.transport = Shift4ShopTransport(connection, **transport_options)

    @property
    def timezone(self) -> str:
        name = self.connection.settings.get("store_timezone") or DEFAULT_TIMEZONE
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ConfigError(
                f"“{name}” is not a time zone name (e.g. America/New_York)."
            ) from None
        return name

    @property
    def offset_base(self) -> int:
        value = self.connection.settings.get("offset_base", DEFAULT_OFFSET_BASE)
        if value not in (0, 1, "0", "1"):
            raise ConfigError(f"The offset base must be 0 or 1, not {value!r}.")
        return int(value)

    def _get(self, path: str, **params):
        return self.transport.request("GET", path, params=params or None)

    def _write(self, method: str, path: str, body=None) -> list[WriteResult]:
        answer = self.transport.request(method, path, write=True, json=body)
        items = answer if isinstance(answer, list) else [answer]
        return [WriteResult.model_validate(item) for item in items if isinstance(item, dict)]

    @staticmethod
    def _one(results: list[WriteResult]) -> WriteResult:
        """The status of a single write; a failure reported inside a 2xx answer is raised."""
        if not results:
            raise ValidationFailedError("Shift4Shop answered the write with no status.")
        result = results[0]
        if not result.ok:
            text = result.Message or f"status {result.Status}"
            if result.status_code == 404:
                raise NotFoundError(f"Shift4Shop: {text}", status=404)
            raise ValidationFailedError(
                f"Shift4Shop rejected the data: {text}",
                messages=messages([r.model_dump() for r in results]),
                status=result.status_code or None,
            )
        return result

    # --- connection check -----------------------------------------------------------------
    def check(self) -> AccountInfo:
        """One cheap call (the customer count) that only answers with valid credentials."""
        count = self.count_customers()
        secure_url = auth.store_credentials(self.connection).secure_url
        return AccountInfo(
            name=auth.store_host(secure_url),
            account_id=secure_url,
            details={"customers": count},
        )

    # --- customers ------------------------------------------------------------------------
    def _filters(self, updated_since: datetime | None, overlap: timedelta) -> dict:
        if updated_since is None:
            return {}
        return {"lastupdatestart": store_time(updated_since - overlap, self.timezone)}

    def count_customers(
        self, *, updated_since: datetime | None = None, overlap: timedelta = DEFAULT_OVERLAP
    ) -> int:
        answer = self._get("/Customers", countonly=1, **self._filters(updated_since, overlap))
        return int(answer.get("TotalCount", 0)) if isinstance(answer, dict) else 0

    def _page(self, params: dict) -> list[Customer]:
        """One page; `params["offset"]`, when given, counts from 0 (the base is added)."""
        if "offset" in params:
            params = {**params, "offset": params["offset"] + self.offset_base}
        try:
            answer = self._get("/Customers", **params)
        except NotFoundError:
            return []  # some stores answer an empty list with 404 [I]
        except ValidationFailedError as error:
            if error.status == 400 and [m.strip() for m in error.messages] == [PAST_THE_END]:
                return []  # asked past the last customer: the end of the list
            raise
        return [Customer.model_validate(item) for item in answer or []]

    def customers_page(
        self, *, offset: int, limit: int, changed_from: datetime | None = None
    ) -> list[Customer]:
        """One page of customers in the store's order: `offset` counts from 0, and
        `changed_from` (aware) is sent as is, already floored and with any overlap taken
        off by the caller. [] past the end."""
        limit = max(1, min(limit, MAX_PAGE))
        params = {"limit": limit, "offset": max(offset, 0)}
        if changed_from is not None:
            params["lastupdatestart"] = store_time(changed_from, self.timezone)
        return self._page(params)

    def iter_customers(
        self,
        *,
        updated_since: datetime | None = None,
        page_size: int | None = None,
        overlap: timedelta = DEFAULT_OVERLAP,
    ) -> Iterator[Customer]:
        """Every customer, or those changed since `updated_since` (aware datetime) less
        `overlap`. Records carry no timestamp, so the next cursor is the time this read
        *started*. Ends with one request that returns only the overlap record."""
        limit = max(2, min(page_size or MAX_PAGE, MAX_PAGE))  # the overlap needs two
        params = {"limit": limit, **self._filters(updated_since, overlap)}
        offset, last_id, previous, ordered = 0, None, set(), True
        while True:
            page = self._page({**params, "offset": offset})
            ids = [customer.CustomerID for customer in page]
            ordered = ordered and ids == sorted(set(ids))
            if ordered and last_id is not None and offset > 0 and (not ids or ids[0] > last_id):
                offset = max(0, offset - limit)  # deletions moved our place up: step back
                continue
            if ordered:
                fresh = [c for c in page if last_id is None or c.CustomerID > last_id]
            else:
                fresh = [c for c in page if c.CustomerID not in previous]
            yield from fresh
            if fresh:
                last_id = max(last_id or 0, *(c.CustomerID for c in fresh))
            previous = set(ids)
            if not fresh and len(page) < limit:
                return
            offset += max(len(page) - 1, 1)

    def get_customer(self, customer_id: int) -> Customer:
        answer = self._get(f"/Customers/{int(customer_id)}")
        items = answer if isinstance(answer, list) else [answer]
        if not items or not isinstance(items[0], dict) or "CustomerID" not in items[0]:
            raise NotFoundError(f"Shift4Shop has no customer {customer_id}.", status=404)
        return Customer.model_validate(items[0])

    def find_customer_by_email(self, email: str) -> Customer | None:
        """The customer with exactly this e-mail (case-insensitive), or None. After a create
        that timed out, this tells whether it happened."""
        page = self._page({"email": email.strip(), "limit": 2, "offset": 0})
        wanted = email.strip().lower()
        return next((c for c in page if (c.Email or "").strip().lower() == wanted), None)

    def search_customers(self, *, limit: int = MAX_PAGE, **filters: str) -> list[Customer]:
        """The first page of customers matching the list filters (`email`, `phone`, ...).
        The filters' matching rules are not documented: callers check what they get."""
        return self._page({**filters, "limit": max(1, min(limit, MAX_PAGE)), "offset": 0})

    def create_customer(self, data: CustomerInput) -> WriteResult:
        """POST /Customers; the answer holds only the new id (`result.customer_id`)."""
        body = data.payload()
        if not body.get("Email") or not body.get("Password"):
            raise ValidationFailedError(
                "Shift4Shop needs an Email and a Password to create a customer.",
                messages=["Email and Password are required."],
            )
        return self._one(self._write("POST", "/Customers", body))

    def update_customer(self, customer_id: int, data: CustomerInput) -> WriteResult:
        """PUT /Customers/{id}: only the fields set on `data` change."""
        return self._one(self._write("PUT", f"/Customers/{int(customer_id)}", data.payload()))

    def update_customers(self, changes: list[tuple[int, CustomerInput]]) -> list[WriteResult]:
        """PUT /Customers with an array: one status per customer, failures included (not
        raised), in the order given."""
        body = [{**data.payload(), "CustomerID": int(cid)} for cid, data in changes]
        return self._write("PUT", "/Customers", body) if body else []

    def delete_customer(self, customer_id: int) -> WriteResult:
        """DELETE /Customers/{id}: gone for good (there is no deleted-customers feed)."""
        return self._one(self._write("DELETE", f"/Customers/{int(customer_id)}"))

    # --- customer groups --------------------------------------------------------------------
    def list_customer_groups(self) -> list[CustomerGroup]:
        answer = self._get("/CustomerGroups")
        return [CustomerGroup.model_validate(item) for item in answer or []]

    def customers_in_group(self, group_id: int) -> list[Customer]:
        answer = self._get(f"/CustomerGroups/{int(group_id)}/Customers")
        return [Customer.model_validate(item) for item in answer or []]
