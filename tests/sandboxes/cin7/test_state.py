"""Start-up line, deterministic seed shared with HighLevel, persistence and test mode."""

import random

import requests

from sandboxes.kit.people import people, platform_variant
from sandboxes.kit.server import SandboxOptions
from tests.integrations.providers.cin7.conftest import RANDOM_SEED, SEED, Api, customer_body, start


def test_describe_gives_the_base_url_and_credentials_in_cin7_terms(described, cin7):
    assert described["base_url"].endswith("/cin7")
    assert described["api_url"] == described["base_url"] + "/ExternalApi/v2"
    assert {"account_id", "application_key", "account_name"} <= described.keys()
    served = requests.get(described["base_url"] + "/_describe", timeout=5).json()
    assert served == described


def test_the_seed_is_deterministic_and_shares_e_mails_with_highlevel(api):
    listed = api.customers(Limit=1000, IncludeDeprecated="true")["CustomerList"]
    emails = {c["Contacts"][0]["Email"] for c in listed if c["Contacts"]}
    shared = people(SEED, RANDOM_SEED)
    assert {p.email for p in shared} <= emails
    wanted = {p.email for p in shared}
    seeded = [c for c in listed if c["Contacts"] and c["Contacts"][0]["Email"] in wanted]
    assert len(seeded) == SEED
    assert len({c["Name"].casefold() for c in seeded}) == SEED  # names are unique
    assert all(c["Tags"] is not None and c["Currency"] == "USD" for c in seeded)
    # Part of them spell the name or phone differently from HighLevel's copy.
    by_email = {c["Contacts"][0]["Email"]: c["Contacts"][0] for c in seeded}
    differ = [
        p
        for p in shared
        if by_email[p.email]["Name"] != p.full_name or by_email[p.email]["Phone"] != p.phone
    ]
    assert 0 < len(differ) < SEED
    assert platform_variant(shared[0], random.Random(1)).email == shared[0].email


def test_state_survives_a_restart_with_a_state_dir(tmp_path):
    options = SandboxOptions(state_dir=tmp_path, seed=5, random_seed=3)
    app, stop_server = start(options)
    first = app.describe()
    api = Api(first["api_url"], first["account_id"], first["application_key"])
    created = api.post("/customer", json=customer_body()).json()["CustomerList"][0]
    api.post("/webhooks", json={"Type": "Customer/Updated", "ExternalURL": "http://127.0.0.1:9/h"})
    api.put("/customer", json={"ID": created["ID"], "Status": "Deprecated"})
    stop_server()

    app, stop_server = start(options)
    try:
        again = app.describe()
        assert again["account_id"] == first["account_id"]
        api = Api(again["api_url"], again["account_id"], again["application_key"])
        assert api.customers(IncludeDeprecated="true")["Total"] == 6
        found = api.customers(ID=created["ID"], IncludeDeprecated="true")["CustomerList"]
        assert found[0]["Status"] == "Deprecated"
        assert len(api.get("/webhooks").json()["Webhooks"]) == 1
        control = requests.get(again["control_url"], timeout=5).json()
        assert control["customers"] == 6
    finally:
        stop_server()


def test_without_test_mode_control_and_describe_are_refused():
    app, stop_server = start(SandboxOptions(seed=1, test_mode=False))
    try:
        described = app.describe()
        assert requests.get(described["control_url"], timeout=5).status_code == 403
        assert requests.get(described["base_url"] + "/_describe", timeout=5).status_code == 403
        api = Api(described["api_url"], described["account_id"], described["application_key"])
        assert api.get("/me").status_code == 200
    finally:
        stop_server()
