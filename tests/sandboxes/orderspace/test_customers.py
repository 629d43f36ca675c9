"""Customers as Orderspace serves them: shapes, create/update/delete, validation, filters."""

from sandboxes.kit.people import COMPANIES, people
from sandboxes.kit.server import SandboxOptions
from tests.integrations.providers.orderspace.conftest import RANDOM_SEED, SEED, new_fields, start
from tests.sandboxes.orderspace.conftest import Api, get_token

KEYS = [
    "id",
    "company_name",
    "created",
    "status",
    "reference",
    "internal_note",
    "buyers",
    "phone",
    "email_addresses",
    "tax_number",
    "tax_rate_id",
    "addresses",
    "minimum_spend",
    "payment_terms_id",
    "customer_group_id",
    "price_list_id",
]


def test_list_answers_50_newest_first_with_has_more(api):
    body = api.get("/customers").json()

    assert len(body["customers"]) == 50
    assert body["has_more"] is True
    created = [c["created"] for c in body["customers"]]
    assert created == sorted(created, reverse=True)
    assert list(body["customers"][0]) == KEYS
    assert body["customers"][0]["id"].startswith("cu_")


def test_limit_is_capped_at_200_or_refused_by_knob(api, control):
    assert len(api.get("/customers", params={"limit": 500}).json()["customers"]) <= 200
    assert api.get("/customers", params={"limit": 0}).status_code == 400

    control.set(limit_over_max="bad_request")
    refused = api.get("/customers", params={"limit": 201})

    assert refused.status_code == 400
    assert refused.headers["Content-Type"].startswith("text/html")


def test_seeded_customers_share_emails_with_the_people_list_but_not_always_spelling():
    app, stop_server = start(SandboxOptions(seed=SEED, random_seed=RANDOM_SEED))
    try:
        described = app.describe()
        api = Api(described["api_url"], get_token(described).json()["access_token"])
        seeded = api.get("/customers", params={"limit": 200}).json()["customers"]
    finally:
        stop_server()
    by_email = {c["buyers"][0]["email_address"]: c for c in seeded}
    everyone = people(SEED, RANDOM_SEED)

    assert set(by_email) == {p.email for p in everyone}
    differing = [p for p in everyone if by_email[p.email]["buyers"][0]["name"] != p.full_name]
    assert 0 < len(differing) < len(everyone) / 2
    assert {c["company_name"] for c in seeded} <= set(COMPANIES)


def test_create_answers_200_and_fills_notification_addresses_from_the_buyer(api):
    fields = new_fields(reference="R-1", minimum_spend=150)
    response = api.post("/customers", json={"customer": fields})

    assert response.status_code == 200
    customer = response.json()["customer"]
    email = fields["buyers"][0]["email_address"]
    assert customer["email_addresses"] == {"orders": email, "dispatches": email, "invoices": email}
    assert customer["status"] == "active"
    assert customer["minimum_spend"] == 150.0
    assert customer["created"].endswith("Z")
    assert api.get(f"/customers/{customer['id']}").json()["customer"] == customer


def test_validation_failures_are_joined_in_one_message(api, create):
    taken = create(new_fields())["buyers"][0]["email_address"]

    no_company = api.post("/customers", json={"customer": {"company_name": ""}})
    duplicate = api.post(
        "/customers",
        json={"customer": new_fields(buyers=[{"name": "X", "email_address": taken.upper()}])},
    )
    bad_refs = api.post(
        "/customers",
        json={"customer": new_fields(payment_terms_id="pt_nope", customer_group_id="cg_nope")},
    )
    two_buyers = api.post(
        "/customers",
        json={
            "customer": new_fields(
                buyers=[
                    {"name": "A", "email_address": "a.two@example.org"},
                    {"name": "B", "email_address": "b.two@example.org"},
                ]
            )
        },
    )

    assert no_company.status_code == 422
    assert no_company.json() == {"message": "Validation failed: Company name can't be blank"}
    assert duplicate.json() == {
        "message": "Validation failed: Email address has already been taken"
    }
    assert bad_refs.json() == {
        "message": "Validation failed: Payment Terms are invalid, Customer Group is invalid"
    }
    assert two_buyers.status_code == 422


