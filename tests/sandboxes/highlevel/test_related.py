"""Tasks, notes, appointments, tags, followers, campaigns, workflows, bulk endpoints, and the
location's custom field definitions and users."""

from sandboxes.highlevel.state import APPOINTMENT
from tests.sandboxes.highlevel.conftest import Api


def test_task_lifecycle(api, new_contact, highlevel):
    contact_id = new_contact()["id"]
    user = highlevel.credentials["user_ids"][1]
    created = api.post(
        f"/contacts/{contact_id}/tasks",
        json={
            "title": "Call",
            "dueDate": "2026-07-20T10:00:00Z",
            "completed": False,
            "assignedTo": user,
        },
    )
    assert created.status_code == 201
    task = created.json()["task"]
    assert task["dueDate"] == "2026-07-20T10:00:00.000Z" and task["contactId"] == contact_id
    assert "body" not in task
    assert api.get(f"/contacts/{contact_id}/tasks/{task['id']}").json()["task"] == task
    updated = api.put(
        f"/contacts/{contact_id}/tasks/{task['id']}", json={"completed": True}
    ).json()["task"]
    assert updated["completed"] is True and updated["title"] == "Call"
    reopened = api.put(
        f"/contacts/{contact_id}/tasks/{task['id']}/completed", json={"completed": False}
    )
    assert reopened.json()["task"]["completed"] is False
    assert [t["id"] for t in api.get(f"/contacts/{contact_id}/tasks").json()["tasks"]] == [
        task["id"]
    ]
    deleted = api.delete(f"/contacts/{contact_id}/tasks/{task['id']}").json()
    assert deleted["succeded"] is True and deleted["succeeded"] is True
    assert api.get(f"/contacts/{contact_id}/tasks/{task['id']}").status_code == 400


def test_task_validation(api, new_contact):
    contact_id = new_contact()["id"]
    response = api.post(
        f"/contacts/{contact_id}/tasks", json={"title": "No due date", "dueDate": "soon"}
    )
    assert response.status_code == 422
    messages = response.json()["message"]
    assert "dueDate must be a valid ISO 8601 date string" in messages
    assert "completed should not be empty" in messages
    completed = api.put(
        f"/contacts/{contact_id}/tasks/noSuchTask000000001/completed", json={"completed": True}
    )
    assert completed.status_code == 400 and completed.json()["message"] == "Task not found"


def test_note_lifecycle(api, new_contact):
    contact_id = new_contact()["id"]
    created = api.post(
        f"/contacts/{contact_id}/notes", json={"body": "<p>Hello <b>there</b></p>", "pinned": True}
    )
    assert created.status_code == 201
    note = created.json()["note"]
    assert note["bodyText"] == "Hello there" and note["pinned"] is True and "userId" not in note
    edited = api.put(f"/contacts/{contact_id}/notes/{note['id']}", json={"body": "Edited"}).json()[
        "note"
    ]
    assert edited["body"] == "Edited" and edited["dateAdded"] == note["dateAdded"]
    assert api.get(f"/contacts/{contact_id}/notes").json()["notes"][0]["id"] == note["id"]
    assert api.delete(f"/contacts/{contact_id}/notes/{note['id']}").json()["succeeded"] is True
    assert (
        api.get(f"/contacts/{contact_id}/notes/{note['id']}").json()["message"] == "Note not found"
    )
    assert api.post(f"/contacts/{contact_id}/notes", json={}).status_code == 422


def test_appointments_are_listed_as_events(api, highlevel):
    seeded = next(iter(highlevel.data.appointments.values()))
    assert seeded["locationId"] == highlevel.credentials["location_ids"][0]
    events = api.get(f"/contacts/{seeded['contactId']}/appointments").json()["events"]
    assert seeded["id"] in [event["id"] for event in events]
    assert all(event["contactId"] == seeded["contactId"] for event in events)
    assert highlevel.data.children_of(APPOINTMENT, seeded["contactId"])


