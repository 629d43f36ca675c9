"""The rate limit per store and app, refused as 429 with Retry-After (knobs: 503, none)."""

import time

from tests.sandboxes.shift4shop.conftest import Api, auth_headers


def test_requests_over_the_limit_get_429_and_a_status_array(api, control):
    control.set(rate_limit=3, rate_window_seconds=1.0)
    statuses = [api.get("/Customers?limit=1").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api.get("/Customers?limit=1")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()[0]["Status"] == "429"
    time.sleep(1.05)
    assert api.get("/Customers?limit=1").status_code == 200
    assert control.stats()["rate_limited"] == 2


def test_the_refusal_status_and_retry_after_are_knobs(api, control):
    control.set(rate_limit=1, rate_window_seconds=5, rate_limit_status=503)
    control.set(rate_limit_retry_after=False)
    api.get("/Customers?limit=1")
    refused = api.get("/Customers?limit=1")
    assert refused.status_code == 503 and "Retry-After" not in refused.headers


def test_a_storm_refuses_the_next_requests_whatever_the_window(api, control):
    control.set(rate_limit_storm=2)
    assert [api.get("/Customers?limit=1").status_code for _ in range(3)] == [429, 429, 200]


def test_the_window_is_the_stores_not_the_http_sessions(described, control):
    control.set(rate_limit=1, rate_window_seconds=30)
    assert Api(described["api_url"], auth_headers(described)).get("/Customers?limit=1").ok
    assert Api(described["api_url"], auth_headers(described)).get("/Customers").status_code == 429
