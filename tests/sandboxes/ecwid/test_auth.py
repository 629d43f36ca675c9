"""Ecwid's auth: a store's bearer token (or legacy ?token=), its scopes, and its refusals."""

import requests

from tests.sandboxes.ecwid.conftest import Api
from tests.sandboxes.support import TIMEOUT


def test_the_secret_token_reads_customers_as_a_bearer_token(api):
    response = api.get("/customers")
    assert response.status_code == 200
    assert response.json()["total"] >= 40


def test_the_legacy_token_query_parameter_still_works(creds):
    response = requests.get(
        creds["api_url"] + "/customers", params={"token": creds["secret_token"]}, timeout=TIMEOUT
    )
    assert response.status_code == 200


def test_a_missing_token_is_refused_with_403(creds):
    response = Api(creds["api_url"], None).get("/customers")
    assert response.status_code == 403
    assert response.json() == {
        "errorMessage": "API token is not specified",
        "errorCode": "INVALID_API_TOKEN",
    }


def test_a_wrong_token_is_refused_with_403_invalid_api_token(creds):
    response = Api(creds["api_url"], "secret_wrong").get("/customers")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "INVALID_API_TOKEN"


def test_a_token_is_only_good_for_its_own_store(creds):
    other_store = creds["api_url"].rsplit("/", 1)[0] + "/1003"
    response = Api(other_store, creds["secret_token"]).get("/customers")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "INVALID_API_TOKEN"


def test_the_public_token_reads_the_profile_but_not_customers(creds):
    public = Api(creds["api_url"], creds["public_token"])
    assert public.get("/profile").status_code == 200
    refused = public.get("/customers")
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "INSUFFICIENT_APP_SCOPE"
    assert "read_customers" in refused.json()["errorMessage"]


def test_scopes_are_checked_per_operation(creds, control, new_customer):
    reader = Api(creds["api_url"], control.issue_token("read_customers"))
    assert reader.get("/customers").status_code == 200
    created = reader.post("/customers", json={"email": "reader@example.org"})
    assert created.status_code == 403 and "create_customers" in created.json()["errorMessage"]
    customer = new_customer()
    for response in (
        reader.put(f"/customers/{customer['id']}", json={"lang": "fr"}),
        reader.delete(f"/customers/{customer['id']}"),
    ):
        assert response.status_code == 403
        assert "update_customers" in response.json()["errorMessage"]


def test_a_revoked_token_is_refused(creds, control):
    token = control.issue_token("read_customers")
    api = Api(creds["api_url"], token)
    assert api.get("/customers").status_code == 200
    assert control.set(revoke_tokens=[token])["result"]["revoke_tokens"] == {"revoked": 1}
    assert api.get("/customers").status_code == 403


def test_repeated_bad_tokens_get_a_longer_block(creds, control, api):
    control.set(bad_token_limit=3, bad_token_block_seconds=120)
    bad = Api(creds["api_url"], "secret_guess")
    statuses = [bad.get("/customers").status_code for _ in range(5)]
    assert statuses == [403, 403, 403, 429, 429]
    blocked = bad.get("/customers")
    assert blocked.json()["errorCode"] == "RATE_LIMITED"
    assert 100 < int(blocked.headers["Retry-After"]) <= 120
    assert api.get("/customers").status_code == 200  # the good token is not blocked


def test_the_profile_names_the_store(creds, api):
    profile = api.get("/profile").json()
    assert profile["generalInfo"]["storeId"] == creds["store_id"]
    assert profile["settings"]["storeName"] == creds["store_name"]


def test_updating_a_customer_needs_read_and_update_scopes(creds, control, new_customer):
    """Ecwid's docs ask for read_customers AND update_customers to PUT a customer."""
    customer = new_customer()
    updater = Api(creds["api_url"], control.issue_token("update_customers"))
    refused = updater.put(f"/customers/{customer['id']}", json={"lang": "fr"})
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "INSUFFICIENT_APP_SCOPE"
    assert "read_customers" in refused.json()["errorMessage"]
    both = Api(creds["api_url"], control.issue_token("read_customers", "update_customers"))
    assert both.put(f"/customers/{customer['id']}", json={"lang": "fr"}).json() == {
        "updateCount": 1
    }
    # Deleting needs update_customers only.
    assert updater.delete(f"/customers/{customer['id']}").json() == {"deleteCount": 1}
