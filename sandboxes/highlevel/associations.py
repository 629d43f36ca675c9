"""A contact's tags, followers, campaigns and workflows, and the two bulk endpoints.

POST/DELETE tags answer `tags` (the contact's tags afterwards) plus `tagsAdded` or
`tagsRemoved` (what actually changed), as the live recordings show. The DELETE bodies are
JSON, like the live API's. Campaign "remove all" is `removeAll` under 2021-07-28 and
`remove-all` under v3: under the other version the word is just a campaign ID."""

from sandboxes.highlevel import errors
from sandboxes.highlevel.contacts import update_contact
from sandboxes.highlevel.context import Ctx
from sandboxes.highlevel.validation import Checks, normalise_tags

SUCCESS = {"succeded": True, "succeeded": True}


def _list_body(ctx: Ctx, name: str) -> list[str]:
    checks = Checks(ctx.body(), allowed={name}, strict=ctx.config.strict_properties)
    values = checks.strings(name, required=True)
    checks.done()
    return values or []


def add_tags(ctx: Ctx, contactId: str):
    contact = ctx.contact(contactId)
    wanted = normalise_tags(_list_body(ctx, "tags"), ctx.config.normalise_tags)
    added = [tag for tag in wanted if tag not in contact["tags"]]
    if added:
        contact = update_contact(ctx.app, contact, {"tags": contact["tags"] + added}, ctx.actor())
    return ctx.created, {"tags": contact["tags"], "tagsAdded": added}


def remove_tags(ctx: Ctx, contactId: str):
    contact = ctx.contact(contactId)
    unwanted = normalise_tags(_list_body(ctx, "tags"), ctx.config.normalise_tags)
    removed = [tag for tag in contact["tags"] if tag in unwanted]
    if removed:
        kept = [tag for tag in contact["tags"] if tag not in removed]
        contact = update_contact(ctx.app, contact, {"tags": kept}, ctx.actor())
    return 200, {"tags": contact["tags"], "tagsRemoved": removed}


def add_followers(ctx: Ctx, contactId: str):
    contact = ctx.contact(contactId)
    wanted = _list_body(ctx, "followers")
    current = contact.get("followers", [])
    added = [user for user in dict.fromkeys(wanted) if user not in current]
    if added:
        contact = update_contact(ctx.app, contact, {"followers": current + added}, ctx.actor())
    return ctx.created, {"followers": contact.get("followers", []), "followersAdded": added}


def remove_followers(ctx: Ctx, contactId: str):
    contact = ctx.contact(contactId)
    unwanted = set(_list_body(ctx, "followers"))
    current = contact.get("followers", [])
    removed = [user for user in current if user in unwanted]
    if removed:
        kept = [user for user in current if user not in unwanted]
        contact = update_contact(ctx.app, contact, {"followers": kept}, ctx.actor())
    return 200, {"followers": contact.get("followers", []), "followersRemoved": removed}


def _set_memberships(ctx: Ctx, contact: dict, key: str, values: list[str]) -> None:
    """Campaigns and workflows are not contact fields: no dateUpdated, no webhook."""
    ctx.data.save_contact({**contact, key: values})


def add_to_campaign(ctx: Ctx, contactId: str, campaignId: str):
    contact = ctx.contact(contactId)
    Checks(ctx.body(), allowed=set(), strict=ctx.config.strict_properties).done()
    campaigns = contact.get("campaigns", [])
    if campaignId not in campaigns:
        _set_memberships(ctx, contact, "campaigns", [*campaigns, campaignId])
    return ctx.created, dict(SUCCESS)


def remove_from_campaign(ctx: Ctx, contactId: str, campaignId: str):
    contact = ctx.contact(contactId)
    remove_all = "remove-all" if ctx.version == "v3" else "removeAll"
    campaigns = contact.get("campaigns", [])
    kept = [] if campaignId == remove_all else [c for c in campaigns if c != campaignId]
    if kept != campaigns:
        _set_memberships(ctx, contact, "campaigns", kept)
    return 200, dict(SUCCESS)


