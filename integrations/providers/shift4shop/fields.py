"""Every Shift4Shop customer field, for the mapping editor's pickers.

Paths are the keys of `customer.model_dump(mode="json", by_alias=True, exclude_none=False)`:
Shift4Shop's records are flat, so each path is a single field name.
"""

from integrations.providers.base import FieldSpec

_ADDRESS = [
    ("Company", "company", "string"),
    ("FirstName", "first name", "string"),
    ("LastName", "last name", "string"),
    ("Address1", "address line 1", "string"),
    ("Address2", "address line 2", "string"),
    ("City", "city", "string"),
    ("State", "state", "string"),
    ("ZipCode", "ZIP / postal code", "string"),
    ("Country", "country", "string"),
    ("PhoneNumber", "phone", "phone"),
]


def catalogue(connection=None) -> list[FieldSpec]:
    """The fields are fixed (no custom fields beyond AdditionalField1..3): `connection` is
    accepted for the common signature and not needed."""
    specs = [
        FieldSpec("CustomerID", "Customer ID", "integer", read_only=True),
        FieldSpec("Email", "E-mail", "email", required=True, help_text="At most 100 characters."),
    ]
    for side in ("Billing", "Shipping"):
        specs += [
            FieldSpec(f"{side}{name}", f"{side} {label}", kind) for name, label, kind in _ADDRESS
        ]
        if side == "Billing":
            specs.append(FieldSpec("BillingTaxID", "Billing tax ID", "string"))
    specs += [
        FieldSpec(
            "ShippingAddressType",
            "Shipping address type",
            "integer",
            help_text="Shift4Shop's code for a residential or commercial address.",
        ),
        FieldSpec("CustomerGroupID", "Customer group", "integer", help_text="0 = no group."),
        FieldSpec("Enabled", "Enabled", "boolean"),
        FieldSpec("MailList", "On the mailing list", "boolean"),
        FieldSpec("NonTaxable", "Tax exempt", "boolean"),
        FieldSpec("DisableBillingSameAsShipping", "Billing differs from shipping", "boolean"),
        FieldSpec("Comments", "Comments", "string", help_text="The customer's one note."),
        FieldSpec("AdditionalField1", "Additional field 1", "string", custom=True),
        FieldSpec("AdditionalField2", "Additional field 2", "string", custom=True),
        FieldSpec("AdditionalField3", "Additional field 3", "string", custom=True),
        FieldSpec("TotalStoreCredit", "Store credit", "number"),
        FieldSpec(
            "Password",
            "Password",
            "string",
            help_text=(
                "Write-only, never read back. Shift4Shop needs one to create a customer: "
                "when none is mapped, an unguessable one is set (the customer can reset it)."
            ),
            extra={"write_only": True},
        ),
    ]
    return specs
