"""Contacts: create/read/update/delete, upsert and the duplicate rule, v3 DND keys."""

import re

from tests.sandboxes.highlevel.conftest import Api

ID = re.compile(r"^[A-Za-z0-9]{20}$")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_create_answers_201_with_the_stored_contact(api, location):
    response = api.post(
        "/contacts/",
        json={
            "locationId": location,
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": "Ada.Lovelace@Example.org",
            "phone": "(512) 555-0142",
            "tags": [" VIP ", "vip", "Wholesale"],
            "dateOfBirth": "12/10/1815",
            "customFields": [
                {"key": "contact.order_count", "field_value": "7"},
                {"key": "preferred_channels", "fieldValue": ["Email", "SMS"]},
                {"key": "no_such_field", "field_value": "ignored"},
            ],
        },
    )
    assert response.status_code == 201
    body = response.json()
    contact = body["contact"]
    assert ID.match(contact["id"]) and STAMP.match(contact["dateAdded"])
    assert body["traceId"]
    assert contact["phone"] == "+15125550142"
    assert contact["emailLowerCase"] == "ada.lovelace@example.org"
    assert contact["tags"] == ["vip", "wholesale"]
    assert contact["country"] == "US" and contact["dnd"] is False and contact["deleted"] is False
    assert contact["dateOfBirth"] == "1815-12-10T00:00:00.000Z"
    assert sorted(field["value"] for field in contact["customFields"]) == ["7", "Email, SMS"]
    assert "name" not in contact and "city" not in contact  # unset fields are left out


def test_get_omits_unset_fields_and_put_replaces_tags(api, new_contact):
    contact = new_contact(tags=["a", "b"], city="Austin")
    response = api.put(f"/contacts/{contact['id']}", json={"tags": ["c"], "lastName": "Byron"})
    assert response.status_code == 200
    body = response.json()
    assert body["succeded"] is True and body["succeeded"] is True
    assert body["contact"]["tags"] == ["c"]
    fetched = api.get(f"/contacts/{contact['id']}").json()["contact"]
    assert fetched["city"] == "Austin" and fetched["lastName"] == "Byron"  # absent keys untouched
    assert fetched["dateUpdated"] >= contact["dateUpdated"]
    assert None not in fetched.values()


def test_put_with_null_clears_a_field_and_custom_fields_merge(
    api, new_contact, highlevel, location
):
    fields = {f["fieldKey"]: f["id"] for f in highlevel.data.custom_fields[location]}
    contact = new_contact(
        city="Austin",
        customFields=[
            {"id": fields["contact.loyalty_number"], "field_value": "LN-1"},
            {"id": fields["contact.favourite_colour"], "field_value": "Red"},
        ],
    )
    api.put(
        f"/contacts/{contact['id']}",
        json={
            "city": None,
            "customFields": [{"id": fields["contact.loyalty_number"], "field_value": ""}],
        },
    )
    fetched = api.get(f"/contacts/{contact['id']}").json()["contact"]
    assert "city" not in fetched
    assert fetched["customFields"] == [{"id": fields["contact.favourite_colour"], "value": "Red"}]


def test_native_types_keep_numbers_and_arrays(api, control, new_contact):
    control.set(native_types=True)
    contact = new_contact(
        customFields=[
            {"key": "order_count", "field_value": 12},
            {"key": "preferred_channels", "field_value": ["SMS"]},
        ]
    )
    values = [field["value"] for field in contact["customFields"]]
    assert 12 in values and ["SMS"] in values


def test_validation_errors_are_422_with_class_validator_messages(api, location, new_contact):
    response = api.post("/contacts/", json={"email": "not-an-email", "surname": "x", "tags": "vip"})
    assert response.status_code == 422
    body = response.json()
    assert body["statusCode"] == 422 and body["error"] == "Unprocessable Entity"
    assert "locationId should not be empty" in body["message"]
    assert "email must be an email" in body["message"]
    assert "property surname should not exist" in body["message"]
    assert "tags must be an array" in body["message"]
    contact = new_contact()
    moved = api.put(f"/contacts/{contact['id']}", json={"locationId": location})
    assert moved.status_code == 422 and moved.json()["message"] == [
        "property locationId should not exist"
    ]
    dnd = api.put(f"/contacts/{contact['id']}", json={"dndSettings": {"Email": {"status": "off"}}})
    assert dnd.status_code == 422 and "dndSettings.Email.status" in dnd.json()["message"][0]


