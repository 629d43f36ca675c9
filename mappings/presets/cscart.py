"""CS-Cart <-> HighLevel. Users have first/last name, phone and company at the top level;
segmentation is by user groups (many per user, returned as a hash keyed by usergroup_id with a
status, attached by the sync); there are no notes on users. The billing address columns
(`b_*`) can be written but the users API does not return them, so addresses go to CS-Cart
only (docs/providers/cscart.md)."""

from mappings.presets.rules import (
    EMAIL,
    HL_TAGS,
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
    "cscart",
    "highlevel",
    [
        rule("email", "email", field("email"), EMAIL, required=True),
        rule("first-name", "firstName", field("firstname"), TRIM),
        rule("last-name", "lastName", field("lastname"), TRIM),
        rule("phone", "phone", field("phone"), PHONE),
        rule("company", "companyName", field("company"), TRIM),
        rule(
            "group-tags",
            "tags",
            field("usergroups"),
            step("to_tags", key="usergroup_id", status="A", prefix="cscart-group-"),
            HL_TAGS,
            mode="append",
        ),
        rule("business", "businessId", field("company"), TRIM, UNMAPPED),
    ],
    name="CS-Cart customers to HighLevel contacts",
    description="User and billing address to contact, active user groups to tags.",
)

FROM_HIGHLEVEL = mapping(
    "highlevel",
    "cscart",
    [
        rule("email", "email", field("email"), EMAIL, required=True),
        rule("user-type", "user_type", {"kind": "constant", "value": "C"}, mode="create_only"),
        rule("first-name", "firstname", field("firstName"), TRIM),
        rule("last-name", "lastname", field("lastName"), TRIM),
        rule("phone", "phone", field("phone"), PHONE),
        rule("company", "company", field("companyName"), TRIM),
        rule("b-first-name", "b_firstname", field("firstName"), TRIM),
        rule("b-last-name", "b_lastname", field("lastName"), TRIM),
        rule("address", "b_address", field("address1"), TRIM),
        rule("city", "b_city", field("city"), TRIM),
        rule("state", "b_state", field("state"), TRIM),
        rule("postal-code", "b_zipcode", field("postalCode"), TRIM),
        rule("country", "b_country", field("country"), TRIM, UPPER),
        rule("b-phone", "b_phone", field("phone"), PHONE),
    ],
    name="HighLevel contacts to CS-Cart customers",
    description="Contact to customer (user_type C) with billing address. CS-Cart users have "
    "no notes; tags to user groups needs the group ids, so it is left to you.",
)
