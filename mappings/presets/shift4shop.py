"""Shift4Shop <-> HighLevel. Names and phone live only in the flat Billing*/Shipping* fields;
one CustomerGroupID and one free-text `Comments` note."""

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
)

TO_HIGHLEVEL = mapping(
    "shift4shop",
    "highlevel",
    [
        rule("email", "email", field("Email"), EMAIL, required=True),
        rule("first-name", "firstName", field("BillingFirstName"), TRIM),
        rule("last-name", "lastName", field("BillingLastName"), TRIM),
        rule("phone", "phone", field("BillingPhoneNumber"), PHONE),
        rule("company", "companyName", field("BillingCompany"), TRIM),
        rule(
            "address",
            "address1",
            field("BillingAddress1"),
            step("join", fields=["BillingAddress2"], separator=", "),
        ),
        rule("city", "city", field("BillingCity"), TRIM),
        rule("state", "state", field("BillingState"), TRIM),
        rule("postal-code", "postalCode", field("BillingZipCode"), TRIM),
        rule("country", "country", field("BillingCountry"), TRIM, UPPER),
        rule(
            "group-tag",
            "tags",
            field("CustomerGroupID"),
            UNMAPPED,
            HL_TAGS,
            mode="append",
            condition={"field": "CustomerGroupID", "op": "greater_than", "value": 0},
        ),
        rule("notes", "notes", field("Comments"), TRIM, AS_LIST, mode="append"),
        rule("business", "businessId", field("BillingCompany"), TRIM, UNMAPPED),
    ],
    name="Shift4Shop customers to HighLevel contacts",
    description="Billing fields to contact, customer group to a tag, Comments to notes.",
)

FROM_HIGHLEVEL = mapping(
    "highlevel",
    "shift4shop",
    [
        rule("email", "Email", field("email"), EMAIL, required=True),
        rule("first-name", "BillingFirstName", field("firstName"), TRIM),
        rule("last-name", "BillingLastName", field("lastName"), TRIM),
        rule("phone", "BillingPhoneNumber", field("phone"), PHONE),
        rule("company", "BillingCompany", field("companyName"), TRIM),
        rule("address", "BillingAddress1", field("address1"), TRIM),
        rule("city", "BillingCity", field("city"), TRIM),
        rule("state", "BillingState", field("state"), TRIM),
        rule("postal-code", "BillingZipCode", field("postalCode"), TRIM),
        rule("country", "BillingCountry", field("country"), TRIM, UPPER),
        rule("group", "CustomerGroupID", field("tags"), FIRST_TAG_MAPPED),
        rule("notes", "Comments", field("notes"), NOTES_TO_TEXT, mode="append"),
    ],
    name="HighLevel contacts to Shift4Shop customers",
    description="Contact to billing fields; the first tag found in the table picks the group.",
)
