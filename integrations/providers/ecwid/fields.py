"""Every Ecwid customer field, for the mapping editor.

Paths are dotted paths into `customer.model_dump(mode="json", by_alias=True,
exclude_none=False)` of `schemas.Customer`. `contacts` and `shippingAddresses` are lists
(a write replaces the whole list). Customer group names come from the store
(`EcwidClient.iter_customer_groups`), so `customerGroupId` has no fixed choices.
"""

from integrations.providers.base import FieldSpec
from integrations.providers.ecwid.schemas import ContactType

_PERSON = (
    ("name", "name", "string"),
    ("firstName", "first name", "string"),
    ("lastName", "last name", "string"),
    ("companyName", "company", "string"),
    ("street", "street (lines joined by a line break)", "string"),
    ("city", "city", "string"),
    ("countryCode", "country code (2 letters)", "string"),
    ("countryName", "country name", "string"),
    ("postalCode", "postal code", "string"),
    ("stateOrProvinceCode", "state/province code", "string"),
    ("stateOrProvinceName", "state/province name", "string"),
    ("phone", "phone", "phone"),
)
_DERIVED = {"countryName", "stateOrProvinceName"}  # Ecwid fills them in from the codes


def catalogue(connection=None) -> list[FieldSpec]:
    """The same for every store: Ecwid customers have no custom fields."""
    specs = [
        FieldSpec("id", "Customer ID", "integer", read_only=True),
        FieldSpec("email", "E-mail", "email", required=True, help_text="Unique in the store."),
        FieldSpec("name", "Name", "string", read_only=True, help_text="The billing name."),
        FieldSpec("registered", "Registered", "datetime", read_only=True),
        FieldSpec("updated", "Last updated", "datetime", read_only=True),
        FieldSpec("totalOrderCount", "Orders placed", "integer", read_only=True),
        FieldSpec("customerGroupId", "Customer group ID", "integer", help_text="0 is “General”."),
        FieldSpec("customerGroupName", "Customer group", "string", read_only=True),
    ]
    specs += [
        FieldSpec(
            f"billingPerson.{key}",
            f"Billing {label}",
            kind,
            read_only=key in _DERIVED,
        )
        for key, label, kind in _PERSON
    ]
    specs += [
        FieldSpec(
            "shippingAddresses",
            "Shipping addresses",
            "list",
            help_text="Each has the billing fields plus id and defaultAddress.",
        ),
        FieldSpec(
            "contacts",
            "Contacts",
            "list",
            choices=ContactType.__args__,
            help_text="Each: type, contact, handle, note, default. Writing replaces them all.",
        ),
        FieldSpec("acceptMarketing", "Accepts marketing", "boolean"),
        FieldSpec("privateAdminNotes", "Private admin notes", "string"),
        FieldSpec("lang", "Language", "string"),
        FieldSpec("b2b_b2c", "Business or consumer", "string", choices=("b2b", "b2c")),
        FieldSpec("taxExempt", "Tax exempt", "boolean"),
        FieldSpec("taxId", "Tax ID", "string"),
        FieldSpec("taxIdValid", "Tax ID valid", "boolean", read_only=True),
        FieldSpec("fiscalCode", "Fiscal code", "string"),
        FieldSpec("electronicInvoicePecEmail", "E-invoice PEC e-mail", "email"),
        FieldSpec("electronicInvoiceSdiCode", "E-invoice SDI code", "string"),
        FieldSpec("stats.numberOfOrders", "Number of orders", "integer", read_only=True),
        FieldSpec("stats.salesValue", "Sales value", "number", read_only=True),
        FieldSpec("stats.averageOrderValue", "Average order value", "number", read_only=True),
        FieldSpec("stats.firstOrderDate", "First order", "datetime", read_only=True),
        FieldSpec("stats.lastOrderDate", "Last order", "datetime", read_only=True),
    ]
    return specs
