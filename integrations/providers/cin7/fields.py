"""The Cin7 Core customer fields, for the mapping editor.

Paths are dotted paths into `Customer.model_dump(mode="json", by_alias=True,
exclude_none=False)`. The person behind a customer lives in its contacts, so e-mail and
phone are `Contacts.0.*`: the client sorts the default contact first, and the default
billing address first, so `.0.` always means "the default one".
"""

from integrations.models import Connection
from integrations.providers.base import FieldSpec

S, N, B = "string", "number", "boolean"
ADDRESS_TYPES = ("Billing", "Business", "Shipping")
# Cin7 requires these on create; the client fills them from the connection's settings.
_SET = "From the connection's settings when not mapped."
CUSTOMER_FIELDS = (
    FieldSpec("ID", "Customer ID", S, read_only=True),
    FieldSpec("Name", "Name (unique)", S, required=True, help_text="Unique in the account."),
    FieldSpec("DisplayName", "Display name", S),
    FieldSpec(
        "Status",
        "Status",
        S,
        required=True,
        choices=("Active", "Deprecated"),
        help_text="Active when not mapped.",
    ),
    FieldSpec("Currency", "Currency", S, required=True, help_text="ISO code, e.g. USD. " + _SET),
    FieldSpec("PaymentTerm", "Payment term", S, required=True, help_text=_SET),
    FieldSpec("TaxRule", "Tax rule", S, required=True, help_text=_SET),
    FieldSpec("PriceTier", "Price tier", S),
    FieldSpec("Discount", "Discount %", N),
    FieldSpec("Carrier", "Carrier", S),
    FieldSpec("SalesRepresentative", "Sales representative", S),
    FieldSpec("Location", "Location", S),
    FieldSpec("Comments", "Comments (note)", S, help_text="Up to 2,000 characters."),
    FieldSpec("AccountReceivable", "Account receivable", S, required=True, help_text=_SET),
    FieldSpec("RevenueAccount", "Revenue account", S, required=True, help_text=_SET),
    FieldSpec("TaxNumber", "Tax number", S),
    FieldSpec("CreditLimit", "Credit limit", N),
    FieldSpec("IsOnCreditHold", "On credit hold", B),
    FieldSpec("Tags", "Tags", S, help_text="One comma-separated string."),
    FieldSpec("AttributeSet", "Attribute set", S),
    *(
        FieldSpec(f"AdditionalAttribute{n}", f"Additional attribute {n}", S, custom=True)
        for n in range(1, 11)
    ),
    FieldSpec("LastModifiedOn", "Last modified", "datetime", read_only=True),
    FieldSpec("Contacts.0.Name", "Contact name", S),
    FieldSpec("Contacts.0.Email", "Contact e-mail", "email"),
    FieldSpec("Contacts.0.Phone", "Contact phone", "phone"),
    FieldSpec("Contacts.0.MobilePhone", "Contact mobile", "phone"),
    FieldSpec("Contacts.0.JobTitle", "Contact job title", S),
    FieldSpec("Contacts.0.Website", "Contact website", S),
    FieldSpec("Contacts.0.Comment", "Contact comment", S),
    FieldSpec("Contacts.0.IncludeInEmail", "Contact gets e-mails", B),
    FieldSpec("Contacts", "All contacts", "list"),
    FieldSpec("Addresses.0.Line1", "Address line 1", S),
    FieldSpec("Addresses.0.Line2", "Address line 2", S),
    FieldSpec("Addresses.0.City", "City", S),
    FieldSpec("Addresses.0.State", "State", S),
    FieldSpec("Addresses.0.Postcode", "Postcode", S),
    FieldSpec("Addresses.0.Country", "Country", S, help_text="Country name, e.g. Australia."),
    FieldSpec("Addresses.0.Type", "Address type", S, choices=ADDRESS_TYPES),
    FieldSpec("Addresses", "All addresses", "list"),
)


def catalogue(connection: Connection | None = None) -> list[FieldSpec]:
    """Every customer field. The list is the same for every account: what each
    AdditionalAttribute means is the account's attribute set, named in Cin7's UI."""
    return list(CUSTOMER_FIELDS)
