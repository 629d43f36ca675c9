"""Location-level reference data the contact sync needs: custom field definitions
(GET /locations/{locationId}/customFields, scope locations/customFields.readonly) and users
for `assignedTo` (GET /users/?locationId=..., scope users.readonly). Shapes follow the
official SDK's Locations and Users models."""

from sandboxes.highlevel import errors
from sandboxes.highlevel.context import Ctx
from sandboxes.highlevel.validation import Checks

FIELD_KEYS = (
    "id",
    "name",
    "fieldKey",
    "placeholder",
    "dataType",
    "position",
    "picklistOptions",
    "isAllowedCustomOption",
    "locationId",
    "model",
    "dateAdded",
)


def custom_fields(ctx: Ctx, locationId: str):
    ctx.check_location(locationId)
    model = ctx.arg("model") or "all"
    if model not in ("contact", "opportunity", "all"):
        raise errors.unprocessable(
            ["model must be one of the following values: contact, opportunity, all"]
        )
    definitions = [
        d for d in ctx.data.custom_fields.get(locationId, []) if model in ("all", d["model"])
    ]
    return 200, {
        "customFields": [{key: d[key] for key in FIELD_KEYS if key in d} for d in definitions]
    }


def users(ctx: Ctx):
    checks = Checks({"locationId": ctx.arg("locationId")}, strict=False)
    location_id = checks.string("locationId", required=True)
    checks.done()
    ctx.check_location(location_id)
    found = [
        user for user in ctx.data.users.values() if location_id in user["roles"]["locationIds"]
    ]
    return 200, {"users": found}
