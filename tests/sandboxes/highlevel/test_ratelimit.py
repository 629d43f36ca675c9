"""Rate limits per app per location: burst (sliding window) and daily, with HighLevel's headers."""

import time

from tests.sandboxes.highlevel.conftest import Api

HEADERS = (
    "X-RateLimit-Limit-Daily",
    "X-RateLimit-Daily-Remaining",
    "X-RateLimit-Daily-Reset",
    "X-RateLimit-Interval-Milliseconds",
    "X-RateLimit-Max",
    "X-RateLimit-Remaining",
)


def _list(api: Api, location: str):
    return api.get("/contacts/", params={"locationId": location, "limit": 1})


def test_every_api_response_carries_the_headers_and_they_count_down(creds, control, location):
    control.set(burst_limit=100)
    api = Api(creds["base_url"], control.issue_token()["access_token"])
    first, second = _list(api, location), api.get("/contacts/noSuchContact0000001")
    for response in (first, second):
        assert all(name in response.headers for name in HEADERS)
    assert first.headers["X-RateLimit-Max"] == "100"
    assert first.headers["X-RateLimit-Interval-Milliseconds"] == "10000"
    assert first.headers["X-RateLimit-Limit-Daily"] == "200000"
    assert (
        int(first.headers["X-RateLimit-Remaining"]) == 99
        and int(second.headers["X-RateLimit-Remaining"]) == 98
    )
    assert int(first.headers["X-RateLimit-Daily-Remaining"]) - 1 == int(
        second.headers["X-RateLimit-Daily-Remaining"]
    )
    assert 0 < int(first.headers["X-RateLimit-Daily-Reset"]) <= 86_400_000


def test_past_the_burst_limit_is_429_until_the_window_moves_on(creds, control, location):
    control.set(burst_limit=5, burst_window_ms=1000)
    api = Api(creds["base_url"], control.issue_token()["access_token"])
    statuses = [_list(api, location).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = _list(api, location)
    assert refused.json()["statusCode"] == 429 and refused.json()["message"] == "Too Many Requests"
    assert refused.headers["X-RateLimit-Remaining"] == "0" and "Retry-After" not in refused.headers
    time.sleep(1.05)
    recovered = _list(api, location)
    assert recovered.status_code == 200 and recovered.headers["X-RateLimit-Remaining"] == "4"
    assert control.stats()["rate_limited"] == 2


def test_retry_after_can_be_switched_on(creds, control, location):
    control.set(burst_limit=1, burst_window_ms=3000, retry_after=True)
    api = Api(creds["base_url"], control.issue_token()["access_token"])
    _list(api, location)
    refused = _list(api, location)
    assert refused.status_code == 429 and refused.headers["Retry-After"] in ("1", "2", "3")


def test_the_daily_limit(creds, control, location):
    control.set(daily_limit=3)
    api = Api(creds["base_url"], control.issue_token()["access_token"])
    assert [_list(api, location).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert _list(api, location).headers["X-RateLimit-Daily-Remaining"] == "0"


def test_limits_are_per_app_and_per_location(creds, control, location, other_location):
    control.set(burst_limit=2)
    app_a = Api(creds["base_url"], control.issue_token()["access_token"])
    app_a_elsewhere = Api(
        creds["base_url"], control.issue_token(location_id=other_location)["access_token"]
    )
    pit = Api(creds["base_url"], control.issue_token(kind="pit")["access_token"])
    assert [_list(app_a, location).status_code for _ in range(3)] == [200, 200, 429]
    # Another token of the same app shares the app's budget for the location...
    same_app = Api(creds["base_url"], control.issue_token()["access_token"])
    assert _list(same_app, location).status_code == 429
    # ...but another location, or a PIT (its own app), has a budget of its own.
    assert _list(app_a_elsewhere, other_location).status_code == 200
    assert _list(pit, location).status_code == 200


def test_time_scale_shortens_the_windows(creds, control, location):
    control.set(time_scale=10, burst_limit=2)
    api = Api(creds["base_url"], control.issue_token()["access_token"])
    response = _list(api, location)
    assert response.headers["X-RateLimit-Interval-Milliseconds"] == "1000"
    assert int(response.headers["X-RateLimit-Daily-Reset"]) <= 86_400_000 / 10
    assert _list(api, location).status_code == 200 and _list(api, location).status_code == 429
    time.sleep(1.05)
    assert _list(api, location).status_code == 200


def test_a_rate_limit_storm_answers_429_to_the_next_requests(api, control, location):
    control.set(rate_limit_storm=2)
    statuses = [_list(api, location).status_code for _ in range(3)]
    assert statuses == [429, 429, 200]
    assert control.stats()["rate_limited"] == 2
    assert control.state()["rate_limit_storm_remaining"] == 0
