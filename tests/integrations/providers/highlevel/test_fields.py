"""The HighLevel field catalogue: the contact fields, and a location's custom fields."""

import pytest

from integrations.errors import MissingScopeError
from integrations.providers.base import FieldSpec
from integrations.providers.highlevel import fields
from integrations.providers.highlevel.schemas import Contact, ContactInput
from sandboxes.highlevel.seed import CUSTOM_FIELDS


def test_every_contact_field_is_in_the_catalogue():
    paths = [spec.path for spec in fields.catalogue()]
    assert len(paths) == len(set(paths))
    custom = {"customFields"}  # listed one by one, per location
    by_sync = {"notes"}  # the contact's notes: their own endpoint, written by a flow
    assert set(Contact.model_fields) - custom == set(paths) - by_sync
    assert all(isinstance(spec, FieldSpec) and spec.label for spec in fields.catalogue())


def test_what_the_client_cannot_write_is_read_only():
    writable = set(ContactInput.model_fields)
    for spec in fields.catalogue():
        if not spec.read_only and not spec.extra.get("supplied_by_sync"):
            assert spec.path in writable, spec.path
    by_path = {spec.path: spec for spec in fields.catalogue()}
    assert by_path["email"].type == "email" and by_path["phone"].type == "phone"
    assert by_path["tags"].type == "list" and by_path["dnd"].type == "boolean"
    assert by_path["dateAdded"].read_only and by_path["businessId"].read_only
    assert not any(spec.required for spec in fields.catalogue())  # HighLevel needs none


def test_with_a_connection_the_locations_custom_fields_follow(hl_app, pit_connection):
    connection = pit_connection()
    catalogue = fields.catalogue(connection)
    custom = [spec for spec in catalogue if spec.custom]
    assert catalogue[: len(fields.CONTACT_FIELDS)] == list(fields.CONTACT_FIELDS)

    seeded = hl_app.data.custom_fields[connection.settings["location_id"]]
    assert [spec.path for spec in custom] == [f"customFields.{d['id']}" for d in seeded]
    assert [spec.label for spec in custom] == [name for _, name, _, _ in CUSTOM_FIELDS]
    by_key = {spec.extra["fieldKey"]: spec for spec in custom}

    colour = by_key["contact.favourite_colour"]
    assert colour.type == "string" and colour.choices == ("Red", "Green", "Blue", "Yellow")
    assert colour.extra["dataType"] == "SINGLE_OPTIONS"
    assert colour.extra["picklistOptions"] == ["Red", "Green", "Blue", "Yellow"]
    assert colour.extra["id"] == colour.path.removeprefix("customFields.")
    assert by_key["contact.customer_since"].type == "date"
    assert by_key["contact.order_count"].type == "number"
    assert by_key["contact.lifetime_value"].type == "number"
    assert by_key["contact.preferred_channels"].type == "list"
    assert by_key["contact.loyalty_number"].type == "string"


def test_custom_fields_need_their_scope(oauth_connection):
    connection = oauth_connection(scopes=["contacts.readonly"])
    with pytest.raises(MissingScopeError):
        fields.catalogue(connection)
