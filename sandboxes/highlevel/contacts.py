"""Contact create/read/update/delete and upsert, and the webhooks their changes fire.

The location's duplicate rule (Config.allow_duplicate_contact, Config.duplicate_priority)
decides what counts as the same person: with duplicates disallowed, creating or updating a
contact onto another contact's e-mail or phone is refused with HighLevel's 400 "This
location does not allow duplicated contacts.", and upsert updates the contact matched by
the first field in the priority order, leaving out a second field that belongs to someone
else. Which webhook a change fires: ContactTagUpdate when tags changed, ContactDndUpdate
when dnd/dndSettings changed, ContactUpdate when any other field changed."""

from sandboxes.highlevel import errors
from sandboxes.highlevel import serializers as out
from sandboxes.highlevel.context import Ctx
from sandboxes.highlevel.host import Sandbox
from sandboxes.highlevel.records import iso, new_id, now_ms
from sandboxes.highlevel.validation import parse_contact_input

QUIET_FIELDS = ("dateUpdated", "lastUpdatedBy")
TAG_FIELDS = ("tags",)
DND_FIELDS = ("dnd", "dndSettings")


def _merge(contact: dict, changes: dict) -> dict:
    result = dict(contact)
    for key, value in changes.items():
        if key == "customFields":
            values = dict(result.get("customFields", {}))
            for field_id, field_value in value.items():
                if field_value is None:
                    values.pop(field_id, None)
                else:
                    values[field_id] = field_value
            result["customFields"] = values
        elif value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def emit_changes(app: Sandbox, before: dict, after: dict) -> None:
    changed = {key for key in set(before) | set(after) if before.get(key) != after.get(key)}
    changed -= set(QUIET_FIELDS)
    location = after["locationId"]
    if changed & set(TAG_FIELDS):
        app.webhooks.emit("ContactTagUpdate", location, out.contact_event(after))
    if changed & set(DND_FIELDS):
        app.webhooks.emit("ContactDndUpdate", location, out.contact_event(after, with_dnd=True))
    if changed - set(TAG_FIELDS) - set(DND_FIELDS):
        app.webhooks.emit("ContactUpdate", location, out.contact_event(after))


def find_duplicate(app: Sandbox, location_id: str, changes: dict, exclude: str | None = None):
    """(contact, field) of an existing contact holding one of the unique fields in `changes`."""
    for field in app.config.duplicate_priority:
        if changes.get(field):
            match = app.data.matching(location_id, field, changes[field])
            if match is not None and match["id"] != exclude:
                return match, field
    return None, None


def refuse_duplicate(
    app: Sandbox, location_id: str, changes: dict, exclude: str | None = None
) -> None:
    if app.config.allow_duplicate_contact:
        return
    match, field = find_duplicate(app, location_id, changes, exclude)
    if match is not None:
        raise errors.bad_request(
            "This location does not allow duplicated contacts.",
            meta={
                "contactName": out.full_name(match),
                "contactId": match["id"],
                "matchingField": field,
            },
        )


def create_contact(
    app: Sandbox, location_id: str, changes: dict, actor: dict, *, emit: bool = True
) -> dict:
    now = iso(now_ms())
    contact = {
        "id": new_id(),
        "locationId": location_id,
        "country": "US",  # the live API defaults it
        "dnd": False,
        "type": "lead",
        "tags": [],
        "customFields": {},
        "additionalEmails": [],
        "additionalPhones": [],
        "followers": [],
    }
    contact = _merge(contact, changes)
    contact.update(dateAdded=now, dateUpdated=now, createdBy={**actor, "timestamp": now})
    contact["lastUpdatedBy"] = contact["createdBy"]
    app.data.save_contact(contact)
    if emit:
        app.webhooks.emit("ContactCreate", location_id, out.contact_event(contact))
    return contact


def update_contact(
    app: Sandbox, contact: dict, changes: dict, actor: dict, *, emit: bool = True
) -> dict:
    """Apply `changes`. dateUpdated moves even when nothing changed (as a database write
    does), but webhooks fire only for real changes."""
    merged = _merge(contact, changes)
    now = iso(now_ms())
    merged.update(dateUpdated=now, lastUpdatedBy={**actor, "timestamp": now})
    app.data.save_contact(merged)
    if emit:
        emit_changes(app, contact, merged)
    return merged


def delete_contact(app: Sandbox, contact: dict, *, emit: bool = True) -> None:
    app.data.delete_contact(contact["id"])
    if emit:
        app.webhooks.emit("ContactDelete", contact["locationId"], out.contact_event(contact))


def _parse(ctx: Ctx, mode: str) -> dict:
    return parse_contact_input(
        ctx.body(),
        mode=mode,
        version=ctx.version,
        strict=ctx.config.strict_properties,
        definitions=ctx.data.custom_fields.get(ctx.location_id, []),
        lower_tags=ctx.config.normalise_tags,
    )


# Handlers.


def get_contact(ctx: Ctx, contactId: str):
    return 200, {"contact": out.contact_out(ctx.contact(contactId), ctx.version, ctx.native)}


def create(ctx: Ctx):
    changes = _parse(ctx, "create")
    location_id = changes.pop("locationId")
    ctx.check_location(location_id)
    refuse_duplicate(ctx.app, location_id, changes)
    contact = create_contact(ctx.app, location_id, changes, ctx.actor())
    return ctx.created, {"contact": out.created_contact_out(contact, ctx.version, ctx.native)}


def update(ctx: Ctx, contactId: str):
    contact = ctx.contact(contactId)
    changes = _parse(ctx, "update")
    refuse_duplicate(ctx.app, contact["locationId"], changes, exclude=contact["id"])
    contact = update_contact(ctx.app, contact, changes, ctx.actor())
    body = {
        "succeded": True,
        "succeeded": True,
        "contact": out.contact_out(contact, ctx.version, ctx.native),
    }
    return 200, body


def delete(ctx: Ctx, contactId: str):
    delete_contact(ctx.app, ctx.contact(contactId))
    return 200, {"succeded": True, "succeeded": True}


def upsert(ctx: Ctx):
    changes = _parse(ctx, "upsert")
    create_new = changes.pop("createNewIfDuplicateAllowed")
    location_id = changes.pop("locationId")
    ctx.check_location(location_id)
    app = ctx.app
    match = None
    if not (app.config.allow_duplicate_contact and create_new):
        match, matched_field = find_duplicate(app, location_id, changes)
    if match is None:
        contact = create_contact(app, location_id, changes, ctx.actor())
    else:
        if not app.config.allow_duplicate_contact:
            # The second field would make a duplicate of another contact: it is ignored.
            for field in app.config.duplicate_priority:
                if field != matched_field and changes.get(field):
                    other = app.data.matching(location_id, field, changes[field])
                    if other is not None and other["id"] != match["id"]:
                        changes.pop(field)
        contact = update_contact(app, match, changes, ctx.actor())
    return 200, {
        "new": match is None,
        "succeded": True,
        "succeeded": True,
        "contact": out.contact_out(contact, ctx.version, ctx.native),
    }
