"""Paging through the client while customers change between pages."""

import pytest

from tests.integrations.providers.orderspace.conftest import new_fields


def list_requests(control) -> int:
    return control.stats()["requests_by_route"].get("GET /v1/customers", 0)


def add_own(control, count: int) -> None:
    """The newest customers become this test's own, so what it deletes is nobody else's."""
    for _ in range(count):
        control.act("admin_create_customer", new_fields())


def take(walk, count: int) -> list:
    return [next(walk) for _ in range(count)]


@pytest.mark.parametrize("deleted_cursor", ["not_found", "continue"])
def test_changes_between_pages_neither_skip_nor_repeat(client, control, deleted_cursor):
    control.set(deleted_cursor=deleted_cursor)
    add_own(control, 31)
    before = [c.id for c in client.iter_customers(page_size=200)]
    requests_before = list_requests(control)
    walk = client.iter_customers(page_size=10)
    seen = take(walk, 10)
    requests_for_one_page = list_requests(control) - requests_before

    # Between page 1 and page 2, in Orderspace's admin:
    control.act("admin_delete_customer", seen[-1].id)  # the cursor itself
    control.act("admin_delete_customer", before[25])  # one not read yet
    control.act("admin_update_customer", {"id": before[30], "phone": "+1 555 0100"})
    added = control.act("admin_create_customer", new_fields())
    seen += list(walk)

    ids = [c.id for c in seen]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(before) - {before[25]}
    assert added["id"] not in ids  # newer than the cursor: found by created_since later
    assert next(c for c in seen if c.id == before[30]).phone == "+1 555 0100"
    assert requests_for_one_page == 1  # one page at a time


def test_when_the_last_two_of_a_page_vanish_it_steps_back_further(client, control):
    add_own(control, 5)
    before = [c.id for c in client.iter_customers(page_size=200)]
    walk = client.iter_customers(page_size=5)
    seen = take(walk, 5)
    control.act("admin_delete_customer", seen[-1].id)
    control.act("admin_delete_customer", seen[-2].id)
    seen += list(walk)

    ids = [c.id for c in seen]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(before)
    assert control.stats()["responses_by_status"]["404"] == 2


def test_a_page_size_of_one_still_reads_everyone(client, control):
    control.set(rate_limit=100_000)
    total = control.state()["customers"]
    ids = [c.id for c in client.iter_customers(page_size=1)]

    assert len(ids) == len(set(ids)) == total
