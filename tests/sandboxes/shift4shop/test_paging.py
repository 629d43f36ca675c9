"""limit/offset paging ordered by CustomerID, the page cap, and lastupdatestart/-end."""

from datetime import UTC, datetime, timedelta

import pytest


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.text
    return [record["CustomerID"] for record in response.json()]


def test_pages_follow_each_other_in_customer_id_order_from_offset_one(api):
    first = _ids(api.get("/Customers", params={"limit": 7, "offset": 1}))
    second = _ids(api.get("/Customers", params={"limit": 7, "offset": 8}))
    assert first == sorted(first) and second == sorted(second)
    assert first[-1] < second[0]
    both = _ids(api.get("/Customers", params={"limit": 14, "offset": 1}))
    assert both == first + second


def test_a_limit_over_the_cap_is_cut_to_the_cap_or_refused(api, control):
    control.set(max_limit=10)
    assert len(_ids(api.get("/Customers", params={"limit": 25}))) == 10
    control.set(reject_over_max=True)
    refused = api.get("/Customers", params={"limit": 25})
    assert refused.status_code == 400 and "greater than 10" in refused.json()[0]["Message"]


def test_no_limit_means_the_default_page(api, control):
    control.set(default_limit=4)
    assert len(_ids(api.get("/Customers"))) == 4


def test_offsets_start_at_one_and_zero_based_offsets_are_a_knob(api, control):
    from_first = _ids(api.get("/Customers", params={"limit": 3, "offset": 1}))
    from_second = _ids(api.get("/Customers", params={"limit": 3, "offset": 2}))
    assert _ids(api.get("/Customers", params={"limit": 3})) == from_first
    assert _ids(api.get("/Customers", params={"limit": 3, "offset": 0})) == from_first
    control.set(offset_base=0)
    assert _ids(api.get("/Customers", params={"limit": 3, "offset": 0})) == from_first
    assert _ids(api.get("/Customers", params={"limit": 3, "offset": 1})) == from_second


PAST_THE_END = [{"Message": "Offset amount exceeds the total number of records"}]


def test_an_offset_past_the_last_customer_is_a_400_with_one_message(api):
    total = api.get("/Customers", params={"countonly": 1}).json()["TotalCount"]
    last = api.get("/Customers", params={"limit": 5, "offset": total})
    assert last.status_code == 200 and len(last.json()) == 1
    past = api.get("/Customers", params={"limit": 5, "offset": total + 1})
    assert past.status_code == 400 and past.json() == PAST_THE_END
    far = api.get("/Customers", params={"limit": 5, "offset": 100_000})
    assert far.status_code == 400 and far.json() == PAST_THE_END


def test_an_empty_list_is_past_the_end_too(api):
    nobody = {"email": "nobody.at.all@example.org", "limit": 5, "offset": 1}
    response = api.get("/Customers", params=nobody)
    assert response.status_code == 400 and response.json() == PAST_THE_END


def test_without_the_400_past_the_end_is_an_empty_array_or_a_404(api, control):
    control.set(past_end_status=200)
    past = api.get("/Customers", params={"limit": 5, "offset": 100_000})
    assert past.status_code == 200 and past.json() == []
    control.set(empty_list_status=404)
    missing = api.get("/Customers", params={"limit": 5, "offset": 100_000})
    assert missing.status_code == 404 and missing.json()[0]["Status"] == "404"


def _touch(control, at: datetime) -> dict:
    """A new customer whose last change was at `at` (the sandbox tests use 2031-2032)."""
    customer_id = control.add_customer()["CustomerID"]
    return control.admin("PUT", f"/{customer_id}", {}, at=at.isoformat())


def _window(api, start: str, end: str, **params) -> list[int]:
    """The ids in the window; [] when the store says the (empty) list has no such offset."""
    query = {"lastupdatestart": start, "lastupdateend": end, **params}
    response = api.get("/Customers", params=query)
    if response.status_code == 400 and response.json() == PAST_THE_END:
        return []
    return _ids(response)


def test_lastupdatestart_reads_the_stores_clock_to_the_second_inclusive(api, control):
    # 15:00:00 UTC on 15 January is 10:00:00 in New York (EST).
    moment = datetime(2031, 1, 15, 15, 0, 0, tzinfo=UTC)
    on_time = _touch(control, moment)
    assert on_time["lastupdate"] == "01/15/2031 10:00:00"
    early = _touch(control, moment - timedelta(seconds=1))
    end = "01/15/2031 23:59:59"
    assert _window(api, "01/15/2031 10:00:00", end) == [on_time["customer"]["CustomerID"]]
    assert _window(api, "01/15/2031 10:00:01", end) == []
    # lastupdateend is inclusive too; read as UTC these wall times would find nothing.
    both = _window(api, "01/15/2031 09:59:59", "01/15/2031 10:00:00")
    assert both == sorted([early["customer"]["CustomerID"], on_time["customer"]["CustomerID"]])
    assert _window(api, "01/15/2031 15:00:00", "01/15/2031 15:00:00") == []


def test_summer_times_are_daylight_time_and_the_zone_is_a_knob(api, control):
    touched = _touch(control, datetime(2031, 7, 1, 12, 0, 0, tzinfo=UTC))
    assert touched["lastupdate"] == "07/01/2031 08:00:00"  # EDT
    control.set(store_timezone="UTC")
    found = _window(api, "07/01/2031 12:00:00", "07/01/2031 12:00:00")
    assert found == [touched["customer"]["CustomerID"]]


def test_a_date_without_a_time_means_midnight_and_countonly_respects_the_filter(api, control):
    touched = _touch(control, datetime(2032, 3, 10, 20, 0, tzinfo=UTC))
    window = {"lastupdatestart": "03/10/2032", "lastupdateend": "03/11/2032"}
    assert _ids(api.get("/Customers", params=window)) == [touched["customer"]["CustomerID"]]
    assert api.get("/Customers", params={**window, "countonly": 1}).json() == {"TotalCount": 1}


@pytest.mark.parametrize("value", ["2031-01-15T10:00:00", "15/01/2031 10:00:00", "yesterday"])
def test_other_date_formats_are_refused(api, value):
    response = api.get("/Customers", params={"lastupdatestart": value})
    assert response.status_code == 400
    assert "mm/dd/yyyy hh:mm:ss" in response.json()[0]["Message"]
