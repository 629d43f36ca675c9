"""With a state folder the sandbox keeps customers, webhooks, tokens and credentials."""

from sandboxes.kit.server import SandboxOptions
from tests.integrations.providers.orderspace.conftest import new_fields, start
from tests.sandboxes.orderspace.conftest import Api, get_token


def test_state_survives_a_restart_and_the_seed_is_not_repeated(tmp_path):
    options = SandboxOptions(state_dir=tmp_path, seed=5, random_seed=3)
    app, stop_server = start(options)
    described = app.describe()
    token = get_token(described).json()["access_token"]
    api = Api(described["api_url"], token)
    created = api.post("/customers", json={"customer": new_fields()}).json()["customer"]
    newest = api.get("/customers", params={"limit": 1}).json()["customers"][0]
    api.delete(f"/customers/{created['id']}")
    stop_server()

    app, stop_server = start(options)
    try:
        again = app.describe()
        api = Api(again["api_url"], token)  # the token bought before the restart still works
        customers = api.get("/customers", params={"limit": 200}).json()["customers"]
        fresh = api.post("/customers", json={"customer": new_fields()}).json()["customer"]
    finally:
        stop_server()

    assert again["client_id"] == described["client_id"]
    assert again["client_secret"] == described["client_secret"]
    assert len(customers) == 5
    assert newest["id"] == created["id"]
    assert created["id"] not in {c["id"] for c in customers}
    assert fresh["id"] != created["id"]


def test_two_sandboxes_with_one_random_seed_agree(tmp_path):
    first, stop_first = start(SandboxOptions(seed=4, random_seed=11))
    second, stop_second = start(SandboxOptions(seed=4, random_seed=11))
    try:
        a, b = first.describe(), second.describe()
        ids_a = [
            c["id"]
            for c in Api(a["api_url"], get_token(a).json()["access_token"])
            .get("/customers")
            .json()["customers"]
        ]
        ids_b = [
            c["id"]
            for c in Api(b["api_url"], get_token(b).json()["access_token"])
            .get("/customers")
            .json()["customers"]
        ]
    finally:
        stop_first()
        stop_second()

    assert a["client_id"] == b["client_id"]
    assert ids_a == ids_b and len(ids_a) == 4
