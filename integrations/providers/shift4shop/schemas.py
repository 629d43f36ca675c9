"""Shift4Shop objects as the client returns them, and the bodies it sends, in the
platform's own field names (the Customer resource model; names and phone numbers exist only
on the billing and shipping addresses).

Responses keep unknown fields (`extra="allow"`): the platform may add fields, and a sync
must not drop what it does not know. Bodies forbid unknown fields, so a typo fails here
instead of being ignored there. The password is write-only and never shown in a repr.
"""

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Body(BaseModel):
    # Errors never echo the input: it may hold a password.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, hide_input_in_errors=True)

    def payload(self) -> dict:
        """Only the fields that were set; a SecretStr is sent as its value."""
        data = self.model_dump(exclude_unset=True, by_alias=True)
        return {
            key: value.get_secret_value() if isinstance(value, SecretStr) else value
            for key, value in data.items()
        }


class _CustomerFields(BaseModel):
    Email: str | None = None
    BillingCompany: str | None = None
    BillingFirstName: str | None = None
    BillingLastName: str | None = None
    BillingAddress1: str | None = None
    BillingAddress2: str | None = None
    BillingCity: str | None = None
    BillingState: str | None = None
    BillingZipCode: str | None = None
    BillingCountry: str | None = None
    BillingPhoneNumber: str | None = None
    BillingTaxID: str | None = None
    ShippingCompany: str | None = None
    ShippingFirstName: str | None = None
    ShippingLastName: str | None = None
    ShippingAddress1: str | None = None
    ShippingAddress2: str | None = None
    ShippingCity: str | None = None
    ShippingState: str | None = None
    ShippingZipCode: str | None = None
    ShippingCountry: str | None = None
    ShippingPhoneNumber: str | None = None
    ShippingAddressType: int | None = None  # residential / commercial code
    CustomerGroupID: int | None = None  # 0 = no group
    Enabled: bool | None = None
    MailList: bool | None = None
    NonTaxable: bool | None = None
    DisableBillingSameAsShipping: bool | None = None
    Comments: str | None = None  # the one free-text note a customer has
    AdditionalField1: str | None = None
    AdditionalField2: str | None = None
    AdditionalField3: str | None = None
    TotalStoreCredit: float | None = None


class Customer(_CustomerFields, _Response):
    CustomerID: int


class CustomerInput(_CustomerFields, _Body):
    """A create (Email and Password required) or a partial update (only what is set)."""

    Password: SecretStr | None = Field(default=None, max_length=50)
    ResetPassword: bool | None = None  # write-only: e-mail the customer a reset link


class WriteResult(_Response):
    """One entry of a write's status array; `Value` is the CustomerID as a string."""

    Key: str = ""
    Value: str = ""
    Status: str = ""
    Message: str = ""

    @property
    def status_code(self) -> int:
        return int(self.Status) if self.Status.isdigit() else 0

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def customer_id(self) -> int | None:
        return int(self.Value) if self.Key == "CustomerID" and self.Value.isdigit() else None


class CustomerGroup(_Response):
    CustomerGroupID: int
    Name: str | None = None
    Description: str | None = None
