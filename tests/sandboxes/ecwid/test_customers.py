"""Customers: Ecwid's paging, filters, dates, write answers and quirks."""

import re
import time

from sandboxes.kit.people import people
from tests.sandboxes.ecwid.conftest import (
    DATE,
    RANDOM_SEED,
    SEED,
    unique_email,
)


def test_a_page_has_ecwids_envelope_and_default_limit_of_10(api):
    page = api.get("/customers").json()
    assert set(page) == {"total", "count", "offset", "limit", "items"}
    assert page["limit"] == 10 and page["count"] == 10 and page["offset"] == 0
    customer = page["items"][0]
    assert isinstance(customer["id"], int)
    assert re.match(DATE, customer["registered"]) and re.match(DATE, customer["updated"])
    assert {"billingPerson", "contacts", "customerGroupId", "customerGroupName"} <= set(customer)


def test_a_limit_above_100_is_cut_to_100_or_refused_when_asked(api, control):
    assert api.get("/customers", params={"limit": 500}).json()["limit"] == 100
    control.set(clamp_limit=False)
    refused = api.get("/customers", params={"limit": 500})
    assert refused.status_code == 400 and refused.json()["errorCode"] == "WRONG_PARAMETER"


def test_offset_pages_join_up_without_gaps(api):
    total = api.get("/customers").json()["total"]
    ids = []
    for offset in range(0, total, 7):
        ids += [
            c["id"]
            for c in api.get("/customers", params={"offset": offset, "limit": 7}).json()["items"]
        ]
    assert len(ids) == len(set(ids)) == total


def test_bad_parameters_are_400_wrong_parameter(api):
    for params in (
        {"limit": "ten"},
        {"offset": -1},
        {"sortBy": "SIZE_ASC"},
        {"updatedFrom": "soon"},
    ):
        response = api.get("/customers", params=params)
        assert response.status_code == 400, params
        assert response.json()["errorCode"] == "WRONG_PARAMETER"


def test_the_seed_shares_highlevels_people_by_email(api):
    items = api.get("/customers", params={"limit": 100}).json()["items"]
    emails = {c["email"] for c in items if c["email"].endswith("@example.com")}  # not tests'

    highlevel = {p.email for p in people(SEED, RANDOM_SEED)}
    shared = emails & highlevel
    assert len(shared) == SEED - SEED // 5  # every fifth shopper is the store's own
    assert len(emails) == SEED


def test_create_answers_with_the_id_only_and_requires_an_email(api):
    created = api.post("/customers", json={"email": unique_email(), "lang": "de"})
    assert created.status_code == 200 and set(created.json()) == {"id"}
    missing = api.post("/customers", json={"billingPerson": {"name": "No Mail"}})
    assert missing.status_code == 400 and missing.json()["errorCode"] == "WRONG_PARAMETER"


def test_a_taken_email_is_409_whatever_its_case(api, new_customer):
    customer = new_customer()
    response = api.post("/customers", json={"email": customer["email"].upper()})
    assert response.status_code == 409
    assert response.json()["errorMessage"] == "The customer with the given email already exists"
    other = new_customer()
    clash = api.put(f"/customers/{other['id']}", json={"email": customer["email"]})
    assert clash.status_code == 409


def test_names_are_derived_both_ways_and_codes_named(new_customer):
    customer = new_customer(
        billingPerson={
            "firstName": "Ada",
            "lastName": "Byron",
            "countryCode": "US",
            "stateOrProvinceCode": "NY",
        }
    )
    person = customer["billingPerson"]
    assert customer["name"] == person["name"] == "Ada Byron"
    assert person["countryName"] == "United States"
    assert person["stateOrProvinceName"] == "New York"


def test_update_changes_only_what_is_sent_and_moves_updated(api, new_customer):
    customer = new_customer(billingPerson={"name": "Kim Lee", "city": "Austin", "phone": "1"})
    time.sleep(1.05)  # Ecwid's dates have one-second precision
    answer = api.put(f"/customers/{customer['id']}", json={"billingPerson": {"phone": "2"}})
    assert answer.status_code == 200 and answer.json() == {"updateCount": 1}
    after = api.get(f"/customers/{customer['id']}").json()
    assert after["billingPerson"]["phone"] == "2"
    assert after["billingPerson"]["city"] == "Austin"  # merged [I]
    assert after["updated"] > customer["updated"]
    assert after["registered"] == customer["registered"]


def test_contacts_in_a_put_replace_the_whole_list(api, new_customer):
    customer = new_customer(
        contacts=[{"type": "EMAIL", "contact": "a@example.org"}, {"type": "PHONE", "contact": "1"}]
    )
    assert len(customer["contacts"]) == 2
    api.put(
        f"/customers/{customer['id']}", json={"contacts": [{"type": "WHATSAPP", "contact": "9"}]}
    )
    after = api.get(f"/customers/{customer['id']}").json()
    assert [(c["type"], c["contact"]) for c in after["contacts"]] == [("WHATSAPP", "9")]
    bad = api.put(f"/customers/{customer['id']}", json={"contacts": [{"type": "FAX"}]})
    assert bad.status_code == 400


