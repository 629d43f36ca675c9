"""With a state_dir, everything survives a restart: customers, tokens, ids, deletions."""

import requests

from sandboxes.ecwid import EcwidSandbox
from sandboxes.kit.server import SandboxOptions
from tests.sandboxes.ecwid.conftest import Api, Control, start
from tests.sandboxes.support import TIMEOUT


def test_state_persists_across_a_restart(tmp_path):
    options = SandboxOptions(state_dir=tmp_path, seed=5, random_seed=3)
    app, stop_server = start(options)
    creds = app.describe()
    api = Api(creds["api_url"], creds["secret_token"])
    token = Control(creds["base_url"]).issue_token("read_customers")
    created = api.post("/customers", json={"email": "kept@example.org"}).json()["id"]
    seeded = api.get("/customers", params={"sortBy": "EMAIL_ASC"}).json()["items"][0]
    api.delete(f"/customers/{seeded['id']}")
    stop_server()

    again, stop_again = start(options)
    try:
        assert again.describe()["secret_token"] == creds["secret_token"]
        api = Api(again.describe()["api_url"], creds["secret_token"])
        assert api.get(f"/customers/{created}").json()["email"] == "kept@example.org"
        assert api.get(f"/customers/{seeded['id']}").status_code == 404
        deleted = api.get("/customers/deleted").json()["items"]
        assert [item["id"] for item in deleted] == [seeded["id"]]
        assert api.get("/customers").json()["total"] == 5  # not seeded twice
        newer = api.post("/customers", json={"email": "newer@example.org"}).json()["id"]
        assert newer > created  # ids keep counting
        assert Api(api.base_url, token).get("/customers").status_code == 200
    finally:
        stop_again()


def test_the_same_random_seed_gives_the_same_store():
    first = EcwidSandbox(SandboxOptions(seed=3, random_seed=11))
    second = EcwidSandbox(SandboxOptions(seed=3, random_seed=11))
    try:
        assert first.describe() == second.describe()
        assert first.store.all("customer") == second.store.all("customer")
    finally:
        first.close()
        second.close()


def test_describe_is_served_in_test_mode(creds):
    answer = requests.get(creds["base_url"] + "/_describe", timeout=TIMEOUT)
    assert answer.json()["secret_token"] == creds["secret_token"]