def test_not_found_is_400_by_default_and_404_when_configured(api, control):
    response = api.get("/contacts/noSuchContact0000001")
    assert response.status_code == 400
    assert response.json()["message"] == "Contact not found"
    control.set(not_found_status=404)
    response = api.get("/contacts/noSuchContact0000001")
    assert response.status_code == 404 and response.json()["statusCode"] == 404


def test_create_status_can_be_200(api, control, location):
    control.set(create_status=200)
    response = api.post(
        "/contacts/", json={"locationId": location, "email": "two.hundred@example.org"}
    )
    assert response.status_code == 200


def test_delete_removes_the_contact_and_its_children(api, new_contact, highlevel):
    contact = new_contact()
    api.post(f"/contacts/{contact['id']}/notes", json={"body": "bye"})
    response = api.delete(f"/contacts/{contact['id']}")
    assert response.status_code == 200 and response.json()["succeeded"] is True
    assert api.get(f"/contacts/{contact['id']}").status_code == 400
    assert api.get(f"/contacts/{contact['id']}/notes").status_code == 400
    assert contact["id"] not in highlevel.data.contacts


def test_contacts_of_another_location_are_invisible(creds, control, api, other_location):
    other = Api(
        creds["base_url"],
        control.issue_token(kind="pit", location_id=other_location)["access_token"],
    )
    theirs = other.post(
        "/contacts/", json={"locationId": other_location, "email": "elsewhere@example.org"}
    )
    assert theirs.status_code == 201
    contact_id = theirs.json()["contact"]["id"]
    assert api.get(f"/contacts/{contact_id}").status_code == 400
    assert api.put(f"/contacts/{contact_id}", json={"city": "Paris"}).status_code == 400
    assert other.get(f"/contacts/{contact_id}").status_code == 200


def test_duplicates_are_refused_when_the_location_disallows_them(
    api, control, new_contact, location
):
    first = new_contact(phone="+15125550999")
    again = api.post("/contacts/", json={"locationId": location, "email": first["email"].upper()})
    assert again.status_code == 400
    body = again.json()
    assert body["message"] == "This location does not allow duplicated contacts."
    assert body["meta"] == {
        "contactName": "Test",
        "contactId": first["id"],
        "matchingField": "email",
    }
    by_phone = api.post("/contacts/", json={"locationId": location, "phone": "512-555-0999"})
    assert by_phone.json()["meta"]["matchingField"] == "phone"
    other = new_contact()
    clash = api.put(f"/contacts/{other['id']}", json={"email": first["email"]})
    assert clash.status_code == 400
    control.set(allow_duplicate_contact=True)
    assert (
        api.post("/contacts/", json={"locationId": location, "email": first["email"]}).status_code
        == 201
    )


def test_upsert_updates_by_email_first_then_phone(api, new_contact, location):
    by_email = new_contact(phone="+15125551001")
    by_phone = new_contact(phone="+15125551002")
    # E-mail wins; the phone belongs to someone else and is ignored, not duplicated.
    response = api.post(
        "/contacts/upsert",
        json={
            "locationId": location,
            "email": by_email["email"],
            "phone": "+15125551002",
            "city": "Denver",
        },
    )
    body = response.json()
    assert response.status_code == 200
    assert body["new"] is False and body["succeded"] is True and body["succeeded"] is True
    assert body["contact"]["id"] == by_email["id"]
    assert body["contact"]["city"] == "Denver" and body["contact"]["phone"] == "+15125551001"
    phone_only = api.post(
        "/contacts/upsert", json={"locationId": location, "phone": "(512) 555-1002", "city": "Reno"}
    )
    assert phone_only.json()["contact"]["id"] == by_phone["id"]
    fresh = api.post(
        "/contacts/upsert", json={"locationId": location, "email": "brand.new.upsert@example.org"}
    )
    assert fresh.json()["new"] is True