def test_delete_then_404_and_the_deleted_feed_lists_it(api, new_customer):
    started = int(time.time())
    customer = new_customer()
    answer = api.delete(f"/customers/{customer['id']}")
    assert answer.status_code == 200 and answer.json() == {"deleteCount": 1}
    gone = api.get(f"/customers/{customer['id']}")
    assert gone.status_code == 404 and "errorMessage" in gone.json()
    assert api.delete(f"/customers/{customer['id']}").status_code == 404
    feed = api.get("/customers/deleted", params={"from_date": started}).json()
    assert feed["limit"] == 100
    entry = next(item for item in feed["items"] if item["id"] == customer["id"])
    assert re.match(DATE, entry["date"])
    later = api.get("/customers/deleted", params={"from_date": started + 3600}).json()
    assert customer["id"] not in [item["id"] for item in later["items"]]


def test_updated_from_finds_recent_changes_in_every_date_form(api, new_customer):
    before = int(time.time())
    customer = new_customer()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime(before))
    for value in (before, stamp):
        page = api.get("/customers", params={"updatedFrom": value, "sortBy": "UPDATED_DATE_ASC"})
        assert customer["id"] in [c["id"] for c in page.json()["items"]], value
    future = api.get("/customers", params={"updatedFrom": before + 3600}).json()
    assert future["total"] == 0


def test_updated_from_is_inclusive_unless_the_knob_says_otherwise(api, new_customer, control):
    customer = new_customer()
    second = int(time.mktime(time.strptime(customer["updated"], "%Y-%m-%d %H:%M:%S %z")))
    params = {"updatedFrom": second, "email": customer["email"]}
    assert api.get("/customers", params=params).json()["total"] == 1
    control.set(date_filters_inclusive=False)
    assert api.get("/customers", params=params).json()["total"] == 0


def test_sort_by_updated_date_orders_oldest_change_first(api):
    items = api.get("/customers", params={"sortBy": "UPDATED_DATE_ASC", "limit": 100}).json()[
        "items"
    ]
    stamps = [c["updated"] for c in items]
    assert stamps == sorted(stamps)


def test_filters_by_email_keyword_and_group(api, new_customer):
    groups = api.get("/customer_groups").json()["items"]
    wholesale = next(g for g in groups if g["name"] == "Wholesale")
    customer = new_customer(customerGroupId=wholesale["id"], billingPerson={"name": "Zed Quill"})
    assert customer["customerGroupName"] == "Wholesale"
    by_email = api.get("/customers", params={"email": customer["email"].upper()}).json()
    assert [c["id"] for c in by_email["items"]] == [customer["id"]]
    by_keyword = api.get("/customers", params={"keyword": "zed quill"}).json()
    assert customer["id"] in [c["id"] for c in by_keyword["items"]]
    in_group = api.get("/customers", params={"customerGroupIds": wholesale["id"], "limit": 100})
    assert all(c["customerGroupId"] == wholesale["id"] for c in in_group.json()["items"])
    assert customer["id"] in [c["id"] for c in in_group.json()["items"]]


def test_customer_groups_crud_and_general_is_fixed(api, new_customer):
    created = api.post("/customer_groups", json={"name": "Trade"}).json()
    group_id = created["id"]
    assert api.get(f"/customer_groups/{group_id}").json() == {"id": group_id, "name": "Trade"}
    customer = new_customer(customerGroupId=group_id)
    assert api.put(f"/customer_groups/{group_id}", json={"name": "Trade+"}).json() == {
        "updateCount": 1
    }
    assert api.get(f"/customers/{customer['id']}").json()["customerGroupName"] == "Trade+"
    assert api.delete(f"/customer_groups/{group_id}").json() == {"deleteCount": 1}
    assert api.get(f"/customers/{customer['id']}").json()["customerGroupId"] == 0
    assert api.delete("/customer_groups/0").status_code == 400
    unknown = api.post("/customers", json={"email": unique_email(), "customerGroupId": 4242})
    assert unknown.status_code == 400


def test_a_body_that_is_not_json_gets_ecwids_error_shape(api):
    response = api.post("/customers", data=b"{nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "WRONG_PARAMETER" and response.json()["errorMessage"]


def _updated(api, customer_id) -> str:
    return api.get(f"/customers/{customer_id}").json()["updated"]


def test_any_change_to_a_customers_group_moves_its_updated_time(api, new_customer):
    """Ecwid's docs: `updated` changes when the customer's group changes in any way —
    moved to another group, the group renamed or deleted."""
    first = api.post("/customer_groups", json={"name": "Bumped"}).json()["id"]
    second = api.post("/customer_groups", json={"name": "Other"}).json()["id"]
    member, bystander = new_customer(customerGroupId=first), new_customer()
    time.sleep(1.1)
    assert api.put(f"/customer_groups/{first}", json={"name": "Bumped+"}).status_code == 200
    renamed = api.get(f"/customers/{member['id']}").json()
    assert renamed["updated"] > member["updated"]
    assert renamed["customerGroupName"] == "Bumped+"
    assert _updated(api, bystander["id"]) == bystander["updated"]
    since = int(time.time())
    changed = api.get("/customers", params={"updatedFrom": since, "limit": 100}).json()
    assert member["id"] in [c["id"] for c in changed["items"]]

    time.sleep(1.1)
    api.put(f"/customers/{member['id']}", json={"customerGroupId": second})
    moved = api.get(f"/customers/{member['id']}").json()
    assert moved["updated"] > renamed["updated"] and moved["customerGroupId"] == second

    time.sleep(1.1)
    assert api.delete(f"/customer_groups/{second}").json() == {"deleteCount": 1}
    dropped = api.get(f"/customers/{member['id']}").json()
    assert dropped["updated"] > moved["updated"] and dropped["customerGroupId"] == 0
