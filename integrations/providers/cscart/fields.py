"""The field catalogue of a CS-Cart customer, for the mapping editor.

Paths are keys of `User.model_dump(mode="json", by_alias=True, exclude_none=False)`. Numbers
are strings there, as CS-Cart prints them. The address (profile) columns and custom profile
fields can be written but are not printed back by `GET /users` on most 4.x versions, so they
are marked write-only (`extra["write_only"]`): a sync may push them but must not expect to
read or compare them. CS-Cart has no API listing profile-field definitions, so custom fields
come from `settings["profile_fields"]` ({field_id: label}) when the connection names them.
"""

from integrations.providers.base import FieldSpec

WRITE_ONLY = "Written by the API but not returned by it on most CS-Cart 4.x versions."
ADDRESS = (
    ("firstname", "first name", "string"),
    ("lastname", "last name", "string"),
    ("address", "address", "string"),
    ("address_2", "address line 2", "string"),
    ("city", "city", "string"),
    ("state", "state code", "string"),
    ("country", "country code", "string"),
    ("zipcode", "ZIP/postal code", "string"),
    ("phone", "phone", "phone"),
)


def catalogue(connection=None) -> list[FieldSpec]:
    specs = [
        FieldSpec("user_id", "User ID", "integer", read_only=True, help_text="A string of digits."),
        FieldSpec("email", "E-mail", "email", required=True, help_text="Unique in the store."),
        FieldSpec("firstname", "First name", "string"),
        FieldSpec("lastname", "Last name", "string"),
        FieldSpec("phone", "Phone", "phone"),
        FieldSpec("company", "Company", "string"),
        FieldSpec(
            "status", "Status", "string", choices=("A", "D"), help_text="A active, D disabled."
        ),
        FieldSpec("user_login", "Login", "string", help_text="Defaults to user_<id>."),
        FieldSpec(
            "timestamp",
            "Created",
            "integer",
            read_only=True,
            help_text="Creation time in Unix seconds, as a string. CS-Cart keeps no update time.",
        ),
        FieldSpec(
            "user_type",
            "User type",
            "string",
            read_only=True,
            choices=("C", "A", "V"),
            help_text="C customer; only customers are synced.",
        ),
        FieldSpec("is_root", "Root administrator", "string", read_only=True, choices=("Y", "N")),
        FieldSpec(
            "company_id",
            "Storefront ID",
            "integer",
            required=True,
            help_text="Sent on create (the connection's company_id setting, else 1).",
        ),
        FieldSpec("company_name", "Storefront name", "string", read_only=True),
    ]
    for prefix, section in (("b", "Billing"), ("s", "Shipping")):
        for key, label, kind in ADDRESS:
            specs.append(
                FieldSpec(
                    f"{prefix}_{key}",
                    f"{section} {label}",
                    kind,
                    help_text=WRITE_ONLY,
                    extra={"write_only": True},
                )
            )
    specs.append(
        FieldSpec(
            "usergroups",
            "User groups",
            "object",
            help_text=(
                "The user's groups ({usergroup_id: {status}}). Not returned with the user: a "
                "flow reads them from the user's groups and adds the user to new ones."
            ),
            extra={"supplied_by_sync": True},
        )
    )
    profile_fields = (connection.settings.get("profile_fields") if connection else None) or {}
    for field_id, label in sorted(profile_fields.items(), key=lambda item: str(item[0])):
        specs.append(
            FieldSpec(
                f"fields.{field_id}",
                str(label),
                "string",
                custom=True,
                help_text=f"Profile field {field_id}. {WRITE_ONLY}",
                extra={"write_only": True},
            )
        )
    return specs
