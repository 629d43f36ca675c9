"""Deterministic seeding that overlaps HighLevel's, and state that survives a restart."""

import requests

from sandboxes.kit.people import people
from sandboxes.kit.server import SandboxOptions
from tests.integrations.providers.cscart.conftest import Api, start
from tests.sandboxes.support import TIMEOUT


def _all_customers(described: dict) -> list[dict]:
    api = Api(described["api_url"], described["email"], described["api_key"])
    body = api.get("/users", params={"user_type": "C", "sort_by": "id", "items_per_page": 1000})
    return body.json()["users"]


def test_the_seed_shares_e_mails_with_the_common_people_and_varies_some_spellings():
    app, stop_server = start(options=SandboxOptions(seed=40, random_seed=11))
    try:
        customers = _all_customers(app.describe())
    finally:
        stop_server()
    expected = people(40, 11)
    assert [c["email"] for c in customers] == [p.email for p in expected]
    phones_differ = sum(c["phone"] != p.phone for c, p in zip(customers, expected, strict=True))
    names_differ = sum(
        (c["firstname"], c["lastname"]) != (p.first_name, p.last_name)
        for c, p in zip(customers, expected, strict=True)
    )
    assert 0 < phones_differ < 40 and 0 < names_differ < 40


def test_two_sandboxes_with_one_seed_agree():
    first, stop_first = start(options=SandboxOptions(seed=15, random_seed=4))
    second, stop_second = start(options=SandboxOptions(seed=15, random_seed=4))
    try:
        assert first.credentials == second.credentials
        assert _all_customers(first.describe()) == _all_customers(second.describe())
    finally:
        stop_first()
        stop_second()


def test_state_persists_across_a_restart_with_a_state_dir(tmp_path):
    options = SandboxOptions(state_dir=tmp_path, seed=5, random_seed=2)
    app, stop_server = start(options=options)
    described = app.describe()
    api = Api(described["api_url"], described["email"], described["api_key"])
    created = api.post(
        "/users", json={"email": "kept@example.org", "user_type": "C", "company_id": 1}
    ).json()["user_id"]
    api.put(f"/users/{created}/usergroups/4", json={"status": "A"})
    api.delete("/users/3")
    stop_server()

    again, stop_again = start(options=SandboxOptions(state_dir=tmp_path, seed=50, random_seed=9))
    try:
        described_again = again.describe()
        assert described_again["api_key"] == described["api_key"]
        customers = _all_customers(described_again)
        assert len(customers) == 5  # 5 seeded - 1 deleted + 1 created; no re-seeding
        assert "kept@example.org" in {c["email"] for c in customers}
        api = Api(described_again["api_url"], described["email"], described["api_key"])
        assert api.get(f"/users/{created}/usergroups").json() == {
            "4": {"usergroup_id": "4", "status": "A"}
        }
        nxt = api.post(
            "/users", json={"email": "next@example.org", "user_type": "C", "company_id": 1}
        )
        assert nxt.json()["user_id"] == created + 1
    finally:
        stop_again()


def test_describe_is_served_in_test_mode(creds):
    described = requests.get(creds["base_url"] + "/_describe", timeout=TIMEOUT).json()
    assert described["api_key"] == creds["api_key"]
    assert described["api_url"] == creds["store_url"] + "/api/2.0"
