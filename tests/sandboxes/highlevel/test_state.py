"""Seeded data, determinism, restarts with a state folder, and speed on thousands of contacts."""

import re
import time

import requests

from sandboxes.highlevel import HighLevelSandbox
from sandboxes.kit.people import people
from sandboxes.kit.server import SandboxOptions
from tests.sandboxes.highlevel.conftest import (
    RANDOM_SEED,
    SEED,
    Api,
    start,
)
from tests.sandboxes.support import TIMEOUT

ID = re.compile(r"^[A-Za-z0-9]{20}$")


def _token(creds: dict, **form) -> requests.Response:
    body = {"client_id": creds["client_id"], "client_secret": creds["client_secret"], **form}
    return requests.post(creds["token_url"], data=body, timeout=TIMEOUT)


def test_describe_publishes_what_a_client_needs(creds):
    assert set(creds) >= {
        "provider",
        "base_url",
        "client_id",
        "client_secret",
        "location_id",
        "private_integration_token",
        "webhook_public_key",
        "webhook_rsa_public_key",
        "authorize_url",
        "token_url",
        "company_id",
    }
    assert creds["provider"] == "highlevel" and creds["base_url"].endswith("/highlevel")
    assert re.match(r"^[0-9a-f]{24}-[a-z0-9]{8}$", creds["client_id"])
    assert re.match(r"^pit-[0-9a-f-]{36}$", creds["private_integration_token"])
    assert creds["webhook_public_key"].startswith(
        "MCowBQYDK2VwAyEA"
    )  # Ed25519 SPKI, like HighLevel's
    assert creds["webhook_rsa_public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    assert len(creds["location_ids"]) == 2 and creds["location_id"] == creds["location_ids"][0]


def test_the_seed_overlaps_the_shared_people_by_email(highlevel, creds):
    first, second = creds["location_ids"]
    seeded = [c for c in highlevel.data.contacts.values() if c["createdBy"]["source"] == "WEB_USER"]
    emails = {c["email"] for c in seeded if c["locationId"] == first}
    assert {p.email for p in people(SEED, RANDOM_SEED)} <= emails
    assert len([c for c in seeded if c["locationId"] == second]) == len(range(0, SEED, 20))
    assert all(ID.match(c["id"]) for c in seeded)
    assert any(c.get("businessId") for c in seeded)
    assert all(re.match(r"^[0-9a-f]{24}$", b) for b in highlevel.data.businesses)
    assert highlevel.data.tasks and highlevel.data.notes and highlevel.data.appointments
    kinds = {f["dataType"] for f in highlevel.data.custom_fields[first]}
    assert {"TEXT", "NUMERICAL", "DATE", "SINGLE_OPTIONS", "CHECKBOX"} <= kinds
    assert any(c["customFields"] for c in seeded)


def test_the_same_seed_gives_the_same_data():
    def snapshot(random_seed: int):
        app = HighLevelSandbox(SandboxOptions(seed=25, random_seed=random_seed), rsa_key_bits=2048)
        try:
            contacts = sorted(
                (
                    c["id"],
                    c["email"],
                    c["dateUpdated"],
                    tuple(c["tags"]),
                    tuple(c["customFields"].items()),
                )
                for c in app.data.contacts.values()
            )
            return (
                contacts,
                dict(app.credentials),
                sorted(app.data.tasks),
                sorted(app.data.custom_fields),
            )
        finally:
            app.close()

    first, again, other = snapshot(11), snapshot(11), snapshot(12)
    assert first == again
    assert first[0] != other[0] and first[1]["client_id"] != other[1]["client_id"]


def test_state_survives_a_restart_with_a_state_dir(tmp_path):
    options = SandboxOptions(state_dir=tmp_path, seed=10, random_seed=5)
    app, stop_server = start(options=options)
    creds = app.describe()
    api = Api(creds["base_url"], creds["private_integration_token"])
    created = api.post(
        "/contacts/", json={"locationId": creds["location_id"], "email": "kept@example.org"}
    )
    contact_id = created.json()["contact"]["id"]
    issued = requests.post(
        creds["control_url"], json={"issue_token": {"scopes": "contacts.readonly"}}, timeout=TIMEOUT
    ).json()["result"]["issued"]
    stop_server()
    assert (tmp_path / "highlevel.sqlite3").exists()

    app, stop_server = start(options=SandboxOptions(state_dir=tmp_path, seed=10, random_seed=99))
    try:
        again = app.describe()
        for key in (
            "client_id",
            "client_secret",
            "private_integration_token",
            "webhook_public_key",
            "location_id",
        ):
            assert again[key] == creds[key]
        assert again["webhook_rsa_public_key"] == creds["webhook_rsa_public_key"]
        api = Api(again["base_url"], again["private_integration_token"])
        assert api.get(f"/contacts/{contact_id}").json()["contact"]["email"] == "kept@example.org"
        assert len(app.data.contacts) == 10 + 1 + 1  # not seeded twice
        reader = Api(again["base_url"], issued["access_token"])
        assert reader.get(f"/contacts/{contact_id}").status_code == 200
        assert (
            _token(
                again, grant_type="refresh_token", refresh_token=issued["refresh_token"]
            ).status_code
            == 200
        )
    finally:
        stop_server()


def test_paging_thousands_of_contacts_is_fast():
    app, stop_server = start(options=SandboxOptions(seed=3000, random_seed=4), burst_limit=10_000)
    try:
        creds = app.describe()
        api = Api(creds["base_url"], creds["private_integration_token"])
        started = time.monotonic()
        seen, query = 0, {"locationId": creds["location_id"], "limit": 100}
        while True:
            page = api.get("/contacts/", params=query).json()
            seen += len(page["contacts"])
            if len(page["contacts"]) < 100:
                break
            query.update(
                startAfter=page["meta"]["startAfter"], startAfterId=page["meta"]["startAfterId"]
            )
        body = {"locationId": creds["location_id"], "pageLimit": 500}
        found = 0
        while records := api.post("/contacts/search", json=body).json()["contacts"]:
            found += len(records)
            body["searchAfter"] = records[-1]["searchAfter"]
        assert seen == found == 3000
        assert time.monotonic() - started < 5
    finally:
        stop_server()
