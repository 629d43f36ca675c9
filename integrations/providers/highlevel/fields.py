"""The HighLevel contact fields, for the mapping editor.

Paths are the keys of `Contact.model_dump()` (schemas.py). HighLevel requires no field to
create a contact (the client adds `locationId`); e-mail, then phone, is how the location's
duplicate rule and upsert recognise a contact. Read-only fields are ones HighLevel fills
in or that the contact endpoints do not accept. With a connection, the location's own
custom fields follow as `customFields.<id>` (what a contact's `customFields` list holds is
[{id, value}], and `CustomFieldInput(id=..., field_value=...)` writes one).
"""

from integrations.models import Connection
from integrations.providers.base import FieldSpec
from integrations.providers.highlevel.client import HighLevelClient

S = "string"
CREATE_ONLY = "Set when a contact is created; HighLevel refuses it on update."
CONTACT_FIELDS = (
    FieldSpec("id", "Contact ID", S, read_only=True),
    FieldSpec("locationId", "Location ID", S, read_only=True),
    FieldSpec("firstName", "First name", S),
    FieldSpec("lastName", "Last name", S),
    FieldSpec(
        "name",
        "Full name",
        S,
        help_text="Accepted on writes, but HighLevel answers with first and last name only.",
    ),
    FieldSpec(
        "email",
        "E-mail",
        "email",
        help_text="Unique per location unless duplicates are allowed; upsert matches it first.",
    ),
    FieldSpec(
        "phone",
        "Phone",
        "phone",
        help_text="Stored in E.164 (+15125550123); upsert matches it after the e-mail.",
    ),
    FieldSpec("companyName", "Company name", S, help_text=CREATE_ONLY),
    FieldSpec("address1", "Street address", S),
    FieldSpec("city", "City", S),
    FieldSpec("state", "State / region", S),
    FieldSpec("postalCode", "Postal code", S),
    FieldSpec("country", "Country", S, help_text="ISO 3166-1 alpha-2 code, e.g. US."),
    FieldSpec("website", "Website", S),
    FieldSpec("timezone", "Time zone", S, help_text="IANA name, e.g. America/Chicago."),
    FieldSpec("dnd", "Do not disturb (all channels)", "boolean"),
    FieldSpec(
        "dndSettings",
        "Do-not-disturb per channel",
        "object",
        help_text="{Call|Email|SMS|WhatsApp|GMB|FB: {status: active|inactive|permanent}}.",
    ),
    FieldSpec(
        "tags",
        "Tags",
        "list",
        help_text="Writing tags replaces them all; HighLevel lower-cases them.",
    ),
    FieldSpec("source", "Source", S),
    FieldSpec("type", "Contact type", S, read_only=True, choices=("lead", "customer")),
    FieldSpec("dateOfBirth", "Date of birth", "date"),
    FieldSpec("gender", "Gender", S, help_text=CREATE_ONLY),
    FieldSpec(
        "businessId",
        "Business ID",
        S,
        read_only=True,
        help_text="Set through HighLevel's bulk business endpoint, not the contact.",
    ),
    FieldSpec("assignedTo", "Assigned user ID", S),
    FieldSpec("additionalEmails", "Additional e-mails", "list", read_only=True),
    FieldSpec("additionalPhones", "Additional phones", "list", read_only=True),
    FieldSpec("followers", "Follower user IDs", "list", read_only=True),
    FieldSpec("dateAdded", "Created", "datetime", read_only=True),
    FieldSpec("dateUpdated", "Last updated", "datetime", read_only=True),
    FieldSpec(
        "notes",
        "Notes",
        "list",
        help_text=(
            "The contact's notes, one entry per note. Not a field of the contact itself: a "
            "flow reads them from the contact's notes and writes new entries as new notes."
        ),
        extra={"supplied_by_sync": True},
    ),
)
# HighLevel's custom field dataType -> FieldSpec.type.
CUSTOM_FIELD_TYPES = {
    "TEXT": S,
    "LARGE_TEXT": S,
    "TEXTBOX_LIST": "list",
    "SINGLE_OPTIONS": S,
    "RADIO": S,
    "MULTIPLE_OPTIONS": "list",
    "CHECKBOX": "list",
    "NUMERICAL": "number",
    "MONETORY": "number",  # sic: HighLevel's spelling
    "DATE": "date",
    "PHONE": "phone",
    "EMAIL": "email",
    "FILE_UPLOAD": "object",
    "SIGNATURE": "object",
}


def custom_field_spec(field) -> FieldSpec:
    """One location custom field (schemas.CustomField) as a FieldSpec."""
    options = field.picklistOptions or []
    return FieldSpec(
        path=f"customFields.{field.id}",
        label=field.name or field.fieldKey or field.id,
        type=CUSTOM_FIELD_TYPES.get(field.dataType or "", S),
        custom=True,
        choices=tuple(str(option) for option in options if isinstance(option, str | int)),
        help_text=field.fieldKey or "",
        extra={
            "id": field.id,
            "fieldKey": field.fieldKey,
            "dataType": field.dataType,
            "picklistOptions": list(options),
        },
    )


def catalogue(connection: Connection | None = None) -> list[FieldSpec]:
    """Every contact field, plus the location's contact custom fields when a connection
    is given (one GET /locations/{id}/customFields; needs locations/customFields.readonly)."""
    fields = list(CONTACT_FIELDS)
    if connection is not None:
        custom = HighLevelClient(connection).list_custom_fields()
        fields += [custom_field_spec(f) for f in custom if f.model in (None, "contact")]
    return fields
