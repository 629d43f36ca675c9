"""HighLevelClient's contact operations against the sandbox, under both API versions the
client can choose (connection.settings["api_version"]): 2021-07-28 and v3."""

import uuid

import pytest

from integrations.errors import ConfigError, NotFoundError, ValidationFailedError
from integrations.providers.highlevel.client import HighLevelClient
from integrations.providers.highlevel.schemas import (
    ContactInput,
    CustomFieldInput,
    SearchFilter,
    SearchGroup,
)
from integrations.providers.highlevel.transport import HighLevelTransport
from tests.integrations.providers.highlevel.conftest import unique_email, unique_phone

VERSIONS = ["2021-07-28", "v3"]


@pytest.fixture(params=VERSIONS)
def client(request, pit_connection, make_client) -> HighLevelClient:
    return make_client(pit_connection(api_version=request.param))


def _new(client: HighLevelClient, **fields):
    data = {"firstName": "Robin", "lastName": "Client", "email": unique_email(), **fields}
    return client.create_contact(ContactInput(**data))


def test_create_get_update_delete(client, hl_app):
    created = _new(client, phone=unique_phone(), city="Austin", tags=["Wholesale "])
    assert created.id and created.locationId == client.location_id
    assert created.tags == ["wholesale"]  # the sandbox trims and lower-cases tags

    fetched = client.get_contact(created.id)
    assert (fetched.email, fetched.city, fetched.phone) == (
        created.email,
        "Austin",
        created.phone,
    )

    # companyName is refused by PUT; the client leaves it out instead of failing the update.
    updated = client.update_contact(
        created.id, ContactInput(city="Dallas", companyName="Not Sent Ltd", website=None)
    )
    assert updated.city == "Dallas" and updated.firstName == "Robin"
    assert hl_app.data.contacts[created.id].get("companyName") is None

    client.delete_contact(created.id)
    with pytest.raises(NotFoundError):
        client.get_contact(created.id)


def test_dnd_channels_have_one_spelling_under_every_version(client, hl_app):
    """v3 spells the channels call/email/sms...; the client translates both ways."""
    created = _new(
        client, dndSettings={"Email": {"status": "active"}, "SMS": {"status": "inactive"}}
    )
    assert created.dndSettings == {"Email": {"status": "active"}, "SMS": {"status": "inactive"}}
    updated = client.update_contact(
        created.id, ContactInput(dndSettings={"Call": {"status": "permanent"}})
    )
    assert updated.dndSettings["Call"] == {"status": "permanent"}
    assert client.get_contact(created.id).dndSettings == updated.dndSettings
    # The sandbox keeps the channels in one (2021-07-28) spelling whatever version wrote them.
    assert hl_app.data.contacts[created.id]["dndSettings"] == {"Call": {"status": "permanent"}}


def test_custom_field_values_are_sent_as_field_value(client):
    fields = {f.fieldKey: f for f in client.list_custom_fields()}
    loyalty = fields["contact.loyalty_number"]
    created = _new(client, customFields=[CustomFieldInput(id=loyalty.id, field_value="LN-1")])
    assert {v.id: v.value for v in created.customFields}[loyalty.id] == "LN-1"


def test_a_duplicate_create_is_a_validation_error(client):
    email = unique_email()
    _new(client, email=email)
    with pytest.raises(ValidationFailedError, match="duplicated contacts"):
        _new(client, email=email)


def test_upsert_matches_by_email_then_phone(client):
    email, phone = unique_email(), unique_phone()
    first = client.upsert_contact(ContactInput(firstName="Up", email=email))
    assert first.new is True

    by_email = client.upsert_contact(ContactInput(email=email, city="Austin"))
    assert by_email.new is False and by_email.contact.id == first.contact.id
    assert by_email.contact.city == "Austin"

    by_phone_owner = client.upsert_contact(ContactInput(firstName="Phone", phone=phone))
    assert by_phone_owner.new is True
    # E-mail comes first: the e-mail's contact is updated and the phone (someone else's)
    # is left out rather than moved.
    both = client.upsert_contact(ContactInput(email=email, phone=phone, lastName="Both"))
    assert both.contact.id == first.contact.id and both.contact.lastName == "Both"
    assert both.contact.phone is None

    by_phone = client.upsert_contact(ContactInput(phone=phone, lastName="Matched"))
    assert by_phone.new is False and by_phone.contact.id == by_phone_owner.contact.id


