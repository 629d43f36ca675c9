"""Ecwid <-> HighLevel. Ecwid keeps the person in `billingPerson`, one customer group, and
one private note (`privateAdminNotes`); customer group 0 is "General", which is no tag."""

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
    "ecwid",
    "highlevel",
    [
        rule("email", "email", field("email"), EMAIL, required=True),
        rule("first-name", "firstName", field("billingPerson.firstName"), TRIM),
        rule("last-name", "lastName", field("billingPerson.lastName"), TRIM),
        rule("phone", "phone", field("billingPerson.phone"), PHONE),
        rule("company", "companyName", field("billingPerson.companyName"), TRIM),
        rule(
            "address",
            "address1",
            field("billingPerson.street"),
            step("regex_replace", pattern=r"\s*\n\s*", replacement=", "),
            TRIM,
        ),
        rule("city", "city", field("billingPerson.city"), TRIM),
        rule("state", "state", field("billingPerson.stateOrProvinceCode"), TRIM),
        rule("postal-code", "postalCode", field("billingPerson.postalCode"), TRIM),
        rule("country", "country", field("billingPerson.countryCode"), TRIM, UPPER),
        rule(
            "group-tag",
            "tags",
            field("customerGroupName"),
            HL_TAGS,
            mode="append",
            condition={"field": "customerGroupId", "op": "greater_than", "value": 0},
        ),
        rule("notes", "notes", field("privateAdminNotes"), TRIM, AS_LIST, mode="append"),
        rule("business", "businessId", field("billingPerson.companyName"), TRIM, UNMAPPED),
    ],
    name="Ecwid customers to HighLevel contacts",
    description="Billing person to contact, customer group to a tag, private notes to notes.",
)

FROM_HIGHLEVEL = mapping(
    "highlevel",
    "ecwid",
    [
        rule("email", "email", field("email"), EMAIL, required=True),
        rule("name", "billingPerson.name", template("{firstName} {lastName}")),
        rule("first-name", "billingPerson.firstName", field("firstName"), TRIM),
        rule("last-name", "billingPerson.lastName", field("lastName"), TRIM),
        rule("phone", "billingPerson.phone", field("phone"), PHONE),
        rule("company", "billingPerson.companyName", field("companyName"), TRIM),
        rule("address", "billingPerson.street", field("address1"), TRIM),
        rule("city", "billingPerson.city", field("city"), TRIM),
        rule("state", "billingPerson.stateOrProvinceCode", field("state"), TRIM),
        rule("postal-code", "billingPerson.postalCode", field("postalCode"), TRIM),
        rule("country", "billingPerson.countryCode", field("country"), TRIM, UPPER),
        rule("group", "customerGroupId", field("tags"), FIRST_TAG_MAPPED),
        rule("notes", "privateAdminNotes", field("notes"), NOTES_TO_TEXT, mode="append"),
    ],
    name="HighLevel contacts to Ecwid customers",
    description="Contact to billing person; the first tag found in the table picks the group.",
)
