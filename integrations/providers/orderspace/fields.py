"""Every Orderspace customer field, as paths into `Customer.model_dump(mode="json",
by_alias=True, exclude_none=False)`. Lists are addressed by index: Orderspace allows one buyer
(`buyers.0`), and the first address (`addresses.0`) is the one a sync maps.
"""

from integrations.providers.base import FieldSpec
from integrations.providers.orderspace.schemas import CUSTOMER_STATUSES

_ADDRESS = (
    ("company_name", "company name", "string"),
    ("contact_name", "contact name", "string"),
    ("line1", "line 1", "string"),
    ("line2", "line 2", "string"),
    ("city", "city", "string"),
    ("state", "state / county", "string"),
    ("postal_code", "postal code", "string"),
    ("country", "country (ISO 3166-1 alpha-2)", "string"),
)
_REFERENCE_HELP = "An ID from Orderspace's {} list; empty for none."


def catalogue(connection=None) -> list[FieldSpec]:
    """Orderspace has no custom customer fields, so the catalogue is the same for every
    connection (`connection` is accepted for the common signature)."""
    fields = [
        FieldSpec("id", "Customer ID", "string", read_only=True),
        FieldSpec("company_name", "Company name", "string", required=True),
        FieldSpec(
            "created",
            "Created",
            "datetime",
            read_only=True,
            help_text="Real responses call it `created`; the docs say `created_at`.",
        ),
        FieldSpec("created_at", "Created (documented name)", "datetime", read_only=True),
        FieldSpec("status", "Status", "string", choices=CUSTOMER_STATUSES),
        FieldSpec(
            "reference", "Reference", "string", help_text="Visible to the customer, not editable."
        ),
        FieldSpec(
            "internal_note", "Internal note", "string", help_text="Not visible to the customer."
        ),
        FieldSpec("buyers.0.name", "Buyer name", "string", help_text="Full name, one field."),
        FieldSpec(
            "buyers.0.email_address",
            "Buyer e-mail",
            "email",
            help_text="The buyer's login: unique across all Orderspace customers.",
        ),
        FieldSpec("phone", "Phone", "phone"),
        FieldSpec(
            "email_addresses.orders",
            "Order e-mails to",
            "string",
            help_text="One or more addresses separated by commas.",
        ),
        FieldSpec("email_addresses.dispatches", "Dispatch e-mails to", "string"),
        FieldSpec("email_addresses.invoices", "Invoice e-mails to", "string"),
        FieldSpec("tax_number", "Tax / VAT number", "string"),
        FieldSpec(
            "tax_rate_id", "Tax rate", "string", help_text=_REFERENCE_HELP.format("tax rate")
        ),
    ]
    for key, label, kind in _ADDRESS:
        fields.append(FieldSpec(f"addresses.0.{key}", f"Address {label}", kind))
    fields += [
        FieldSpec("addresses", "All addresses", "list"),
        FieldSpec("minimum_spend", "Minimum spend", "number", help_text="Empty for none."),
        FieldSpec(
            "payment_terms_id",
            "Payment terms",
            "string",
            help_text=_REFERENCE_HELP.format("payment terms"),
        ),
        FieldSpec(
            "customer_group_id",
            "Customer group",
            "string",
            help_text=_REFERENCE_HELP.format("customer group"),
        ),
        FieldSpec(
            "price_list_id", "Price list", "string", help_text=_REFERENCE_HELP.format("price list")
        ),
    ]
    return fields