def _workflow_body(ctx: Ctx) -> None:
    checks = Checks(ctx.body(), allowed={"eventStartTime"}, strict=ctx.config.strict_properties)
    checks.iso_date("eventStartTime")
    checks.done()


def add_to_workflow(ctx: Ctx, contactId: str, workflowId: str):
    contact = ctx.contact(contactId)
    _workflow_body(ctx)
    workflows = contact.get("workflows", [])
    if workflowId not in workflows:
        _set_memberships(ctx, contact, "workflows", [*workflows, workflowId])
    return 200, dict(SUCCESS)


def remove_from_workflow(ctx: Ctx, contactId: str, workflowId: str):
    contact = ctx.contact(contactId)
    _workflow_body(ctx)
    workflows = contact.get("workflows", [])
    if workflowId in workflows:
        _set_memberships(ctx, contact, "workflows", [w for w in workflows if w != workflowId])
    return 200, dict(SUCCESS)


def _bulk_result(native: bool, contact_id: str, message: str, kind: str, **extra) -> dict | str:
    """One entry of `responses`: an object as the spec's example shows (native types), or
    the string its schema asks for."""
    if native:
        return {"contactId": contact_id, "message": message, "type": kind, **extra}
    return f"{contact_id}: {message}"


def bulk_tags(ctx: Ctx, type: str):
    allowed = {"contacts", "tags", "locationId", "removeAllTags"}
    checks = Checks(ctx.body(), allowed=allowed, strict=ctx.config.strict_properties)
    ids = checks.strings("contacts", required=True)
    tags = checks.strings("tags", required=True)
    location_id = checks.string("locationId", required=True)
    remove_all = checks.boolean("removeAllTags")
    if type not in ("add", "remove"):
        checks.errors.append("type must be one of the following values: add, remove")
    checks.done()
    ctx.check_location(location_id)
    tags = normalise_tags(tags or [], ctx.config.normalise_tags)
    responses, failures = [], 0
    for contact_id in ids or []:
        contact = ctx.data.contacts.get(contact_id)
        if contact is None or contact["locationId"] != location_id:
            failures += 1
            reason = (
                "contact not found" if contact is None else "contact does not belong to location"
            )
            responses.append(_bulk_result(ctx.native, contact_id, reason, "error"))
            continue
        old = list(contact["tags"])
        if type == "add":
            new = old + [tag for tag in tags if tag not in old]
        else:
            new = [] if remove_all else [tag for tag in old if tag not in tags]
        if new != old:
            update_contact(ctx.app, contact, {"tags": new}, ctx.actor())
        responses.append(
            _bulk_result(
                ctx.native,
                contact_id,
                "Tags updated",
                "success",
                oldTags=old,
                tagsAdded=[t for t in new if t not in old],
                tagsRemoved=[t for t in old if t not in new],
            )
        )
    return ctx.created, {**SUCCESS, "errorCount": failures, "responses": responses}


def bulk_business(ctx: Ctx):
    checks = Checks(
        ctx.body(), allowed={"locationId", "ids", "businessId"}, strict=ctx.config.strict_properties
    )
    location_id = checks.string("locationId", required=True)
    ids = checks.strings("ids", required=True)
    if not checks.has("businessId"):
        checks.errors.append("businessId must be a string")
    business_id = checks.string("businessId")
    if ids and any(len(i) > 50 for i in ids):
        checks.errors.append("each value in ids must be shorter than or equal to 50 characters")
    checks.done()
    ctx.check_location(location_id)
    business = ctx.data.businesses.get(business_id) if business_id else None
    if business_id and (business is None or business["locationId"] != location_id):
        raise errors.bad_request("Business not found")
    updated = []
    for contact_id in ids or []:
        contact = ctx.data.contact_in(location_id, contact_id)
        if contact is not None:
            update_contact(ctx.app, contact, {"businessId": business_id}, ctx.actor())
            updated.append(contact_id)
    return 200, {"success": True, "ids": updated}
