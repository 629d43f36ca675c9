"""Orderspace's cursor: `starting_after=<last id>`, newest-created first, `has_more`."""

from tests.integrations.providers.orderspace.conftest import new_fields


def walk(api, limit: int, on_page=None) -> list[dict]:
    seen, params = [], {"limit": limit}
    while True:
        page = api.get("/customers", params=params).json()
        seen += page["customers"]
        if on_page:
            on_page(page)
        if not page["has_more"]:
            return seen
        params["starting_after"] = page["customers"][-1]["id"]


def test_walking_the_cursor_reads_everyone_once_in_order(api, control):
    seen = walk(api, 7)
    ids = [c["id"] for c in seen]

    assert len(ids) == len(set(ids)) == control.state()["customers"]
    keys = [c["created"] for c in seen]
    assert keys == sorted(keys, reverse=True)


def test_customers_created_during_a_walk_do_not_shift_it(api, create):
    before = {c["id"] for c in walk(api, 200)}
    added = []

    def add_one(page):
        added.append(create(new_fields())["id"])

    seen = [c["id"] for c in walk(api, 25, add_one)]

    assert len(seen) == len(set(seen))
    assert set(seen) == before  # the new ones sort before the cursor, so none is read


def test_a_deleted_cursor_is_a_404_by_default(api, create):
    customers = [create(new_fields()) for _ in range(3)]
    cursor = customers[1]["id"]
    api.delete(f"/customers/{cursor}")

    response = api.get("/customers", params={"starting_after": cursor})

    assert response.status_code == 404
    assert response.json() == {"message": f"Couldn't find a customer with ID {cursor}"}


def test_a_deleted_cursor_can_continue_from_where_it_was(api, control, create):
    customers = [create(new_fields()) for _ in range(3)]  # oldest first
    cursor = customers[2]["id"]
    api.delete(f"/customers/{cursor}")
    control.set(deleted_cursor="continue")

    page = api.get("/customers", params={"starting_after": cursor, "limit": 2}).json()

    assert [c["id"] for c in page["customers"]] == [customers[1]["id"], customers[0]["id"]]