def test_upsert_can_create_a_duplicate_when_the_location_allows(client, control):
    email = unique_email()
    first = client.upsert_contact(ContactInput(email=email))
    control.set(allow_duplicate_contact=True)
    second = client.upsert_contact(ContactInput(email=email), allow_duplicate=True)
    assert second.new is True and second.contact.id != first.contact.id


def test_find_duplicate(client):
    email, phone = unique_email(), unique_phone()
    by_email = _new(client, email=email)
    by_phone = _new(client, email=unique_email(), phone=phone)
    assert client.find_duplicate(email=email.upper()).id == by_email.id
    assert client.find_duplicate(phone=phone).id == by_phone.id
    assert client.find_duplicate(email=email, phone=phone).id == by_email.id  # e-mail first
    assert client.find_duplicate(email=unique_email()) is None


def test_iter_contacts_walks_every_page(client, hl_app):
    location = client.location_id
    expected = {c["id"] for c in hl_app.data.contacts.values() if c["locationId"] == location}
    seen = [contact.id for contact in client.iter_contacts(page_size=7)]
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected


def test_iter_contacts_keyset_survives_changes_while_paging(client, hl_app):
    """Records created ahead of the cursor (newest first: they sort before it) and changed
    behind it do not shift the pages still to come: nothing is skipped or repeated."""
    location = client.location_id
    before = {c["id"] for c in hl_app.data.contacts.values() if c["locationId"] == location}
    seen, added = [], []
    for index, contact in enumerate(client.iter_contacts(page_size=5)):
        seen.append(contact.id)
        if index in (3, 12):  # mid-page and on another page
            added.append(_new(client).id)
            client.update_contact(seen[0], ContactInput(city=f"Moved {index}"))
    assert len(seen) == len(set(seen))
    assert set(seen) == before  # the new ones sort before the cursor (dateAdded desc)
    assert not set(added) & set(seen)


def test_iter_contacts_ascending_by_date_updated_sees_later_changes(client):
    """Ascending by dateUpdated, a record updated mid-walk moves to the end and is seen
    (again) there: the keyset continues from the cursor, not from an offset."""
    walker = client.iter_contacts(page_size=10, sort_by="date_updated", order="asc")
    first = next(walker)
    client.update_contact(first.id, ContactInput(city="Touched"))
    rest = list(walker)
    assert rest[-1].id == first.id and rest[-1].city == "Touched"


def test_iter_contacts_with_a_query(client):
    # Letters only: the sandbox, like HighLevel, also matches a query's digits against phones.
    marker = "zq" + "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:10])
    ids = {_new(client, firstName=marker).id for _ in range(3)}
    assert {c.id for c in client.iter_contacts(query=marker, page_size=2)} == ids


def test_search_filters_by_email_phone_and_tags(client):
    phone = unique_phone()
    tag = f"tag-{unique_email()[7:15]}"
    one = _new(client, phone=phone, tags=[tag, "vip"])
    two = _new(client, tags=[tag])
    _new(client, tags=["other"])

    def ids(*filters, **kwargs):
        return [c.id for c in client.search_contacts(filters=list(filters), **kwargs)]

    assert ids(SearchFilter(field="email", operator="eq", value=one.email.upper())) == [one.id]
    assert ids(SearchFilter(field="phone", operator="eq", value=phone)) == [one.id]
    assert set(ids(SearchFilter(field="tags", operator="eq", value=tag))) == {one.id, two.id}
    both_tags = ids(
        SearchFilter(field="tags", operator="eq", value=tag),
        SearchFilter(field="tags", operator="eq", value="vip"),
    )
    assert both_tags == [one.id]
    either = SearchGroup(
        group="OR",
        filters=[
            SearchFilter(field="email", operator="eq", value=one.email),
            SearchFilter(field="email", operator="eq", value=two.email),
        ],
    )
    assert set(ids(either)) == {one.id, two.id}
    no_phone = ids(
        SearchFilter(field="tags", operator="eq", value=tag),
        SearchFilter(field="phone", operator="not_exists"),
    )
    assert no_phone == [two.id]


