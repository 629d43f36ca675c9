"""GET/POST/PUT /ExternalApi/v2/customer as a curl user sees them."""

import uuid
from datetime import UTC, datetime, timedelta

from tests.integrations.providers.cin7.conftest import SEED, Api, customer_body


def test_good_headers_are_accepted_and_me_names_the_account(api, described):
    response = api.get("/me")
    assert response.status_code == 200
    assert response.json()["Company"] == described["account_name"]


def test_wrong_or_missing_credentials_are_refused_with_403(described):
    url = described["api_url"]
    wrong_key = Api(url, described["account_id"], "00000000-0000-4000-8000-000000000000")
    wrong_account = Api(url, "00000000-0000-4000-8000-000000000000", described["application_key"])
    missing = Api(url, described["account_id"], None)
    for user in (wrong_key, wrong_account, missing):
        response = user.get("/customer")
        assert response.status_code == 403
        assert response.json() == [{"ErrorCode": 403, "Exception": "Incorrect credentials!"}]


def test_paths_and_parameter_names_are_case_insensitive(api, described):
    lower = Api(
        described["api_url"].replace("ExternalApi", "externalapi"),
        described["account_id"],
        described["application_key"],
    )
    upper = api.customers(Page=2, Limit=5)["CustomerList"]
    assert lower.customers(page=2, limit=5)["CustomerList"] == upper


def test_the_list_envelope_pages_with_page_and_limit(api):
    everything = api.customers(Limit=1000, IncludeDeprecated="true")
    total = everything["Total"]
    assert total >= SEED and len(everything["CustomerList"]) == total
    pages = [api.customers(Page=p, Limit=7, IncludeDeprecated="true") for p in range(1, 100)]
    pages = [p for p in pages if p["CustomerList"]]
    assert all(p["Total"] == total for p in pages)
    assert [p["Page"] for p in pages] == list(range(1, len(pages) + 1))
    ids = [c["ID"] for p in pages for c in p["CustomerList"]]
    assert ids == [c["ID"] for c in everything["CustomerList"]]
    names = [c["Name"].casefold() for c in everything["CustomerList"]]
    assert names == sorted(names)  # the default order is by name


def test_default_limit_is_100_and_the_cap_clamps_or_refuses(api, control, new_customer):
    assert len(api.customers(IncludeDeprecated="true")["CustomerList"]) == min(
        100, api.customers(IncludeDeprecated="true")["Total"]
    )
    control.set(max_limit=10)
    assert len(api.customers(Limit=50)["CustomerList"]) == 10
    control.set(limit_over_max="error")
    response = api.get("/customer", params={"Limit": 50})
    assert response.status_code == 400 and "Limit" in response.json()[0]["Exception"]
    assert api.get("/customer", params={"Limit": 0}).status_code == 400
    assert api.get("/customer", params={"Page": "two"}).status_code == 400


def test_deprecated_customers_are_hidden_unless_asked_for_even_by_id(api, new_customer):
    customer = new_customer()
    response = api.put("/customer", json={"ID": customer["ID"], "Status": "Deprecated"})
    assert response.status_code == 200
    assert response.json()["CustomerList"][0]["Status"] == "Deprecated"
    assert api.customers(ID=customer["ID"])["CustomerList"] == []
    found = api.customers(ID=customer["ID"], IncludeDeprecated="true")
    assert found["Total"] == 1 and found["CustomerList"][0]["Status"] == "Deprecated"


def test_there_is_no_delete(api, new_customer):
    customer = new_customer()
    response = api.delete("/customer", params={"ID": customer["ID"]})
    assert response.status_code == 405
    assert api.customers(ID=customer["ID"])["Total"] == 1


def test_create_returns_the_list_envelope_with_ids_and_defaults(api):
    body = customer_body(
        Tags="vip,wholesale",
        AdditionalAttribute3="Gold",
        Addresses=[{"Line1": "1 Main St", "City": "Austin", "Type": "Billing"}],
    )
    response = api.post("/customer", json=body)
    assert response.status_code == 200
    envelope = response.json()
    assert envelope["Total"] == 1 and envelope["Page"] == 1
    created = envelope["CustomerList"][0]
    assert created["ID"] and created["Name"] == body["Name"]
    assert created["Tags"] == "vip,wholesale" and created["AdditionalAttribute3"] == "Gold"
    assert created["AccountReceivable"] == "610" and created["RevenueAccount"] == "200"
    assert created["Contacts"][0]["ID"] and created["Contacts"][0]["Default"] is True
    assert created["Addresses"][0]["ID"] and created["Addresses"][0]["City"] == "Austin"
    assert datetime.fromisoformat(created["LastModifiedOn"].replace("Z", "+00:00")) > (
        datetime.now(UTC) - timedelta(minutes=1)
    )


def test_create_refuses_missing_required_fields_and_duplicate_names(api, new_customer):
    for field in SEVEN:
        body = customer_body()
        del body[field]
        response = api.post("/customer", json=body)
        assert response.status_code == 400, field
        assert response.json() == [{"ErrorCode": 400, "Exception": f"{field} is required."}]
    existing = new_customer()
    response = api.post("/customer", json=customer_body(Name=existing["Name"].upper()))
    assert response.status_code == 400 and "already exists" in response.json()[0]["Exception"]
    bad = api.post("/customer", json=customer_body(PaymentTerm="Whenever"))
    assert bad.status_code == 400 and "PaymentTerm" in bad.json()[0]["Exception"]