def test_upsert_follows_the_configured_priority(api, control, new_contact, location):
    one = new_contact(phone="+15125552001")
    two = new_contact(phone="+15125552002")
    control.set(duplicate_priority=["phone", "email"])
    body = {"locationId": location, "email": one["email"], "phone": "+15125552002"}
    assert api.post("/contacts/upsert", json=body).json()["contact"]["id"] == two["id"]


def test_create_new_if_duplicate_allowed_only_when_the_location_allows_it(
    api, control, new_contact, location
):
    existing = new_contact()
    body = {"locationId": location, "email": existing["email"], "createNewIfDuplicateAllowed": True}
    assert api.post("/contacts/upsert", json=body).json()["new"] is False
    control.set(allow_duplicate_contact=True)
    created = api.post("/contacts/upsert", json=body).json()
    assert created["new"] is True and created["contact"]["id"] != existing["id"]


def test_v3_uses_lower_camel_dnd_keys(api, api_v3, location):
    dnd = {
        "email": {"status": "active", "message": "Unsubscribed"},
        "whatsApp": {"status": "inactive"},
    }
    created = api_v3.post(
        "/contacts/",
        json={"locationId": location, "email": "v3.dnd@example.org", "dndSettings": dnd},
    )
    assert created.status_code == 201, created.text
    contact_id = created.json()["contact"]["id"]
    assert set(api_v3.get(f"/contacts/{contact_id}").json()["contact"]["dndSettings"]) == {
        "email",
        "whatsApp",
    }
    assert set(api.get(f"/contacts/{contact_id}").json()["contact"]["dndSettings"]) == {
        "Email",
        "WhatsApp",
    }
    wrong = api_v3.put(
        f"/contacts/{contact_id}", json={"dndSettings": {"Email": {"status": "active"}}}
    )
    assert wrong.status_code == 422
    assert (
        api.put(
            f"/contacts/{contact_id}", json={"dndSettings": {"SMS": {"status": "permanent"}}}
        ).status_code
        == 200
    )


def test_only_the_versions_the_specs_allow_are_accepted(creds, new_contact, control):
    """contacts.json allows Version 2021-07-28, contacts-v3.json v3; the SDK's 2023-02-21 is
    in neither, so it gets the unknown-version 400 unless a test lists it as extra."""
    contact = new_contact()

    def status(version: str) -> tuple[int, str]:
        answer = Api(creds["base_url"], creds["private_integration_token"], version).get(
            f"/contacts/{contact['id']}"
        )
        return answer.status_code, answer.json().get("message", "")

    assert status("2021-07-28")[0] == 200 and status("v3")[0] == 200
    assert status("2023-02-21") == (
        400,
        "Invalid API version segment '2023-02-21' at position 0",
    )
    control.set(extra_versions=["2023-02-21"])
    assert status("2023-02-21")[0] == 200


def test_duplicate_search(api, new_contact, location):
    contact = new_contact(phone="+15125553001")
    by_email = api.get(
        "/contacts/search/duplicate", params={"locationId": location, "email": contact["email"]}
    )
    assert (
        by_email.json()["contact"]["id"] == contact["id"]
        and by_email.json()["matchingField"] == "email"
    )
    by_number = api.get(
        "/contacts/search/duplicate", params={"locationId": location, "number": "+15125553001"}
    )
    assert by_number.json()["matchingField"] == "phone"
    nobody = api.get(
        "/contacts/search/duplicate", params={"locationId": location, "email": "nobody@example.org"}
    )
    assert nobody.status_code == 200 and nobody.json()["contact"] is None
    assert api.get("/contacts/search/duplicate").status_code == 422


def test_trailing_slashes_work(api, new_contact):
    contact = new_contact()
    assert api.get(f"/contacts/{contact['id']}/").status_code == 200
