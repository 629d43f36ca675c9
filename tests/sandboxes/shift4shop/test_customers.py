"""Customers: bare arrays on read, status arrays on write, the model's names and types."""

import pytest

from sandboxes.kit.people import people
from tests.integrations.providers.shift4shop.conftest import RANDOM_SEED, SEED

TYPES = {
    "CustomerID": int,
    "Email": str,
    "BillingFirstName": str,
    "BillingPhoneNumber": str,
    "ShippingAddressType": int,
    "CustomerGroupID": int,
    "Enabled": bool,
    "MailList": bool,
    "NonTaxable": bool,
    "DisableBillingSameAsShipping": bool,
    "Comments": str,
    "AdditionalField3": str,
    "TotalStoreCredit": float,
}


def test_a_list_is_a_bare_array_of_records_with_the_models_names_and_types(api):
    records = api.get("/Customers", params={"limit": 5}).json()
    assert isinstance(records, list) and len(records) == 5
    for record in records:
        for name, kind in TYPES.items():
            assert isinstance(record[name], kind), (name, record[name])
        assert "Password" not in record and "_lastupdate" not in record
        assert not any(key.startswith(("Created", "Updated", "Last")) for key in record)


def test_the_seed_shares_e_mails_with_the_highlevel_people_and_varies_some_spellings(api):
    records = api.get("/Customers", params={"limit": SEED}).json()[:SEED]
    expected = people(SEED, RANDOM_SEED)
    assert [r["Email"] for r in records[:10]] == [p.email for p in expected[:10]]
    differing = sum(
        1
        for record, person in zip(records, expected, strict=False)
        if record["BillingFirstName"] != person.first_name
        or record["BillingLastName"] != person.last_name
        or record["BillingPhoneNumber"] != person.phone
    )
    assert 0 < differing < SEED


def test_one_customer_is_a_one_element_array(api):
    records = api.get("/Customers/1").json()
    assert isinstance(records, list) and len(records) == 1 and records[0]["CustomerID"] == 1


def test_an_unknown_customer_is_a_404_status_array(api):
    response = api.get("/Customers/999999")
    assert response.status_code == 404
    assert response.json() == [
        {"Key": "CustomerID", "Value": "999999", "Status": "404", "Message": "Customer not found."}
    ]


def test_create_answers_a_status_array_with_the_new_id_as_a_string(api):
    response = api.post(
        "/Customers",
        json={"Email": "new.person@example.org", "Password": "pw", "BillingFirstName": "New"},
    )
    assert response.status_code == 201
    [entry] = response.json()
    assert entry["Key"] == "CustomerID" and entry["Status"] == "201"
    assert isinstance(entry["Value"], str) and entry["Value"].isdigit()
    assert entry["Message"] == "Created successfully"
    record = api.get(f"/Customers/{entry['Value']}").json()[0]
    assert record["BillingFirstName"] == "New" and record["Enabled"] is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"Email": "no.password@example.org"}, "Password is required."),
        ({"Password": "pw"}, "Email is required."),
        ({"Email": "x" * 95 + "@e.org", "Password": "pw"}, "longer than 100"),
        ({"Email": "a@example.org", "Password": "p" * 51}, "longer than 50"),
        ({"Email": "b@example.org", "Password": "pw", "Enabled": "yes"}, "wrong type"),
        ({"Email": "c@example.org", "Password": "pw", "Nickname": "x"}, "not a field"),
    ],
)
def test_invalid_customers_are_refused_with_a_400_status_array(api, body, message):
    response = api.post("/Customers", json=body)
    assert response.status_code == 400
    [entry] = response.json()
    assert entry["Status"] == "400" and message in entry["Message"]


def test_a_second_customer_with_the_same_e_mail_is_refused_unless_the_knob_allows(
    api, new_customer, control
):
    email = new_customer()["Email"]
    refused = api.post("/Customers", json={"Email": email.upper(), "Password": "pw"})
    assert refused.status_code == 400 and "exists" in refused.json()[0]["Message"]
    control.set(unique_email=False)
    assert api.post("/Customers", json={"Email": email, "Password": "pw"}).status_code == 201


def test_update_changes_only_the_fields_sent(api, new_customer):
    customer = new_customer(BillingCity="Austin", Comments="first")
    response = api.put(f"/Customers/{customer['CustomerID']}", json={"Comments": "second"})
    assert response.status_code == 200
    assert response.json() == [
        {
            "Key": "CustomerID",
            "Value": str(customer["CustomerID"]),
            "Status": "200",
            "Message": "Updated successfully",
        }
    ]
    after = api.get(f"/Customers/{customer['CustomerID']}").json()[0]
    assert after == {**customer, "Comments": "second"}


def test_bulk_update_answers_one_status_per_customer(api, new_customer):
    one, two = new_customer(), new_customer()
    body = [
        {"CustomerID": one["CustomerID"], "Enabled": False},
        {"CustomerID": 999999, "Enabled": False},
        {"CustomerID": two["CustomerID"], "MailList": True},
    ]
    response = api.put("/Customers", json=body)
    assert response.status_code == 200
    assert [entry["Status"] for entry in response.json()] == ["200", "404", "200"]
    assert api.get(f"/Customers/{one['CustomerID']}").json()[0]["Enabled"] is False
    assert api.get(f"/Customers/{two['CustomerID']}").json()[0]["MailList"] is True


def test_delete_removes_the_customer_for_good(api, new_customer):
    customer_id = new_customer()["CustomerID"]
    response = api.delete(f"/Customers/{customer_id}")
    assert response.status_code == 200
    assert response.json()[0] == {
        "Key": "CustomerID",
        "Value": str(customer_id),
        "Status": "200",
        "Message": "Deleted successfully",
    }
    assert api.get(f"/Customers/{customer_id}").status_code == 404
    assert api.delete(f"/Customers/{customer_id}").status_code == 404


def test_countonly_and_the_email_filter(api, new_customer):
    total = api.get("/Customers", params={"countonly": 1}).json()
    assert set(total) == {"TotalCount"} and total["TotalCount"] >= SEED
    customer = new_customer(BillingPhoneNumber="(512) 555-0199")
    found = api.get("/Customers", params={"email": customer["Email"].upper()}).json()
    assert [r["CustomerID"] for r in found] == [customer["CustomerID"]]
    by_phone = api.get("/Customers", params={"phone": "5125550199"}).json()
    assert customer["CustomerID"] in [r["CustomerID"] for r in by_phone]


def test_customer_groups_and_their_customers(api):
    groups = api.get("/CustomerGroups").json()
    assert [g["Name"] for g in groups] == ["Retail", "Wholesale", "VIP"]
    members = api.get("/CustomerGroups/2/Customers").json()
    assert members and all(m["CustomerGroupID"] == 2 for m in members)
    assert api.get("/CustomerGroups/77").status_code == 404