def test_unparsable_bodies_are_a_500_as_the_status_table_says(api):
    response = api.post(
        "/customer", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 500


def test_put_takes_the_id_in_the_body_and_changes_only_what_it_gets(api, new_customer):
    customer = new_customer(Comments="first note", Tags="a")
    contact_id = customer["Contacts"][0]["ID"]
    response = api.put(
        "/customer",
        json={
            "ID": customer["ID"],
            "Comments": "second note",
            "Contacts": [{"ID": contact_id, "Name": "Pat Renamed", "Email": "pat@x.org"}],
        },
    )
    assert response.status_code == 200
    updated = response.json()["CustomerList"][0]
    assert updated["Comments"] == "second note" and updated["Tags"] == "a"
    assert updated["Contacts"] == [
        {**updated["Contacts"][0], "ID": contact_id, "Name": "Pat Renamed", "Email": "pat@x.org"}
    ]
    assert updated["LastModifiedOn"] >= customer["LastModifiedOn"]
    missing = api.put("/customer", json={"ID": "5b0d1f9e-0000-4000-8000-000000000000"})
    assert missing.status_code == 400 and "not found" in missing.json()[0]["Exception"]
    assert api.put("/customer", json={"Name": "no id"}).status_code == 400


def test_modified_since_returns_only_later_changes(api, new_customer):
    before = api.customers(Limit=1000, IncludeDeprecated="true")["CustomerList"]
    cutoff = max(c["LastModifiedOn"] for c in before)
    created = new_customer()
    changed = api.customers(ModifiedSince=created["LastModifiedOn"], IncludeDeprecated="true")
    assert created["ID"] in [c["ID"] for c in changed["CustomerList"]]
    assert all(c["LastModifiedOn"] >= created["LastModifiedOn"] for c in changed["CustomerList"])
    # Naive times are UTC, as the docs say; a seeded record from 2025 is not "since" now.
    naive = api.customers(ModifiedSince=cutoff.rstrip("Z"), IncludeDeprecated="true")
    with_z = api.customers(ModifiedSince=cutoff, IncludeDeprecated="true")
    assert naive == with_z and 1 <= naive["Total"] < len(before)
    assert all(c["LastModifiedOn"] >= cutoff for c in naive["CustomerList"])
    bad = api.get("/customer", params={"ModifiedSince": "yesterday"})
    assert bad.status_code == 400


def test_name_and_contact_filters(api, new_customer):
    customer = new_customer(Name="Zebra Filter Co")
    email = customer["Contacts"][0]["Email"]
    assert [c["ID"] for c in api.customers(Name="zebra filt")["CustomerList"]] == [customer["ID"]]
    by_email = api.customers(ContactFilter=email.upper())["CustomerList"]
    assert [c["ID"] for c in by_email] == [customer["ID"]]


SEVEN = (
    "Name",
    "Status",
    "Currency",
    "PaymentTerm",
    "AccountReceivable",
    "RevenueAccount",
    "TaxRule",
)


def test_create_names_every_missing_field_of_the_seven_in_cin7s_error_body(api, control):
    body = {"Name": f"Bare {uuid.uuid4().hex[:8]}", "Currency": "USD"}
    response = api.post("/customer", json=body)
    assert response.status_code == 400
    assert response.json() == [
        {
            "ErrorCode": 400,
            "Exception": "Status, PaymentTerm, AccountReceivable, RevenueAccount, TaxRule "
            "are required.",
        }
    ]
    control.set(error_format="object")
    again = api.post("/customer", json={**body, "Status": "Active"})
    assert again.json()["Exception"].startswith("PaymentTerm, AccountReceivable")


def test_without_require_all_seven_the_accounts_come_from_the_account(api, control):
    body = customer_body()
    del body["AccountReceivable"], body["RevenueAccount"], body["PriceTier"]
    assert api.post("/customer", json=body).status_code == 400
    control.set(require_all_seven=False)
    created = api.post("/customer", json=body).json()["CustomerList"][0]
    assert created["AccountReceivable"] == "610" and created["RevenueAccount"] == "200"
    control.set(require_price_tier=True)
    refused = api.post("/customer", json=customer_body(PriceTier=None))
    assert refused.json()[0]["Exception"] == "PriceTier is required."


def test_reference_lists_name_the_accounts_defaults(api):
    terms = api.get("/ref/paymentterm").json()
    assert terms["Total"] == len(terms["PaymentTermList"]) > 1
    assert [t["Name"] for t in terms["PaymentTermList"] if t["IsDefault"]] == ["30 days"]
    taxes = api.get("/ref/tax", params={"Limit": 1, "Page": 2}).json()
    assert taxes["Page"] == 2 and len(taxes["TaxRuleList"]) == 1 and taxes["Total"] == 3
    accounts = api.get("/ref/account").json()["AccountsList"]
    debtors = [a["Code"] for a in accounts if a["SystemAccount"] == "DEBTORS"]
    assert debtors == ["610"] and "200" in [a["Code"] for a in accounts if a["Class"] == "REVENUE"]
    assert api.get("/ref/account", headers={"api-auth-applicationkey": "x"}).status_code == 403