def test_tags_add_and_remove_report_the_delta(api, new_contact):
    contact_id = new_contact(tags=["retail"])["id"]
    added = api.post(f"/contacts/{contact_id}/tags", json={"tags": ["VIP", "retail"]})
    assert added.status_code == 201
    assert added.json()["tags"] == ["retail", "vip"] and added.json()["tagsAdded"] == ["vip"]
    removed = api.delete(f"/contacts/{contact_id}/tags", json={"tags": ["retail", "unknown"]})
    assert removed.status_code == 200
    assert removed.json()["tags"] == ["vip"] and removed.json()["tagsRemoved"] == ["retail"]
    assert api.post(f"/contacts/{contact_id}/tags", json={"tags": "vip"}).status_code == 422


def test_tags_keep_their_case_when_normalising_is_off(api, control, new_contact):
    control.set(normalise_tags=False)
    contact_id = new_contact()["id"]
    assert api.post(f"/contacts/{contact_id}/tags", json={"tags": ["VIP"]}).json()["tags"] == [
        "VIP"
    ]


def test_followers(api, new_contact, highlevel):
    contact_id = new_contact()["id"]
    users = highlevel.credentials["user_ids"]
    added = api.post(f"/contacts/{contact_id}/followers", json={"followers": users[:2]}).json()
    assert added["followers"] == users[:2] and added["followersAdded"] == users[:2]
    removed = api.delete(f"/contacts/{contact_id}/followers", json={"followers": [users[0]]}).json()
    assert removed["followers"] == [users[1]] and removed["followersRemoved"] == [users[0]]


def test_campaigns_and_remove_all_per_version(api, api_v3, new_contact, highlevel):
    contact_id = new_contact()["id"]
    for campaign in ("campaignSandbox00001", "campaignSandbox00002"):
        response = api.post(f"/contacts/{contact_id}/campaigns/{campaign}", json={})
        assert response.status_code == 201 and response.json()["succeeded"] is True
    api.delete(f"/contacts/{contact_id}/campaigns/campaignSandbox00001")
    assert highlevel.data.contacts[contact_id]["campaigns"] == ["campaignSandbox00002"]
    # Under 2021-07-28 "remove-all" is just an (unknown) campaign ID.
    api.delete(f"/contacts/{contact_id}/campaigns/remove-all")
    assert highlevel.data.contacts[contact_id]["campaigns"] == ["campaignSandbox00002"]
    api_v3.delete(f"/contacts/{contact_id}/campaigns/remove-all")
    assert highlevel.data.contacts[contact_id]["campaigns"] == []
    api.post(f"/contacts/{contact_id}/campaigns/campaignSandbox00003")
    assert api.delete(f"/contacts/{contact_id}/campaigns/removeAll").status_code == 200
    assert highlevel.data.contacts[contact_id]["campaigns"] == []


def test_workflows(api, new_contact, highlevel):
    contact_id = new_contact()["id"]
    added = api.post(
        f"/contacts/{contact_id}/workflow/workflowSandbox00001",
        json={"eventStartTime": "2026-06-23T03:30:00+01:00"},
    )
    assert added.status_code == 200 and added.json()["succeded"] is True
    assert highlevel.data.contacts[contact_id]["workflows"] == ["workflowSandbox00001"]
    bad = api.post(
        f"/contacts/{contact_id}/workflow/workflowSandbox00001", json={"eventStartTime": "tomorrow"}
    )
    assert bad.status_code == 422
    assert (
        api.delete(f"/contacts/{contact_id}/workflow/workflowSandbox00001", json={}).status_code
        == 200
    )
    assert highlevel.data.contacts[contact_id]["workflows"] == []


