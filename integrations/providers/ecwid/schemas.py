"""Ecwid objects as the client returns them, and the bodies it sends, in Ecwid's names.

Responses keep unknown fields (`extra="allow"`) so nothing Ecwid adds is lost; request
bodies forbid them, so a typo fails here instead of being ignored there. Dates stay in
Ecwid's own text form ("2021-12-21 06:05:58 +0000"); `registered_at`/`updated_at` parse it.
Source: Ecwid API docs, customers reference (see docs/providers/ecwid.md).
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"
ContactType = Literal[
    "EMAIL",
    "PHONE",
    "FACEBOOK",
    "INSTAGRAM",
    "TWITTER",
    "YOUTUBE",
    "TIKTOK",
    "PINTEREST",
    "VK",
    "FB_MESSENGER",
    "WHATSAPP",
    "TELEGRAM",
    "VIBER",
    "URL",
    "OTHER",
]


def parse_date(value: str | None) -> datetime | None:
    """Ecwid's "yyyy-MM-dd HH:mm:ss Z" as an aware datetime (None for empty)."""
    return datetime.strptime(value, DATE_FORMAT) if value else None


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def payload(self) -> dict:
        # Unset fields are left out (Ecwid keeps them); fields set to None are sent as null.
        return self.model_dump(exclude_unset=True, by_alias=True)


class Person(_Response):
    name: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    companyName: str | None = None
    street: str | None = None  # two address lines joined by "\n"
    city: str | None = None
    countryCode: str | None = None
    countryName: str | None = None
    postalCode: str | None = None
    stateOrProvinceCode: str | None = None
    stateOrProvinceName: str | None = None
    phone: str | None = None


class ShippingAddress(Person):
    id: int | None = None
    createdDate: str | None = None
    defaultAddress: bool | None = None
    orderBy: int | None = None
    addressFormatted: str | None = None


class CustomerContact(_Response):
    id: int | None = None
    contact: str | None = None
    handle: str | None = None
    note: str | None = None
    type: str | None = None
    default: bool | None = None
    orderBy: int | None = None
    timestamp: str | None = None


class CustomerStats(_Response):
    numberOfOrders: int | None = None
    salesValue: float | None = None
    averageOrderValue: float | None = None
    firstOrderDate: str | None = None
    lastOrderDate: str | None = None


class Customer(_Response):
    id: int
    email: str | None = None
    name: str | None = None
    registered: str | None = None
    updated: str | None = None
    totalOrderCount: int | None = None
    customerGroupId: int | None = None
    customerGroupName: str | None = None
    billingPerson: Person | None = None
    shippingAddresses: list[ShippingAddress] = Field(default_factory=list)
    contacts: list[CustomerContact] = Field(default_factory=list)
    taxExempt: bool | None = None
    taxId: str | None = None
    taxIdValid: bool | None = None
    b2b_b2c: str | None = None
    fiscalCode: str | None = None
    electronicInvoicePecEmail: str | None = None
    electronicInvoiceSdiCode: str | None = None
    acceptMarketing: bool | None = None
    lang: str | None = None
    stats: CustomerStats | None = None
    privateAdminNotes: str | None = None

    @property
    def registered_at(self) -> datetime | None:
        return parse_date(self.registered)

    @property
    def updated_at(self) -> datetime | None:
        return parse_date(self.updated)


class PersonInput(_Body):
    name: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    companyName: str | None = None
    street: str | None = None
    city: str | None = None
    countryCode: str | None = None
    postalCode: str | None = None
    stateOrProvinceCode: str | None = None
    phone: str | None = None


class ContactInput(_Body):
    id: int | None = None  # keep an existing contact's id, or leave out for a new one
    contact: str | None = None
    handle: str | None = None
    note: str | None = None
    type: ContactType
    default: bool | None = None
    orderBy: int | None = None


class CustomerInput(_Body):
    """`contacts`, when set, REPLACES the customer's whole contact list (Ecwid's rule), as
    does `shippingAddresses`. Whether a partial `billingPerson` keeps the fields it leaves
    out is not documented: send the whole person when changing it."""

    email: str | None = None  # required to create
    billingPerson: PersonInput | None = None
    shippingAddresses: list[PersonInput] | None = None
    contacts: list[ContactInput] | None = None
    customerGroupId: int | None = None  # 0 = "General"
    taxExempt: bool | None = None
    taxId: str | None = None
    b2b_b2c: Literal["b2b", "b2c"] | None = None
    fiscalCode: str | None = None
    electronicInvoicePecEmail: str | None = None
    electronicInvoiceSdiCode: str | None = None
    acceptMarketing: bool | None = None
    lang: str | None = None
    privateAdminNotes: str | None = None  # the owner's notes; never shown to the shopper


class DeletedCustomer(_Response):
    id: int
    date: str | None = None

    @property
    def deleted_at(self) -> datetime | None:
        return parse_date(self.date)


class CustomerGroup(_Response):
    id: int
    name: str | None = None
