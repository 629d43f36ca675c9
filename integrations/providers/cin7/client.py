"""The Cin7 Core customer API, one typed method per operation.

Lists are generators that fetch one page at a time (constant memory). Every call goes
through `Cin7Transport` (headers, the account's 60 calls/minute budget, retries, errors).

Paging and what Cin7 cannot guarantee: `/customer` pages by Page/Limit (an offset), and its
order is not documented. Reads ask for `IncludeDeprecated=true`, so deactivating a customer
never removes it from the list mid-read; a customer created mid-read that sorts before the
current page pushes the page boundary one place on, and the record that moves across it is
recognised and skipped (the previous page's IDs are kept). A rename during the read can still
move a customer across the boundary in the other direction, where no client can see it; its
new LastModifiedOn brings it back in the next incremental read.
Sources: docs/providers/cin7.md.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from integrations.errors import ConfigError, NotFoundError, PermanentError
from integrations.models import Connection
from integrations.providers.base import AccountInfo
from integrations.providers.cin7 import auth
from integrations.providers.cin7.schemas import Customer, CustomerInput, Webhook, WebhookInput
from integrations.providers.cin7.transport import Cin7Transport

MAX_PAGE = 1000  # Limit's documented maximum
# ModifiedSince is sent this much earlier than asked: Cin7 documents neither whether the
# bound is inclusive nor its precision, so a record at the boundary comes twice rather than
# never. The adapter's cursor (adapters.Cin7Cursor) adds its own overlap and skips records
# it has already read.
MODIFIED_SINCE_OVERLAP = timedelta(seconds=1)
# What POST /customer requires (the 2025 schema: Name, Status and these five), each filled
# from the connection's setting when the payload leaves it out. PriceTier is optional: filled
# when the setting is there. `default_*` keys are read too (the setting names before).
CREATE_SETTINGS = {
    "Currency": "currency",
    "PaymentTerm": "payment_term",
    "AccountReceivable": "account_receivable",
    "RevenueAccount": "revenue_account",
    "TaxRule": "tax_rule",
}
OPTIONAL_SETTINGS = {"PriceTier": "price_tier"}


def setting(connection: Connection, key: str) -> str:
    settings = connection.settings or {}
    return str(settings.get(key) or settings.get(f"default_{key}") or "").strip()


def creation_body(connection: Connection, body: dict) -> dict:
    """`body` with every field Cin7 requires on create: Status "Active" and the connection's
    settings for the rest. Raises ConfigError naming what neither gives (before any call)."""
    body = dict(body)
    if not body.get("Status"):
        body["Status"] = "Active"
    if not (body.get("Name") or "").strip():
        raise ConfigError("A new Cin7 Core customer needs a Name (unique in the account).")
    missing = []
    for field, key in {**CREATE_SETTINGS, **OPTIONAL_SETTINGS}.items():
        if body.get(field):
            continue
        if value := setting(connection, key):
            body[field] = value
        elif field in CREATE_SETTINGS:
            missing.append(key)
    if missing:
        fields = ", ".join(f for f, key in CREATE_SETTINGS.items() if key in missing)
        raise ConfigError(
            f"Cin7 Core requires {fields} on every new customer: "
            f"set {', '.join(missing)} in the settings of connection "
            f"“{connection.name}” (or map the field)."
        )
    return body


def modified_since_param(moment: datetime) -> str:
    """UTC in Cin7's documented form, yyyy-MM-ddTHH:mm:ss.fff, without an offset: a "Z" is
    read by .NET servers as local time, which is the classic off-by-hours bug."""
    if moment.tzinfo is None:
        raise ConfigError("updated_since must be a timezone-aware datetime (UTC is safest).")
    utc = (moment - MODIFIED_SINCE_OVERLAP).astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}"


class Cin7Client:
    def __init__(self, connection: Connection, **transport_options):
        self.connection = connection
        self.transport = Cin7Transport(connection, **transport_options)

    def _get(self, path: str, **params) -> dict:
        return self.transport.request("GET", path, params=params or None)

    def _write(self, method: str, path: str, body: dict | None = None, **params) -> dict:
        return self.transport.request(method, path, write=True, json=body, params=params or None)

    @staticmethod
    def _only(envelope: dict) -> Customer:
        customers = envelope.get("CustomerList") or []
        if not customers:
            raise PermanentError("Cin7 Core answered a write without the customer it wrote.")
        return Customer.model_validate(customers[0])

    # --- account ------------------------------------------------------------------------------
    def check(self) -> AccountInfo:
        """GET /me: the cheapest call that proves both headers are right."""
        me = self._get("/me")
        details = {
            key: me[name]
            for key, name in (("currency", "Currency"), ("time_zone", "TimeZone"))
            if me.get(name)
        }
        if any(not setting(self.connection, key) for key in CREATE_SETTINGS.values()):
            # Settings for new customers still to choose: offer the account's defaults.
            suggested = self.account_defaults()
            details.update(
                {
                    f"suggested_{key}": value
                    for key, value in suggested.items()
                    if not setting(self.connection, key)
                }
            )
        return AccountInfo(
            name=str(me.get("Company") or ""),
            account_id=auth.account_id(self.connection),
            details=details,
        )

    def account_defaults(self) -> dict[str, str]:
        """What to offer for the connection's new-customer settings, read from the account:
        its base currency (GET /me), its default payment term, its first active sales tax
        rule and its receivable and revenue accounts (GET /ref/paymentterm, /ref/tax,
        /ref/account). Four calls; keys are the setting keys; a list without a fitting item
        gives no suggestion."""
        found: dict[str, str] = {}
        if currency := self._get("/me").get("Currency"):
            found["currency"] = str(currency)
        terms = [t for t in self._ref("/ref/paymentterm", "PaymentTermList") if t.get("IsActive")]
        term = next((t for t in terms if t.get("IsDefault")), terms[0] if terms else None)
        taxes = [
            t
            for t in self._ref("/ref/tax", "TaxRuleList")
            if t.get("IsActive") and t.get("IsTaxForSale")
        ]
        accounts = [
            a
            for a in self._ref("/ref/account", "AccountsList")
            if str(a.get("Status") or "ACTIVE").upper() == "ACTIVE"
        ]
        receivable = next((a for a in accounts if a.get("SystemAccount") == "DEBTORS"), None)
        revenue = next(
            (a for a in accounts if a.get("SystemAccount") == "SALES"),
            next((a for a in accounts if a.get("Class") == "REVENUE"), None),
        )
        for key, item, name in (
            ("payment_term", term, "Name"),
            ("tax_rule", taxes[0] if taxes else None, "Name"),
            ("account_receivable", receivable, "Code"),
            ("revenue_account", revenue, "Code"),
        ):
            if item and item.get(name):
                found[key] = str(item[name])
        return found

    def _ref(self, path: str, key: str) -> list[dict]:
        items = self._get(path, Limit=MAX_PAGE).get(key) or []
        return [item for item in items if isinstance(item, dict)]

    # --- customers ----------------------------------------------------------------------------
    def iter_customers(
        self,
        *,
        updated_since: datetime | None = None,
        page_size: int | None = None,
        include_deprecated: bool = True,
    ) -> Iterator[Customer]:
        """Every customer (or those modified since `updated_since`), one page at a time.
        Deactivated ("Deprecated") customers are included unless asked otherwise, so a sync
        sees deactivations as changes."""
        limit = min(page_size or MAX_PAGE, MAX_PAGE)
        if limit < 1:
            raise ConfigError("page_size must be at least 1.")
        params: dict = {"Limit": limit, "IncludeDeprecated": str(include_deprecated).lower()}
        if updated_since is not None:
            params["ModifiedSince"] = modified_since_param(updated_since)
        yield from self._pages(params, limit)

    def search_customers(
        self, *, name: str | None = None, contact: str | None = None, page_size: int = 100
    ) -> Iterator[Customer]:
        """`name`: customers whose Name starts with it; `contact`: whose contact name starts
        with it or whose contact e-mail equals it (matching by e-mail)."""
        limit = min(max(page_size, 1), MAX_PAGE)
        params: dict = {"Limit": limit, "IncludeDeprecated": "true"}
        if name:
            params["Name"] = name
        if contact:
            params["ContactFilter"] = contact
        yield from self._pages(params, limit)

    def customer_page(
        self,
        page: int,
        limit: int,
        *,
        updated_since: datetime | None = None,
        include_deprecated: bool = True,
    ) -> tuple[list[Customer], int]:
        """One page of GET /customer (Page counts from 1) and the Total Cin7 reports."""
        if not 1 <= limit <= MAX_PAGE:
            raise ConfigError(f"page_size must be between 1 and {MAX_PAGE}.")
        params: dict = {
            "Page": page,
            "Limit": limit,
            "IncludeDeprecated": str(include_deprecated).lower(),
        }
        if updated_since is not None:
            params["ModifiedSince"] = modified_since_param(updated_since)
        envelope = self._get("/customer", **params)
        items = envelope.get("CustomerList") or []
        return [Customer.model_validate(i) for i in items], int(envelope.get("Total") or 0)

    def _pages(self, params: dict, limit: int) -> Iterator[Customer]:
        page, expected, previous_ids = 1, limit, set()
        while True:
            envelope = self._get("/customer", **params, Page=page)
            items = envelope.get("CustomerList") or []
            total = int(envelope.get("Total") or 0)
            ids = [str(item.get("ID")) for item in items]
            if page > 1 and items and set(ids) <= previous_ids:
                raise PermanentError(
                    f"Cin7 Core answered page {page} with the records of page {page - 1}; "
                    "stopping rather than reading the same page forever."
                )
            for item_id, item in zip(ids, items, strict=True):
                if item_id not in previous_ids:  # moved across the boundary: already seen
                    yield Customer.model_validate(item)
            if page == 1 and 0 < len(items) < limit and total > len(items):
                expected = len(items)  # Cin7 caps pages below what we asked: follow its size
            if not items or len(items) < expected or page * expected >= total:
                return
            previous_ids = set(ids)
            page += 1

    def get_customer(self, customer_id: str) -> Customer:
        # Without IncludeDeprecated a deactivated customer is filtered out even by ID.
        envelope = self._get("/customer", ID=customer_id, IncludeDeprecated="true")
        customers = envelope.get("CustomerList") or []
        if not customers:
            raise NotFoundError(f"Cin7 Core has no customer {customer_id}.")
        return Customer.model_validate(customers[0])

    def create_customer(self, data: CustomerInput) -> Customer:
        """POST /customer with all seven fields Cin7 requires: what the input leaves out comes
        from the connection's settings (`creation_body`), Status from "Active"."""
        body = creation_body(self.connection, data.payload())
        return self._only(self._write("POST", "/customer", body))

    def update_customer(self, customer_id: str, data: CustomerInput) -> Customer:
        """PUT /customer with the ID in the body; only the fields set on `data` change."""
        body = {**data.payload(), "ID": customer_id}
        return self._only(self._write("PUT", "/customer", body))

    def deactivate_customer(self, customer_id: str) -> Customer:
        """Cin7 cannot delete customers through the API: this sets Status "Deprecated",
        which hides the customer from lists that do not ask for deprecated ones."""
        body = {"ID": customer_id, "Status": "Deprecated"}
        return self._only(self._write("PUT", "/customer", body))

    def reactivate_customer(self, customer_id: str) -> Customer:
        return self._only(self._write("PUT", "/customer", {"ID": customer_id, "Status": "Active"}))

    # --- webhooks -----------------------------------------------------------------------------
    def list_webhooks(self) -> list[Webhook]:
        return [Webhook.model_validate(w) for w in self._get("/webhooks").get("Webhooks") or []]

    def create_webhook(self, data: WebhookInput) -> Webhook:
        """POST /webhooks. Sources disagree on the answer: a bare registration or one
        wrapped in `{"Webhooks": [...]}`; both are read."""
        answer = self._write("POST", "/webhooks", data.payload())
        if isinstance(answer, dict) and isinstance(answer.get("Webhooks"), list):
            answer = answer["Webhooks"][0] if answer["Webhooks"] else None
        elif isinstance(answer, list):
            answer = answer[0] if answer else None
        if not isinstance(answer, dict) or not answer.get("ID"):
            raise PermanentError("Cin7 Core answered a webhook registration without its ID.")
        return Webhook.model_validate(answer)

    def delete_webhook(self, webhook_id: str) -> None:
        self._write("DELETE", "/webhooks", ID=webhook_id)
