"""Orderspace objects as the client returns them, and the bodies it sends.

Field names are Orderspace's own. Responses keep unknown fields (`extra="allow"`) so nothing
Orderspace adds is lost; request bodies forbid them, so a typo fails here and not silently
there. Orderspace's docs call the creation time `created_at` but real responses send
`created`: both are read, and `created_time` gives whichever came.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

CUSTOMER_STATUSES = ("new", "active", "closed")
CUSTOMER_EVENTS = ("customer.created", "customer.updated", "customer.deleted")


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def payload(self) -> dict:
        # Unset fields are left out (Orderspace keeps them); None is sent as null (clears).
        return self.model_dump(mode="json", exclude_unset=True, by_alias=True)


class Buyer(_Response):
    name: str | None = None
    email_address: str | None = None


class EmailAddresses(_Response):
    """Where Orderspace sends order, dispatch and invoice e-mails; each may hold several
    addresses separated by commas."""

    orders: str | None = None
    dispatches: str | None = None
    invoices: str | None = None


class Address(_Response):
    company_name: str | None = None
    contact_name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2


class Customer(_Response):
    id: str
    company_name: str | None = None
    created: datetime | None = None
    created_at: datetime | None = None
    status: str | None = None  # new, active or closed
    reference: str | None = None
    internal_note: str | None = None
    buyers: list[Buyer] = Field(default_factory=list)
    phone: str | None = None
    email_addresses: EmailAddresses | None = None
    tax_number: str | None = None
    tax_rate_id: str | None = None
    addresses: list[Address] = Field(default_factory=list)
    minimum_spend: float | None = None
    payment_terms_id: str | None = None
    customer_group_id: str | None = None
    price_list_id: str | None = None

    @property
    def created_time(self) -> datetime | None:
        return self.created or self.created_at

    @property
    def buyer(self) -> Buyer | None:
        """Orderspace allows one buyer per customer (the list is for the future)."""
        return self.buyers[0] if self.buyers else None


class BuyerInput(_Body):
    name: str | None = None
    email_address: str


class EmailAddressesInput(_Body):
    orders: str | None = None
    dispatches: str | None = None
    invoices: str | None = None


class AddressInput(_Body):
    company_name: str | None = None
    contact_name: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = Field(default=None, min_length=2, max_length=2)


class CustomerInput(_Body):
    """A create (company_name required there) or a partial update: only fields set here are
    sent. `buyers` holds at most one buyer; on update it replaces the buyer."""

    company_name: str | None = None
    status: str | None = None
    reference: str | None = None
    internal_note: str | None = None
    buyers: list[BuyerInput] | None = Field(default=None, max_length=1)
    phone: str | None = None
    email_addresses: EmailAddressesInput | None = None
    tax_number: str | None = None
    tax_rate_id: str | None = None
    addresses: list[AddressInput] | None = None
    minimum_spend: float | None = None
    payment_terms_id: str | None = None
    customer_group_id: str | None = None
    price_list_id: str | None = None


class Reference(_Response):
    """An entry of /customer_groups, /price_lists, /payment_terms or /tax_rates."""

    id: str
    name: str | None = None


class Webhook(_Response):
    id: str
    endpoint: str | None = None
    events: list[str] = Field(default_factory=list)
    signing_key: str | None = Field(default=None, repr=False)


class DeletedCustomer(_Response):
    id: str
    deleted: bool = True
