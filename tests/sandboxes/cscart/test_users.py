"""The users entity: list envelope and paging, numbers as strings, writes and their quirks."""

import pytest
import requests

from tests.integrations.providers.cscart.conftest import SEED, unique_email
from tests.sandboxes.support import TIMEOUT

ROW_KEYS = {
    "user_id",
    "user_login",
    "is_root",
    "timestamp",
    "user_type",
    "status",
    "firstname",
    "lastname",
    "email",
    "company",
    "company_id",
    "phone",
    "company_name",
}


def _list(api, **params):
    response = api.get("/users", params={"user_type": "C", **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_list_is_an_envelope_of_rows_with_every_number_a_string(api):
    body = _list(api, items_per_page=5)
    assert set(body) == {"users", "params"}
    assert len(body["users"]) == 5
    for row in body["users"]:
        assert set(row) == ROW_KEYS
        for key in ("user_id", "timestamp", "company_id"):
            assert isinstance(row[key], str) and row[key].isdigit(), (key, row[key])
        assert row["user_type"] == "C"
    params = body["params"]
    assert isinstance(params["total_items"], str) and int(params["total_items"]) >= SEED
    assert params["page"] == 1 and params["items_per_page"] == 5
    assert params["sort_by"] == "name" and params["sort_order"] == "asc"


def test_listing_without_user_type_is_a_400(api):
    response = api.get("/users")
    assert response.status_code == 400
    assert response.json() == {
        "message": "Bad Request: The user_type field is required",
        "messages": ["The user_type field is required"],
        "status": 400,
    }


def test_the_default_page_holds_the_admin_setting_of_ten(api, control):
    assert len(_list(api)["users"]) == 10
    control.set(default_items_per_page=25)
    assert len(_list(api)["users"]) == 25


def test_pages_partition_the_list_sorted_by_id(api):
    total = int(_list(api, items_per_page=1)["params"]["total_items"])
    seen = []
    for page in range(1, -(-total // 7) + 1):
        seen += [
            u["user_id"] for u in _list(api, sort_by="id", items_per_page=7, page=page)["users"]
        ]
    assert len(seen) == len(set(seen)) == total
    assert [int(i) for i in seen] == sorted(int(i) for i in seen)


def test_a_page_past_the_end_serves_the_last_page_again(api, control):
    total = int(_list(api, items_per_page=1)["params"]["total_items"])
    last_page = -(-total // 7)
    last = _list(api, sort_by="id", items_per_page=7, page=last_page)
    beyond = _list(api, sort_by="id", items_per_page=7, page=last_page + 3)
    assert beyond["users"] == last["users"]
    assert beyond["params"]["page"] == last_page
    control.set(clamp_page_past_end=False)
    assert _list(api, sort_by="id", items_per_page=7, page=last_page + 3)["users"] == []


def test_administrators_are_listed_only_with_their_own_type(api, creds):
    admins = api.get("/users", params={"user_type": "A"}).json()["users"]
    assert {a["email"] for a in admins} >= {creds["email"], creds["viewer_email"]}
    customers = _list(api, items_per_page=1000)["users"]
    assert creds["email"] not in {c["email"] for c in customers}


def test_filters_and_sorting(api, new_user):
    user_id = new_user(firstname="Zebedee", lastname="Quux", company="Filter Co")
    assert [u["user_id"] for u in _list(api, name="zebedee quux")["users"]] == [user_id]
    assert [u["user_id"] for u in _list(api, company="filter co")["users"]] == [user_id]
    assert [u["user_id"] for u in _list(api, **{"user_ids": user_id})["users"]] == [user_id]
    newest = _list(api, sort_by="date", sort_order="desc", items_per_page=1)["users"][0]
    assert newest["user_id"] == user_id
    disabled = _list(api, status="D", items_per_page=100)["users"]
    assert disabled and all(u["status"] == "D" for u in disabled)


def test_get_answers_the_bare_row_and_unknown_ids_an_empty_envelope(api, control, new_user):
    user_id = new_user(firstname="Row")
    row = api.get(f"/users/{user_id}").json()
    assert set(row) == ROW_KEYS and row["firstname"] == "Row"
    missing = api.get("/users/99999999")
    assert missing.status_code == 200
    assert missing.json()["users"] == []
    control.set(missing_get_404=True)
    assert api.get("/users/99999999").status_code == 404
    assert api.get("/users/abc").status_code == 404


def test_create_answers_201_with_integer_ids_and_fills_defaults(api):
    email = unique_email()
    response = api.post(
        "/users",
        json={
            "email": email,
            "user_type": "C",
            "company_id": 1,
            "b_firstname": "Bill",
            "b_phone": "555",
        },
    )
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"user_id", "profile_id"} and isinstance(created["user_id"], int)
    row = api.get(f"/users/{created['user_id']}").json()
    assert row["email"] == email and row["status"] == "A"
    assert row["user_login"] == f"user_{created['user_id']}"
    # In the admin area, empty contact fields are filled from the billing address.
    assert (row["firstname"], row["phone"]) == ("Bill", "555")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user_type": "C", "company_id": 1}, "email"),
        ({"email": "a@example.org", "company_id": 1}, "user_type"),
        ({"email": "a@example.org", "user_type": "C"}, "company_id"),
    ],
)
def test_create_names_the_missing_required_field(api, body, field):
    response = api.post("/users", json=body)
    assert response.status_code == 400
    assert response.json()["message"] == f"Bad Request: The {field} field is required"


def test_e_mail_addresses_are_unique_ignoring_case(api, new_user):
    email = unique_email()
    new_user(email=email)
    response = api.post("/users", json={"email": email.upper(), "user_type": "C", "company_id": 1})
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [
        "The username or email you have chosen already exists. Please try another one."
    ]
    assert body["message"].startswith("Bad Request: The username or email")


def test_update_changes_only_the_named_fields_and_leaves_no_timestamp(api, new_user):
    user_id = new_user(firstname="Ann", lastname="Old", phone="1")
    before = api.get(f"/users/{user_id}").json()
    response = api.put(f"/users/{user_id}", json={"lastname": "New", "status": "D"})
    assert response.status_code == 200
    assert response.json() == {"user_id": int(user_id), "profile_id": int(user_id)}
    after = api.get(f"/users/{user_id}").json()
    assert (after["firstname"], after["lastname"], after["status"]) == ("Ann", "New", "D")
    assert after["timestamp"] == before["timestamp"]  # the creation time, never touched


def test_update_of_an_unknown_user_is_a_404_and_an_empty_body_a_405(api, new_user):
    missing = api.put("/users/99999999", json={"firstname": "x"})
    assert missing.status_code == 404
    assert missing.json()["status"] == 404
    user_id = new_user()
    assert api.put(f"/users/{user_id}", json={}).status_code == 405


def test_delete_answers_204_without_a_body_then_404(api, control, new_user):
    user_id = new_user()
    response = api.delete(f"/users/{user_id}")
    assert response.status_code == 204 and response.content == b""
    assert api.delete(f"/users/{user_id}").status_code == 404
    control.set(legacy_delete_ok=True)
    legacy = api.delete(f"/users/{new_user()}")
    assert (legacy.status_code, legacy.json()) == (200, {"message": "Ok"})


def test_the_root_administrator_cannot_be_deleted(api):
    assert api.delete("/users/1").status_code == 400


def test_wrong_methods_and_media_types(api, new_user):
    user_id = new_user()
    assert api.post(f"/users/{user_id}", json={"firstname": "x"}).status_code == 405
    assert api.put("/users", json={"firstname": "x"}).status_code == 405
    xml = api.post("/users", data="<user/>", headers={"Content-Type": "application/xml"})
    assert xml.status_code == 415
    html = api.get(f"/users/{user_id}", headers={"Accept": "text/html"})
    assert html.status_code == 406
    unknown = api.get("/products")
    assert unknown.status_code == 404


def test_form_encoded_writes_are_accepted(api):
    email = unique_email()
    response = api.post("/users", data={"email": email, "user_type": "C", "company_id": "1"})
    assert response.status_code == 201


def test_the_1_0_path_and_api_php_reach_the_same_store(creds, api, new_user):
    user_id = new_user(firstname="Paths")
    auth = (creds["email"], creds["api_key"])
    old = requests.get(f"{creds['store_url']}/api/users/{user_id}", auth=auth, timeout=TIMEOUT)
    php = requests.get(
        f"{creds['store_url']}/api.php",
        params={"_d": f"users/{user_id}"},
        auth=auth,
        timeout=TIMEOUT,
    )
    assert old.json()["firstname"] == php.json()["firstname"] == "Paths"