def test_search_by_date_updated_range_pages_with_search_after(client):
    """The incremental-sync query: everything updated since a moment, oldest first, across
    several searchAfter pages."""
    marker = _new(client)
    since = client.get_contact(marker.id).dateUpdated
    changed = [_new(client).id for _ in range(4)]
    client.update_contact(marker.id, ContactInput(city="Changed"))
    found = [
        c.id
        for c in client.search_contacts(
            filters=[SearchFilter(field="dateUpdated", operator="range", value={"gt": since})],
            sort=[{"field": "dateUpdated", "direction": "asc"}],
            page_size=2,
        )
    ]
    assert found == [*changed, marker.id]
    one_sided = client.search_contacts(
        filters=[SearchFilter(field="dateUpdated", operator="gte", value=since)], page_size=100
    )
    assert {c.id for c in one_sided} >= {marker.id, *changed}


def test_search_after_cursor_is_followed_to_the_end(client, hl_app):
    location = client.location_id
    total = sum(1 for c in hl_app.data.contacts.values() if c["locationId"] == location)
    found = [c.id for c in client.search_contacts(page_size=9)]
    assert len(found) == len(set(found)) == total


def test_every_operator_the_sandbox_grammar_has_is_accepted():
    """The filters grammar of the sandbox (filters.py) is what SearchFilter may say."""
    from sandboxes.highlevel.filters import OPERATORS

    for operator in OPERATORS:
        assert SearchFilter(field="email", operator=operator, value="x").operator == operator
    with pytest.raises(ValueError):
        SearchFilter(field="email", operator="like", value="x")
    assert "value" not in SearchFilter(field="email", operator="exists", value="x").payload()


def test_a_bad_filter_is_a_validation_error(client):
    with pytest.raises(ValidationFailedError, match="not searchable"):
        list(client.search_contacts(filters=[SearchFilter(field="bogus", operator="eq", value="")]))


def test_contacts_by_business_pages_with_skip(client, hl_app):
    location = client.location_id
    counts: dict[str, int] = {}
    for contact in hl_app.data.contacts.values():
        if contact["locationId"] == location and contact.get("businessId"):
            counts[contact["businessId"]] = counts.get(contact["businessId"], 0) + 1
    business_id, count = max(counts.items(), key=lambda item: item[1])
    assert count >= 3
    found = [c.id for c in client.contacts_by_business(business_id, page_size=2)]
    assert len(found) == len(set(found)) == count
    assert all(
        hl_app.data.contacts[contact_id]["businessId"] == business_id for contact_id in found
    )
    assert list(client.contacts_by_business("0" * 24)) == []


def test_an_unknown_api_version_is_a_config_error(pit_connection):
    with pytest.raises(ConfigError, match="2021-07-28"):
        HighLevelClient(pit_connection(api_version="2099-01-01"))


@pytest.mark.parametrize("version", ["2023-02-21", "bogus"])
def test_a_version_the_specs_do_not_allow_is_refused_before_sending(
    version, pit_connection, control
):
    """The Contacts specs allow Version 2021-07-28 (contacts.json) and v3 (contacts-v3.json)
    only: any other value, from the connection, a transport option or a setting changed
    later, is a ConfigError and nothing reaches HighLevel."""
    sent = control.stats()["requests_total"]
    with pytest.raises(ConfigError, match="2021-07-28 or v3"):
        HighLevelClient(pit_connection(api_version=version))
    with pytest.raises(ConfigError, match=version):
        HighLevelTransport(pit_connection(), api_version=version)
    client = HighLevelClient(pit_connection())
    client.connection.settings["api_version"] = version
    with pytest.raises(ConfigError):
        client.get_contact("anyContact0000000001")
    assert control.stats()["requests_total"] == sent


def test_scans_never_use_the_deprecated_list(client, control):
    """GET /contacts/ is deprecated in the Contacts spec: every scan goes through search
    (the sandbox counts calls to deprecated operations)."""
    list(client.iter_contacts(page_size=50))
    list(client.iter_contacts(page_size=50, sort_by="date_updated", order="asc"))
    list(client.iter_contacts(query="a", page_size=50))
    assert control.stats()["deprecated_requests"] == 0
