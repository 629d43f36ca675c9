"""User groups: the list, a user's links (a hash keyed by group id), joining and leaving."""


def test_groups_are_listed_with_string_ids_and_filtered_by_type(api):
    groups = api.get("/usergroups").json()
    assert {g["usergroup_id"] for g in groups} == {"3", "4", "5", "6"}  # 1 and 2 are reserved
    customer_groups = api.get("/usergroups", params={"type": "C"}).json()
    assert [g["usergroup"] for g in customer_groups] == ["Wholesale", "VIP", "Newsletter"]
    assert api.get("/usergroups/4").json()["usergroup"] == "VIP"
    assert api.get("/usergroups/99").status_code == 404


def test_joining_and_leaving_a_group(api, new_user):
    user_id = new_user()
    assert api.get(f"/users/{user_id}/usergroups").json() == []  # an empty PHP array
    joined = api.put(f"/users/{user_id}/usergroups/3", json={"status": "A"})
    assert (joined.status_code, joined.json()) == (200, {"message": "Status changed"})
    assert api.get(f"/users/{user_id}/usergroups").json() == {
        "3": {"usergroup_id": "3", "status": "A"}
    }
    members = api.get("/users", params={"user_type": "C", "usergroup_id": "3", "user_ids": user_id})
    assert [u["user_id"] for u in members.json()["users"]] == [user_id]
    left = api.delete(f"/users/{user_id}/usergroups/3")
    assert left.status_code == 204
    assert api.get(f"/users/{user_id}/usergroups").json() == []


def test_a_customer_cannot_join_an_administrator_group_or_an_unknown_one(api, new_user):
    user_id = new_user()
    assert api.put(f"/users/{user_id}/usergroups/6", json={"status": "A"}).status_code == 400
    assert api.put(f"/users/{user_id}/usergroups/77", json={"status": "A"}).status_code == 400
    missing_status = api.put(f"/users/{user_id}/usergroups/3", json={"other": 1})
    assert missing_status.status_code == 400
    assert "status field is required" in missing_status.json()["message"]
    assert api.post(f"/users/{user_id}/usergroups/3", json={"status": "A"}).status_code == 405


def test_seeded_customers_carry_groups_from_their_tags(api):
    vip = api.get("/users", params={"user_type": "C", "usergroup_id": "4", "items_per_page": 500})
    assert int(vip.json()["params"]["total_items"]) > 0