def test_bulk_tags(api, control, new_contact, location):
    one, two = new_contact(tags=["old"]), new_contact(tags=["old"])
    body = {
        "contacts": [one["id"], two["id"], "noSuchContact0000001"],
        "tags": ["Bulk"],
        "locationId": location,
    }
    added = api.post("/contacts/bulk/tags/update/add", json=body)
    assert added.status_code == 201
    result = added.json()
    assert result["errorCount"] == 1 and len(result["responses"]) == 3
    assert all(isinstance(entry, str) for entry in result["responses"])
    assert api.get(f"/contacts/{one['id']}").json()["contact"]["tags"] == ["old", "bulk"]
    control.set(native_types=True)
    removed = api.post(
        "/contacts/bulk/tags/update/remove", json={**body, "removeAllTags": True}
    ).json()
    assert removed["responses"][0]["type"] == "success" and removed["responses"][0]["oldTags"] == [
        "old",
        "bulk",
    ]
    assert api.get(f"/contacts/{two['id']}").json()["contact"]["tags"] == []
    assert api.post("/contacts/bulk/tags/update/toggle", json=body).status_code == 422


def test_bulk_business(api, new_contact, highlevel, location):
    business = next(b for b in highlevel.data.businesses.values() if b["locationId"] == location)
    contact = new_contact()
    body = {"locationId": location, "ids": [contact["id"]], "businessId": business["id"]}
    response = api.post("/contacts/bulk/business", json=body)
    assert response.json()["success"] is True and response.json()["ids"] == [contact["id"]]
    listed = api.get(
        f"/contacts/business/{business['id']}", params={"locationId": location, "limit": "100"}
    )
    assert contact["id"] in [c["id"] for c in listed.json()["contacts"]]
    api.post("/contacts/bulk/business", json={**body, "businessId": None})
    assert "businessId" not in api.get(f"/contacts/{contact['id']}").json()["contact"]
    assert (
        api.post("/contacts/bulk/business", json={**body, "businessId": "0" * 24}).status_code
        == 400
    )


def test_contacts_by_business_page_with_string_skip_and_limit(api, highlevel, location):
    business = max(
        (b for b in highlevel.data.businesses.values() if b["locationId"] == location),
        key=lambda b: sum(c.get("businessId") == b["id"] for c in highlevel.data.contacts.values()),
    )
    url = f"/contacts/business/{business['id']}"
    everyone = api.get(url, params={"locationId": location, "limit": "100"}).json()
    assert everyone["count"] == len(everyone["contacts"]) >= 2
    first = api.get(url, params={"locationId": location, "limit": "1", "skip": "0"}).json()[
        "contacts"
    ]
    second = api.get(url, params={"locationId": location, "limit": "1", "skip": "1"}).json()[
        "contacts"
    ]
    assert [first[0]["id"], second[0]["id"]] == [c["id"] for c in everyone["contacts"][:2]]


def test_custom_field_definitions(api, location):
    response = api.get(f"/locations/{location}/customFields", params={"model": "contact"})
    assert response.status_code == 200
    fields = response.json()["customFields"]
    assert {f["dataType"] for f in fields} >= {
        "TEXT",
        "NUMERICAL",
        "DATE",
        "SINGLE_OPTIONS",
        "CHECKBOX",
    }
    colour = next(f for f in fields if f["fieldKey"] == "contact.favourite_colour")
    assert (
        colour["picklistOptions"] == ["Red", "Green", "Blue", "Yellow"]
        and colour["locationId"] == location
    )


def test_custom_fields_need_their_scope(creds, control, location):
    token = control.issue_token(scopes="contacts.readonly")["access_token"]
    response = Api(creds["base_url"], token).get(f"/locations/{location}/customFields")
    assert response.status_code == 401
    assert response.json()["message"] == "The token is not authorized for this scope."


def test_users_of_the_location(api, location, highlevel):
    users = api.get("/users/", params={"locationId": location}).json()["users"]
    assert [user["id"] for user in users] == highlevel.credentials["user_ids"]
