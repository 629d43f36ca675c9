"""The Orderspace customer API, one typed method per operation.

Lists are generators that fetch one page at a time (constant memory). Paging follows
Orderspace's cursor: newest-created first, `starting_after=<id of the last customer read>`,
`limit` ≤ 200, continue while `has_more`. Because the cursor is a customer rather than an
offset, customers created or updated during a walk shift nothing: every customer that exists
from the first page to the last is read exactly once. What Orderspace cannot give: customers
created during the walk sort before the cursor and are not read (a later `created_since`
read finds them), and there is no "updated since" at all (webhooks, or a full comparison).
If the cursor customer is deleted between two pages, Orderspace may refuse the cursor (404):
the walk then resumes after the nearest earlier customer of that page that still exists,
skipping those already read.
Source: Orderspace API docs, customers (see docs/providers/orderspace.md).
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import quote

from django.db import transaction

from integrations.errors import ConfigError, NotFoundError, TransientError
from integrations.models import Connection
from integrations.providers.base import AccountInfo
from integrations.providers.orderspace.schemas import (
    CUSTOMER_EVENTS,
    Customer,
    CustomerInput,
    DeletedCustomer,
    Reference,
    Webhook,
)
from integrations.providers.orderspace.transport import OrderspaceTransport

MAX_PAGE = 200
DEFAULT_PAGE = 50
FILTERS = frozenset(
    {
        "company_name",
        "buyers_email_address",
        "status",
        "reference",
        "payment_terms_id",
        "customer_group_id",
        "price_list_id",
    }
)


def _id(value: str) -> str:
    return quote(str(value), safe="")


def orderspace_time(moment: datetime) -> str:
    """An aware datetime as Orderspace's UTC ISO 8601, floored to the second: with its
    inclusive "since" filters a floor can only repeat a record, never skip one."""
    if moment.tzinfo is None:
        raise ConfigError("Give Orderspace an aware datetime: its times are UTC.")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class OrderspaceClient:
    def __init__(self, connection: Connection, **transport_options):
        self.connection = connection
        self.transport = OrderspaceTransport(connection, **transport_options)

    def _get(self, path: str, **params):
        return self.transport.request("GET", path, params=params or None)

    def _write(self, method: str, path: str, body: dict | None = None):
        return self.transport.request(method, path, write=True, json=body)

    # --- connection test ----------------------------------------------------------------------
    def check(self) -> AccountInfo:
        """One cheap call (a one-customer page) that needs a working token. Orderspace's API
        has no account endpoint, so the name is the site name from the connection's settings."""
        page = self._get("/customers", limit=1)
        client_id = self.connection.get_credentials().get("client_id", "")
        name = self.connection.settings.get("site_name") or f"Orderspace ({client_id[:8]}…)"
        return AccountInfo(
            name=name,
            account_id=client_id,
            details={
                "scopes": list(self.connection.scopes or []),
                "has_customers": bool(page.get("customers")),
            },
        )

    # --- customers ----------------------------------------------------------------------------
    def iter_customers(
        self,
        *,
        updated_since: datetime | None = None,
        created_since: datetime | None = None,
        page_size: int | None = None,
        **filters: str,
    ) -> Iterator[Customer]:
        """Every customer (newest first), or those created since `created_since`, optionally
        filtered by Orderspace's list filters (status, customer_group_id, ...)."""
        if updated_since is not None:
            raise ConfigError(
                "Orderspace cannot list customers changed since a time: it has no "
                "updated-since filter and no updated timestamp (only created_since). Use its "
                "customer.updated/customer.deleted webhooks, or compare everything."
            )
        unknown = sorted(set(filters) - FILTERS)
        if unknown:
            raise ConfigError(f"Orderspace has no customer filter called {', '.join(unknown)}.")
        limit = page_size or DEFAULT_PAGE
        if not 1 <= limit <= MAX_PAGE:
            raise ConfigError(f"Orderspace pages hold 1 to {MAX_PAGE} customers, not {limit}.")
        params: dict = {"limit": limit, **{k: v for k, v in filters.items() if v}}
        if created_since is not None:
            params["created_since"] = orderspace_time(created_since)
        last_page: list[str] = []  # ids of the page read last, in order
        cursor_index = -1
        already_read: set[str] = set()
        while True:
            try:
                page = self._get("/customers", **params)
            except NotFoundError:
                if "starting_after" not in params:
                    raise
                # The cursor customer was deleted: step back to an earlier one of that page.
                cursor_index -= 1
                if cursor_index < 0:
                    raise TransientError(
                        "Every customer of the last Orderspace page was deleted while paging; "
                        "the walk cannot resume and must start again."
                    ) from None
                params["starting_after"] = last_page[cursor_index]
                already_read = set(last_page[cursor_index + 1 :])
                continue
            items = page.get("customers") or []
            ids = [item["id"] for item in items]
            if ids and ids == last_page:
                raise TransientError("Orderspace returned the same page of customers twice.")
            yield from (Customer.model_validate(i) for i in items if i["id"] not in already_read)
            if not page.get("has_more"):
                return
            if not ids:
                raise TransientError("Orderspace said more customers follow but sent none.")
            last_page, cursor_index, already_read = ids, len(ids) - 1, set()
            params["starting_after"] = ids[-1]

    def find_customer_by_email(self, email: str) -> Customer | None:
        """The customer whose buyer logs in with `email` (unique across Orderspace)."""
        return next(self.iter_customers(buyers_email_address=email, page_size=1), None)

    def get_customer(self, customer_id: str) -> Customer:
        return Customer.model_validate(self._get(f"/customers/{_id(customer_id)}")["customer"])

    def create_customer(self, data: CustomerInput) -> Customer:
        """`company_name` is required; a buyer's e-mail must be unused across Orderspace."""
        body = {"customer": data.payload()}
        return Customer.model_validate(self._write("POST", "/customers", body)["customer"])

    def update_customer(self, customer_id: str, data: CustomerInput) -> Customer:
        """Partial: fields not set on `data` keep their values in Orderspace."""
        body = {"customer": data.payload()}
        response = self._write("PUT", f"/customers/{_id(customer_id)}", body)
        return Customer.model_validate(response["customer"])

    def delete_customer(self, customer_id: str) -> DeletedCustomer:
        """Deleted for good (Orderspace has no archive); 404 NotFoundError if already gone."""
        response = self._write("DELETE", f"/customers/{_id(customer_id)}")
        return DeletedCustomer.model_validate(response["customer"])

    # --- reference lists a mapping needs (customer_group_id, price_list_id, ...) --------------
    def _references(self, kind: str) -> list[Reference]:
        result, params = [], {}
        while True:
            page = self._get(f"/{kind}", **params)
            items = page.get(kind) or []
            result += [Reference.model_validate(item) for item in items]
            if not page.get("has_more") or not items:
                return result
            params["starting_after"] = items[-1]["id"]

    def list_customer_groups(self) -> list[Reference]:
        return self._references("customer_groups")

    def list_price_lists(self) -> list[Reference]:
        return self._references("price_lists")

    def list_payment_terms(self) -> list[Reference]:
        return self._references("payment_terms")

    def list_tax_rates(self) -> list[Reference]:
        return self._references("tax_rates")

    # --- webhooks -------------------------------------------------------------------------------
    def list_webhooks(self) -> list[Webhook]:
        return [Webhook.model_validate(w) for w in self._get("/webhooks").get("webhooks") or []]

    def create_webhook(self, endpoint: str, events=CUSTOMER_EVENTS) -> Webhook:
        """Orderspace answers with the generated `signing_key`; the endpoint must be https."""
        body = {"webhook": {"endpoint": endpoint, "events": list(events)}}
        return Webhook.model_validate(self._write("POST", "/webhooks", body)["webhook"])

    def update_webhook(self, webhook_id: str, *, endpoint=None, events=None) -> Webhook:
        fields = {"endpoint": endpoint, "events": list(events) if events else None}
        body = {"webhook": {k: v for k, v in fields.items() if v is not None}}
        response = self._write("PUT", f"/webhooks/{_id(webhook_id)}", body)
        return Webhook.model_validate(response["webhook"])

    def delete_webhook(self, webhook_id: str) -> None:
        self._write("DELETE", f"/webhooks/{_id(webhook_id)}")

    def register_webhook(self, endpoint: str, events=CUSTOMER_EVENTS) -> Webhook:
        """Subscribe `endpoint` and keep the signing key on the connection, where the webhook
        receiver looks for it (credentials are re-read under a row lock: a token bought
        meanwhile must not be overwritten)."""
        webhook = self.create_webhook(endpoint, events)
        with transaction.atomic():
            locked = Connection.objects.select_for_update().get(pk=self.connection.pk)
            credentials = locked.get_credentials()
            credentials["webhook_signing_key"] = webhook.signing_key
            locked.set_credentials(credentials)
            locked.settings = {**locked.settings, "webhook_id": webhook.id}
            locked.save(update_fields=["credentials_encrypted", "settings", "updated_at"])
        self.connection.credentials_encrypted = locked.credentials_encrypted
        self.connection.settings = locked.settings
        return webhook
