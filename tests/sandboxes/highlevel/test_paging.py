"""Listing and searching: keyset paging, page/pageLimit, searchAfter, filters, sorting."""

import uuid

import pytest

from sandboxes.highlevel.records import ms_of


def _all_ids(highlevel, location: str) -> set[str]:
    return {c["id"] for c in highlevel.data.contacts.values() if c["locationId"] == location}


def _list_pages(api, location: str, between_pages=None, **params) -> list[list[dict]]:
    pages, query = [], {"locationId": location, **params}
    while True:
        body = api.get("/contacts/", params=query).json()
        pages.append(body["contacts"])
        if len(body["contacts"]) < int(params.get("limit", 20)):
            return pages
        if between_pages:
            between_pages()
        query.update(
            startAfter=body["meta"]["startAfter"], startAfterId=body["meta"]["startAfterId"]
        )


def test_the_list_pages_with_a_keyset_without_gaps_or_repeats(
    api, highlevel, location, new_contact
):
    before = _all_ids(highlevel, location)
    pages = _list_pages(api, location, between_pages=new_contact, limit=7)
    ids = [contact["id"] for page in pages for contact in page]
    assert len(ids) == len(set(ids)) and set(ids) == before  # new contacts land before the cursor
    added = [ms_of(contact, "dateAdded") for page in pages for contact in page]
    assert added == sorted(added, reverse=True)  # date_added, newest first


def test_list_meta(api, highlevel, location):
    total = len(_all_ids(highlevel, location))
    first = api.get("/contacts/", params={"locationId": location, "limit": 5}).json()
    meta = first["meta"]
    assert meta["total"] == total and first["count"] == total
    assert meta["currentPage"] == 1 and meta["nextPage"] == 2 and meta["prevPage"] is None
    assert meta["startAfterId"] == first["contacts"][-1]["id"]
    assert f"startAfterId={meta['startAfterId']}" in meta["nextPageUrl"]
    second = api.get(meta["nextPageUrl"].replace(api.base_url, "")).json()
    assert second["meta"]["currentPage"] == 2 and second["meta"]["prevPage"] == 1
    assert not {c["id"] for c in first["contacts"]} & {c["id"] for c in second["contacts"]}


def test_list_sort_order_and_query(api, location):
    pages = _list_pages(api, location, limit=9, sortBy="date_updated", order="asc")
    updated = [ms_of(contact, "dateUpdated") for page in pages for contact in page]
    assert updated == sorted(updated)
    found = api.get(
        "/contacts/", params={"locationId": location, "query": "example.com", "limit": 100}
    ).json()
    assert found["meta"]["total"] == len(found["contacts"]) > 0


def test_list_validation(api, location):
    assert api.get("/contacts/", params={"locationId": location, "limit": 101}).status_code == 422
    assert (
        api.get("/contacts/", params={"limit": 10}).json()["message"][0]
        == "locationId should not be empty"
    )
    assert (
        api.get("/contacts/", params={"locationId": location, "sortBy": "name"}).status_code == 422
    )


