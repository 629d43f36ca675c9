"""bench/seeding.py's sandboxes: an Ecwid store grown by copies that never share an identity,
its listing and HighLevel's search by update time cut by a bisect, answering exactly what the
sandboxes' own handlers answer."""

import io
import json
from urllib.parse import urlencode

import pytest

from bench import seeding
from sandboxes.ecwid import EcwidSandbox, customers
from sandboxes.ecwid.state import CUSTOMER
from sandboxes.highlevel import search
from sandboxes.highlevel.context import Ctx
from sandboxes.highlevel.records import iso
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from sandboxes.kit.web import Request


@pytest.fixture(scope="module")
def ecwid():
    app = EcwidSandbox(SandboxOptions(seed=40, random_seed=5), rate_limit=10**9)
    seeding.grow_ecwid(app, 260)
    seeding.fast_listing(app)
    httpd, server, _ = start_in_thread([app])
    yield app
    stop(httpd, server)


def _docs(app) -> list[dict]:
    return app.store.all(CUSTOMER)


def test_grown_to_the_size_asked_with_every_identity_its_own(ecwid):
    docs = _docs(ecwid)
    assert len(docs) == 260
    assert len({d["id"] for d in docs}) == 260
    assert len({d["email"].lower() for d in docs}) == 260
    assert len({d["billingPerson"]["phone"] for d in docs}) == 260
    nested = [item["id"] for d in docs for item in (*d["contacts"], *d["shippingAddresses"])]
    assert len(set(nested) | {d["id"] for d in docs}) == len(nested) + 260
    for doc in docs:  # the copies keep the document consistent with itself
        kinds = {c["type"]: c["contact"] for c in doc["contacts"]}
        assert kinds["EMAIL"] == doc["email"]
        assert kinds["PHONE"] == doc["billingPerson"]["phone"]
    assert ecwid.state.next_id() > max(nested)


LIST_CUSTOMERS = customers.list_customers


def _by_handler(app, query: dict) -> dict:
    """The sandbox's own listing, called directly."""
    environ = {
        "REQUEST_METHOD": "GET",
        "QUERY_STRING": urlencode(query),
        "wsgi.input": io.BytesIO(),
    }
    _, body = LIST_CUSTOMERS(app.state, Request(environ, "/customers"))
    return body


def _over_http(app, query: dict) -> dict:
    import requests

    described = app.describe()
    headers = {"Authorization": f"Bearer {described['secret_token']}"}
    answer = requests.get(
        f"{described['api_url']}/customers", params=query, headers=headers, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_fast_listing_answers_what_the_sandbox_answers(ecwid, monkeypatch):
    handled = []  # the queries the fast listing handed to the sandbox's handler
    monkeypatch.setattr(
        customers,
        "list_customers",
        lambda state, r: handled.append(r.query) or LIST_CUSTOMERS(state, r),
    )
    updated = sorted(d["_updated"] for d in _docs(ecwid))
    queries = [{"sortBy": "UPDATED_DATE_ASC", "limit": 100, "offset": 0}]
    for anchor in (updated[0], updated[57], updated[57] + 1, updated[-1], updated[-1] + 1):
        for offset in (0, 3, 100):
            queries.append(
                {
                    "sortBy": "UPDATED_DATE_ASC",
                    "limit": 100,
                    "offset": offset,
                    "updatedFrom": anchor,
                }
            )
    queries.append(
        {"sortBy": "UPDATED_DATE_ASC", "limit": 50, "customerGroupIds": "0"}
    )  # the handler's
    queries.append({"sortBy": "NAME_ASC", "limit": 100})  # the handler's
    for query in queries:
        assert _over_http(ecwid, query) == _by_handler(ecwid, query), query
    assert [sorted(query) for query in handled] == [
        ["customerGroupIds", "limit", "sortBy"],
        ["limit", "sortBy"],
    ]


def test_a_change_in_the_store_is_listed_at_once(ecwid):
    query = {"sortBy": "UPDATED_DATE_ASC", "limit": 100, "offset": 0}
    _over_http(ecwid, query)  # the sorted list built
    doc = _docs(ecwid)[5]
    doc["_updated"] = max(d["_updated"] for d in _docs(ecwid)) + 10
    doc["name"] = "Moved Last"
    ecwid.store.put(CUSTOMER, str(doc["id"]), doc)

    latest = {**query, "updatedFrom": doc["_updated"]}
    assert [c["name"] for c in _over_http(ecwid, latest)["items"]] == ["Moved Last"]
    assert _over_http(ecwid, latest) == _by_handler(ecwid, latest)


@pytest.fixture(scope="module")
def highlevel():
    from sandboxes.highlevel import HighLevelSandbox

    app = HighLevelSandbox(SandboxOptions(seed=230, random_seed=7), rsa_key_bits=2048)
    seeding.fast_search(app)
    httpd, server, _ = start_in_thread([app])
    yield app
    stop(httpd, server)


SEARCH_CONTACTS = search.search_contacts


def _search_by_handler(app, body: dict) -> dict:
    """The sandbox's own search, called directly as its pipeline would."""
    described = app.describe()
    raw = json.dumps(body).encode()
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(raw))}
    request = Request({**environ, "wsgi.input": io.BytesIO(raw)}, "/contacts/search")
    token = app.tokens.valid_access(described["private_integration_token"])
    _, answer = SEARCH_CONTACTS(Ctx(app, request, token, "2021-07-28"))
    return json.loads(json.dumps(answer))


def _search_over_http(app, body: dict) -> dict:
    import requests

    described = app.describe()
    headers = {
        "Authorization": f"Bearer {described['private_integration_token']}",
        "Version": "2021-07-28",
    }
    answer = requests.post(
        f"{described['base_url']}/contacts/search", json=body, headers=headers, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return {k: v for k, v in answer.json().items() if k != "traceId"}


def test_the_fast_search_answers_what_the_sandbox_answers(highlevel, monkeypatch):
    narrowed = []  # whether each search the handler got came through the bisect
    monkeypatch.setattr(
        search,
        "search_contacts",
        lambda ctx: narrowed.append(type(ctx.app).__name__ == "_WithData") or SEARCH_CONTACTS(ctx),
    )
    location = highlevel.describe()["location_id"]
    keys = highlevel.data.keys(location, "dateUpdated")
    by_update = [{"field": "dateUpdated", "direction": "asc"}]
    bodies = []
    for ms, contact_id in (keys[0], keys[100], keys[-1]):
        for bound in (ms, ms + 1, iso(ms)):
            since = {"field": "dateUpdated", "operator": "range", "value": {"gte": bound}}
            body = {"locationId": location, "pageLimit": 100, "sort": by_update}
            bodies.append({**body, "filters": [since]})
            bodies.append({**body, "filters": [since], "searchAfter": [ms, contact_id]})
    plain = {"locationId": location, "pageLimit": 100}
    bodies.append({**plain, "query": "a"})  # the handler's own
    bodies.append({**plain, "sort": by_update})  # no filter: the handler's own
    for body in bodies:
        assert _search_over_http(highlevel, body) == _search_by_handler(highlevel, body), body
    assert narrowed == [True] * (len(bodies) - 2) + [False, False]
