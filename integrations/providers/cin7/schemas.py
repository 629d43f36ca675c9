"""Cin7 Core customers as the client returns them, and the bodies it sends, in Cin7's own
field names (PascalCase, as the API spells them).

Reads keep unknown fields (`extra="allow"`) so nothing Cin7 adds is lost; bodies forbid them
so a typo fails here rather than being ignored by Cin7's deserialiser. A customer is a
company-like record: the people are its `Contacts` (e-mail and phone live there) and
`Tags` is one comma-separated string (`tag_list()` splits it; inputs accept a list).
Sources: docs/providers/cin7.md.
"""

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ADDRESS_ORDER = {"Billing": 0, "Business": 1, "Shipping": 2}


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def payload(self) -> dict:
        # Unset fields are left out; fields set to None are sent as null (clears them).
        return self.model_dump(exclude_unset=True, by_alias=True)


def split_tags(tags: str | None) -> list[str]:
    return [tag.strip() for tag in (tags or "").split(",") if tag.strip()]


def join_tags(value: Any) -> Any:
    """A list of tags becomes Cin7's comma-separated string (commas inside a tag cannot be
    represented, so they are refused)."""
    if isinstance(value, list | tuple):
        tags = [str(tag).strip() for tag in value if str(tag).strip()]
        if any("," in tag for tag in tags):
            raise ValueError("a Cin7 tag cannot contain a comma")
        return ",".join(tags)
    return value


class Contact(_Response):
    ID: str | None = None
    Name: str | None = None
    JobTitle: str | None = None
    Phone: str | None = None
    MobilePhone: str | None = None
    Fax: str | None = None
    Email: str | None = None
    Website: str | None = None
    Default: bool = False
    Comment: str | None = None
    IncludeInEmail: bool = False


class Address(_Response):
    ID: str | None = None
    Line1: str | None = None
    Line2: str | None = None
    City: str | None = None
    State: str | None = None
    Postcode: str | None = None
    Country: str | None = None
    Type: str | None = None  # "Billing", "Business" or "Shipping"
    DefaultForType: bool = False


class _CustomerFields(BaseModel):
    """The writable fields, shared by the read model and the body."""

    Name: str | None = None  # unique in the account, ≤256
    DisplayName: str | None = None
    Status: str | None = None  # "Active" or "Deprecated"
    Currency: str | None = None
    PaymentTerm: str | None = None
    Discount: float | None = None  # 0 to 100
    TaxRule: str | None = None
    Carrier: str | None = None
    SalesRepresentative: str | None = None
    Location: str | None = None
    Comments: str | None = None  # the customer's note, ≤2000
    AccountReceivable: str | None = None
    RevenueAccount: str | None = None
    PriceTier: str | None = None
    TaxNumber: str | None = None
    CreditLimit: float | None = None
    IsOnCreditHold: bool | None = None
    AttributeSet: str | None = None
    AdditionalAttribute1: str | None = None
    AdditionalAttribute2: str | None = None
    AdditionalAttribute3: str | None = None
    AdditionalAttribute4: str | None = None
    AdditionalAttribute5: str | None = None
    AdditionalAttribute6: str | None = None
    AdditionalAttribute7: str | None = None
    AdditionalAttribute8: str | None = None
    AdditionalAttribute9: str | None = None
    AdditionalAttribute10: str | None = None
    Tags: str | None = None

    @field_validator("TaxNumber", mode="before")
    @classmethod
    def _number_as_text(cls, value):
        # The field table says Int, the examples show strings: keep it text either way.
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )


class Customer(_CustomerFields, _Response):
    ID: str
    LastModifiedOn: str | None = None  # UTC, "2018-01-24T05:07:23.917Z"; no created time exists
    IsLegalEntity: bool | None = None
    CustomerParentID: str | None = None
    CustomerParentName: str | None = None
    IsBillParent: bool | None = None
    Addresses: list[Address] = Field(default_factory=list)
    Contacts: list[Contact] = Field(default_factory=list)
    ChildCustomers: list[dict] = Field(default_factory=list)

    @model_validator(mode="after")
    def _default_first(self):
        # Field paths such as "Contacts.0.Email" mean "the default contact" and
        # "Addresses.0.City" "the default billing address" whatever order Cin7 sent.
        self.Contacts.sort(key=lambda c: not c.Default)
        self.Addresses.sort(
            key=lambda a: (ADDRESS_ORDER.get(a.Type or "", 9), not a.DefaultForType)
        )
        return self

    @property
    def active(self) -> bool:
        return self.Status != "Deprecated"

    def tag_list(self) -> list[str]:
        return split_tags(self.Tags)

    def default_contact(self) -> Contact | None:
        return self.Contacts[0] if self.Contacts else None

    def modified_at(self) -> datetime | None:
        """LastModifiedOn as an aware UTC datetime: the cursor to keep for incremental reads."""
        if not self.LastModifiedOn:
            return None
        moment = datetime.fromisoformat(self.LastModifiedOn.replace("Z", "+00:00"))
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


class ContactInput(_Body):
    ID: str | None = None  # an existing contact's ID updates it; without one it is new
    Name: str | None = None
    JobTitle: str | None = None
    Phone: str | None = None
    MobilePhone: str | None = None
    Fax: str | None = None
    Email: str | None = None
    Website: str | None = None
    Default: bool | None = None
    Comment: str | None = None
    IncludeInEmail: bool | None = None


class AddressInput(_Body):
    ID: str | None = None
    Line1: str | None = None
    Line2: str | None = None
    City: str | None = None
    State: str | None = None
    Postcode: str | None = None
    Country: str | None = None
    Type: str | None = None
    DefaultForType: bool | None = None


class CustomerInput(_CustomerFields, _Body):
    """What to create or change. `Contacts` and `Addresses`, when given, replace the lists
    (keep an item's ID to update it in place). `Tags` may be a list."""

    Addresses: list[AddressInput] | None = None
    Contacts: list[ContactInput] | None = None

    @field_validator("Tags", mode="before")
    @classmethod
    def _tags_as_text(cls, value):
        return join_tags(value)


class Webhook(_Response):
    ID: str
    Type: str
    Name: str | None = None
    IsActive: bool = True
    ExternalURL: str | None = None
    ExternalAuthorizationType: str | None = None  # "noauth", "basicauth" or "bearerauth"
    ExternalUserName: str | None = None
    ExternalHeaders: list[dict] = Field(default_factory=list)

    def __repr__(self) -> str:  # the password/token Cin7 echoes back stay out of logs
        return f"Webhook(ID={self.ID!r}, Type={self.Type!r}, IsActive={self.IsActive})"


class WebhookInput(_Body):
    Type: str = "Customer/Updated"
    IsActive: bool = True
    ExternalURL: str
    ExternalAuthorizationType: str = "noauth"
    ExternalUserName: str | None = None
    ExternalPassword: str | None = None
    ExternalBearerToken: str | None = None
    ExternalHeaders: list[dict] | None = None

    def payload(self) -> dict:
        return self.model_dump(exclude_none=True, by_alias=True)  # defaults are meant to go

    def __repr__(self) -> str:
        return f"WebhookInput(Type={self.Type!r}, ExternalURL={self.ExternalURL!r})"