def _search(api, location, **body):
    response = api.post("/contacts/search", json={"locationId": location, **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_search_pages_by_page_number(api, highlevel, location):
    total = _search(api, location, pageLimit=1)["total"]
    ids, page = [], 1
    while (page - 1) * 8 < total:
        ids += [c["id"] for c in _search(api, location, pageLimit=8, page=page)["contacts"]]
        page += 1
    assert len(ids) == len(set(ids)) == total == len(_all_ids(highlevel, location))


def test_search_after_survives_records_created_while_paging(api, highlevel, location, new_contact):
    before = _all_ids(highlevel, location)
    seen: list[str] = []
    body = {"pageLimit": 6, "sort": [{"field": "dateAdded", "direction": "desc"}]}
    while True:
        page = _search(api, location, **body)["contacts"]
        if not page:
            break
        seen += [record["id"] for record in page]
        new_contact()  # lands ahead of the cursor: must not disturb the walk
        body["searchAfter"] = page[-1]["searchAfter"]
    assert len(seen) == len(set(seen))
    assert set(seen) == before


def test_search_records_carry_nulls_and_their_cursor(api, new_contact, location):
    contact = new_contact()
    record = _search(api, location, pageLimit=1, query=contact["email"])["contacts"][0]
    assert record["id"] == contact["id"]
    assert record["city"] is None and record["businessId"] is None and record["address"] is None
    assert record["searchAfter"] == [ms_of(contact, "dateAdded"), contact["id"]]
    assert record["contactName"] == "test"


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_search_sorts_by_name(api, location, direction):
    records = _search(
        api, location, pageLimit=100, sort=[{"field": "lastName", "direction": direction}]
    )["contacts"]
    names = [(r["lastName"] or "").lower() for r in records]
    assert names == sorted(names, reverse=direction == "desc")
    after = _search(
        api, location, pageLimit=5, sort=[{"field": "lastName", "direction": direction}]
    )["contacts"]
    rest = _search(
        api,
        location,
        pageLimit=5,
        sort=[{"field": "lastName", "direction": direction}],
        searchAfter=after[-1]["searchAfter"],
    )["contacts"]
    assert [r["id"] for r in after + rest] == [r["id"] for r in records[:10]]


def test_search_filters(api, highlevel, location, new_contact):
    contact = new_contact(phone="+15125557001", tags=["filter-me"], companyName="Filter Co")
    mine = {c["id"]: c for c in highlevel.data.contacts.values() if c["locationId"] == location}

    def ids(filters):
        return {r["id"] for r in _search(api, location, pageLimit=500, filters=filters)["contacts"]}

    assert ids([{"field": "email", "operator": "eq", "value": contact["email"].upper()}]) == {
        contact["id"]
    }
    assert ids([{"field": "phone", "operator": "eq", "value": "(512) 555-7001"}]) == {contact["id"]}
    assert ids([{"field": "tags", "operator": "eq", "value": ["filter-me"]}]) == {contact["id"]}
    cutoff = sorted(ms_of(c, "dateUpdated") for c in mine.values())[len(mine) // 2]
    newer = {i for i, c in mine.items() if ms_of(c, "dateUpdated") >= cutoff}
    assert ids([{"field": "dateUpdated", "operator": "range", "value": {"gte": cutoff}}]) == newer
    assert ids([{"field": "dateUpdated", "operator": "gte", "value": cutoff}]) == newer
    # A tag only this test uses: seeded contacts and other tests tag "vip" (some "VIP", which
    # the search matches case-insensitively), so a shared tag would depend on the test order.
    own_tag = f"own-{uuid.uuid4().hex[:10]}"
    tagged = {new_contact(tags=[own_tag])["id"], new_contact(tags=[own_tag, "retail"])["id"]}
    everyone = _all_ids(highlevel, location)
    assert ids([{"field": "tags", "operator": "eq", "value": own_tag}]) == tagged
    assert ids([{"field": "tags", "operator": "not_eq", "value": own_tag}]) == everyone - tagged
    either = [
        {
            "group": "OR",
            "filters": [
                {"field": "companyName", "operator": "contains", "value": "filter"},
                {"field": "email", "operator": "eq", "value": "nobody@example.org"},
            ],
        }
    ]
    assert ids(either) == {contact["id"]}
    assert contact["id"] not in ids([{"field": "city", "operator": "exists"}])


def test_search_validation(api, location):
    def messages(body):
        response = api.post("/contacts/search", json=body)
        assert response.status_code == 422, body
        return " | ".join(response.json()["message"])

    assert "pageLimit should not be empty" in messages({"locationId": location})
    assert "locationId should not be empty" in messages({"pageLimit": 10})
    assert "pageLimit must not be greater than 500" in messages(
        {"locationId": location, "pageLimit": 501}
    )
    assert "searchAfter" in messages({"locationId": location, "pageLimit": 100, "page": 101})
    assert "operator" in messages(
        {
            "locationId": location,
            "pageLimit": 1,
            "filters": [{"field": "email", "operator": "like"}],
        }
    )
    assert "sort.0.field" in messages(
        {"locationId": location, "pageLimit": 1, "sort": [{"field": "ssn"}]}
    )
    assert "property where should not exist" in messages(
        {"locationId": location, "pageLimit": 1, "where": {}}
    )


def test_the_deprecated_list_is_counted_and_search_is_not(api, control, location):
    """GET /contacts/ is deprecated in the Contacts spec: the sandbox counts every call to
    it, so client tests can show that scans never use it."""
    before = control.stats()["deprecated_requests"]
    _search(api, location, pageLimit=5)
    assert control.stats()["deprecated_requests"] == before
    assert api.get("/contacts/", params={"locationId": location}).status_code == 200
    assert control.stats()["deprecated_requests"] == before + 1


def test_changed_since_reads_oldest_first_and_continues_after_a_cursor(api, location, new_contact):
    """What an incremental read sends: a dateUpdated range (gte, ISO with milliseconds),
    sorted by dateUpdated ascending, continued with the last record's searchAfter."""
    first = new_contact()
    later = [new_contact() for _ in range(3)]
    since = first["dateUpdated"]
    body = {
        "pageLimit": 2,
        "sort": [{"field": "dateUpdated", "direction": "asc"}],
        "filters": [{"field": "dateUpdated", "operator": "range", "value": {"gte": since}}],
    }
    seen: list[str] = []
    while True:
        page = _search(api, location, **body)["contacts"]
        seen += [record["id"] for record in page]
        if len(page) < 2:
            break
        body["searchAfter"] = page[-1]["searchAfter"]
        assert page[-1]["searchAfter"][0] == ms_of(page[-1], "dateUpdated")
    assert len(seen) == len(set(seen))
    assert set(seen) >= {first["id"], *(c["id"] for c in later)}
    everything = _search(api, location, **{**body, "pageLimit": 100, "searchAfter": None})
    stamps = [ms_of(record, "dateUpdated") for record in everything["contacts"]]
    assert stamps == sorted(stamps) and stamps[0] >= ms_of(first, "dateUpdated")
