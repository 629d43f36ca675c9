"""Cin7 Core <-> HighLevel. A Cin7 customer is a company (`Name`, unique, required) whose
people are `Contacts[]` and whose addresses are `Addresses[]`; `Tags` is comma-separated text
and `Comments` the note. Creating needs Currency, PaymentTerm, TaxRule and PriceTier too: the
preset leaves those to the connection's defaults (set them as constants in your copy)."""

from mappings.presets.rules import (
    AS_LIST,
    EMAIL,
    HL_TAGS,
    NOTES_TO_TEXT,
    PHONE,
    TRIM,
    UNMAPPED,
    UPPER,
    field,
    mapping,
    rule,
    step,
    template,
)

TO_HIGHLEVEL = mapping(
    "cin7",
    "highlevel",
    [
        rule("email", "email", field("Contacts.0.Email"), EMAIL, required=True),
        rule("first-name", "firstName", field("Contacts.0.Name"), step("split_name", part="first")),
        rule("last-name", "lastName", field("Contacts.0.Name"), step("split_name", part="last")),
        rule(
            "phone",
            "phone",
            field("Contacts.0.Phone"),
            step("first_non_empty", fields=["Contacts.0.MobilePhone"]),
            PHONE,
        ),
        rule("company", "companyName", field("Name"), TRIM),
        rule(
            "address",
            "address1",
            field("Addresses.0.Line1"),
            step("join", fields=["Addresses.0.Line2"], separator=", "),
        ),
        rule("city", "city", field("Addresses.0.City"), TRIM),
        rule("state", "state", field("Addresses.0.State"), TRIM),
        rule("postal-code", "postalCode", field("Addresses.0.Postcode"), TRIM),
        rule("country", "country", field("Addresses.0.Country"), TRIM),
        rule("tags", "tags", field("Tags"), HL_TAGS, mode="append"),
        rule("notes", "notes", field("Comments"), TRIM, AS_LIST, mode="append"),
        rule("business", "businessId", field("Name"), TRIM, UNMAPPED),
    ],
    name="Cin7 Core customers to HighLevel contacts",
    description="First contact person to contact, customer Name to company, Tags to tags.",
)

FROM_HIGHLEVEL = mapping(
    "highlevel",
    "cin7",
    [
        rule(
            "name",
            "Name",
            field("companyName"),
            TRIM,
            step("default", template="{firstName} {lastName}"),
            required=True,
        ),
        rule("status", "Status", {"kind": "constant", "value": "Active"}, mode="create_only"),
        rule("contact-name", "Contacts.0.Name", template("{firstName} {lastName}")),
        rule("email", "Contacts.0.Email", field("email"), EMAIL, required=True),
        rule("phone", "Contacts.0.Phone", field("phone"), PHONE),
        rule("address", "Addresses.0.Line1", field("address1"), TRIM),
        rule("city", "Addresses.0.City", field("city"), TRIM),
        rule("state", "Addresses.0.State", field("state"), TRIM),
        rule("postal-code", "Addresses.0.Postcode", field("postalCode"), TRIM),
        rule("country", "Addresses.0.Country", field("country"), TRIM, UPPER),
        rule(
            "address-type",
            "Addresses.0.Type",
            {"kind": "constant", "value": "Billing"},
            mode="create_only",
        ),
        rule("tags", "Tags", field("tags"), step("list_to_string", separator=",")),
        rule("notes", "Comments", field("notes"), NOTES_TO_TEXT, mode="append"),
    ],
    name="HighLevel contacts to Cin7 Core customers",
    description="Company (or the person) to customer Name, the person to the first contact.",
)
