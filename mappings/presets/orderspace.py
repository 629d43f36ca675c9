"""Orderspace <-> HighLevel. An Orderspace customer is a company (`company_name`, required)
with one buyer (`buyers[0]`, whose e-mail is unique) and a list of addresses; there are no
first/last names, no tags, one customer group and one `internal_note`."""

from mappings.presets.rules import (
    AS_LIST,
    EMAIL,
    FIRST_TAG_MAPPED,
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
    "orderspace",
    "highlevel",
    [
        rule("email", "email", field("buyers.0.email_address"), EMAIL, required=True),
        rule("first-name", "firstName", field("buyers.0.name"), step("split_name", part="first")),
        rule("last-name", "lastName", field("buyers.0.name"), step("split_name", part="last")),
        rule("phone", "phone", field("phone"), PHONE),
        rule("company", "companyName", field("company_name"), TRIM),
        rule(
            "address",
            "address1",
            field("addresses.0.line1"),
            step("join", fields=["addresses.0.line2"], separator=", "),
        ),
        rule("city", "city", field("addresses.0.city"), TRIM),
        rule("state", "state", field("addresses.0.state"), TRIM),
        rule("postal-code", "postalCode", field("addresses.0.postal_code"), TRIM),
        rule("country", "country", field("addresses.0.country"), TRIM, UPPER),
        rule("group-tag", "tags", field("customer_group_id"), UNMAPPED, HL_TAGS, mode="append"),
        rule("notes", "notes", field("internal_note"), TRIM, AS_LIST, mode="append"),
        rule("business", "businessId", field("company_name"), TRIM, UNMAPPED),
    ],
    name="Orderspace customers to HighLevel contacts",
    description="Buyer to contact (name split), company, first address, group to a tag.",
)

FROM_HIGHLEVEL = mapping(
    "highlevel",
    "orderspace",
    [
        rule("email", "buyers.0.email_address", field("email"), EMAIL, required=True),
        rule("buyer-name", "buyers.0.name", template("{firstName} {lastName}")),
        rule(
            "company",
            "company_name",
            field("companyName"),
            TRIM,
            step("default", template="{firstName} {lastName}"),
            required=True,
        ),
        rule("phone", "phone", field("phone"), PHONE),
        rule("contact-name", "addresses.0.contact_name", template("{firstName} {lastName}")),
        rule("address", "addresses.0.line1", field("address1"), TRIM),
        rule("city", "addresses.0.city", field("city"), TRIM),
        rule("state", "addresses.0.state", field("state"), TRIM),
        rule("postal-code", "addresses.0.postal_code", field("postalCode"), TRIM),
        rule("country", "addresses.0.country", field("country"), TRIM, UPPER),
        rule("group", "customer_group_id", field("tags"), FIRST_TAG_MAPPED),
        rule("notes", "internal_note", field("notes"), NOTES_TO_TEXT, mode="append"),
    ],
    name="HighLevel contacts to Orderspace customers",
    description="Contact to buyer and company (the person's name when there is no company).",
)
