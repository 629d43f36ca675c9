"""Rate-limit headers read as numbers, whatever their capitalisation."""

from diagnostics.rate_headers import RateNumbers, rate_numbers


def test_every_number_is_read_in_any_case():
    headers = {
        "X-RateLimit-Max": "100", "x-ratelimit-remaining": "97",
        "X-RATELIMIT-LIMIT-DAILY": "200000", "X-RateLimit-Daily-Remaining": " 1500 ",
    }  # fmt: skip
    assert rate_numbers(headers) == RateNumbers(97, 100, 1500, 200_000)


def test_the_burst_limit_falls_back_to_x_ratelimit_limit_and_junk_is_none():
    assert rate_numbers({"X-RateLimit-Limit": "60"}).burst_limit == 60
    assert rate_numbers({"X-RateLimit-Max": "100", "X-RateLimit-Limit": "60"}).burst_limit == 100
    assert rate_numbers({"X-RateLimit-Remaining": "-1"}) == RateNumbers()
    assert rate_numbers(None) == rate_numbers({}) == RateNumbers()