def test_a_bad_request_is_a_400_html_answer_with_an_empty_body(api):
    """Orderspace's recorded 400s: `text/html`, and nothing in the body to read."""
    for response in (
        api.post("/customers", json={"company_name": "Flat"}),
        api.post("/customers", json=None),
        api.get("/customers", params={"limit": 0}),
    ):
        assert response.status_code == 400
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.content == b""


def test_update_is_partial_and_delete_answers_deleted_true(api, create):
    customer = create(new_fields(internal_note="keep me"))

    updated = api.put(f"/customers/{customer['id']}", json={"customer": {"phone": "555"}})
    deleted = api.delete(f"/customers/{customer['id']}")
    gone = api.get(f"/customers/{customer['id']}")

    assert updated.status_code == 200
    assert updated.json()["customer"]["phone"] == "555"
    assert updated.json()["customer"]["internal_note"] == "keep me"
    assert deleted.status_code == 200
    assert deleted.json() == {"customer": {"id": customer["id"], "deleted": True}}
    assert gone.status_code == 404
    assert gone.json() == {"message": f"Couldn't find a customer with ID {customer['id']}"}
    assert api.delete(f"/customers/{customer['id']}").status_code == 404


def test_a_deleted_customers_email_can_be_used_again(api, create):
    customer = create(new_fields())
    api.delete(f"/customers/{customer['id']}")

    again = api.post("/customers", json={"customer": new_fields(buyers=customer["buyers"])})

    assert again.status_code == 200


def test_filters_by_buyer_email_and_status(api, create):
    customer = create(new_fields(status="closed"))
    email = customer["buyers"][0]["email_address"]

    by_email = api.get("/customers", params={"buyers_email_address": email.upper()}).json()
    closed = api.get("/customers", params={"status": "closed", "limit": 200}).json()

    assert [c["id"] for c in by_email["customers"]] == [customer["id"]]
    assert customer["id"] in {c["id"] for c in closed["customers"]}
    assert {c["status"] for c in closed["customers"]} == {"closed"}


def test_created_since_is_inclusive_by_default_and_a_knob(api, control):
    boundary = "2025-01-01T02:00:00Z"
    seeded = api.get("/customers", params={"limit": 200}).json()["customers"]
    at_or_after = [c for c in seeded if c["created"] >= boundary]

    inclusive = api.get(
        "/customers", params={"created_since": "2025-01-01T02:00", "limit": 200}
    ).json()["customers"]
    control.set(created_since_inclusive=False)
    exclusive = api.get("/customers", params={"created_since": boundary, "limit": 200}).json()[
        "customers"
    ]

    assert {c["id"] for c in inclusive} >= {c["id"] for c in at_or_after}
    assert all(c["created"] >= boundary for c in inclusive)
    assert all(c["created"] > boundary for c in exclusive)
    assert api.get("/customers", params={"created_since": "yesterday"}).status_code == 400


def test_the_created_field_name_is_a_knob(api, control):
    control.set(created_field="created_at")
    docs_name = api.get("/customers", params={"limit": 1}).json()["customers"][0]
    control.set(created_field="both")
    both = api.get("/customers", params={"limit": 1}).json()["customers"][0]

    assert "created_at" in docs_name and "created" not in docs_name
    assert both["created"] == both["created_at"]


def test_reference_lists_for_groups_price_lists_terms_and_tax_rates(api, create):
    lists = {
        kind: api.get(f"/{kind}").json()[kind]
        for kind in ("customer_groups", "price_lists", "payment_terms", "tax_rates")
    }
    group = lists["customer_groups"][0]["id"]

    customer = create(new_fields(customer_group_id=group))

    assert all(items and items[0]["id"] and items[0]["name"] for items in lists.values())
    assert group.startswith("cg_")
    assert customer["customer_group_id"] == group


def test_unknown_routes_are_html_404s(api):
    response = api.get("/contacts")

    assert response.status_code == 404
    assert "Page Not Found" in response.text
