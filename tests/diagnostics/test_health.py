"""Health in words, on plain numbers."""

from diagnostics.health import connection_health, flow_health


def _flow(**changes):
    values = dict(
        enabled=True, last_status="succeeded", dead_letters=0, lag_seconds=None, retrying=0
    )
    return flow_health(**{**values, **changes})


def test_a_flow_is_healthy_until_something_is_wrong():
    assert _flow().state == "healthy" and _flow().reason == ""
    assert _flow(last_status=None).state == "healthy"  # never run yet is not a problem


def test_the_worst_state_wins_in_order_paused_failing_behind_dead_letters_failures():
    everything = dict(last_status="failed", dead_letters=3, lag_seconds=3600, retrying=9)
    assert _flow(enabled=False, paused_reason="By Ann.", **everything).reason == "By Ann."
    assert _flow(enabled=False).reason.startswith("Paused")
    assert _flow(**everything).state == "failing"
    behind = _flow(**{**everything, "last_status": "partial"})
    assert behind.state == "degraded" and "60 minutes" in behind.reason
    assert "3 dead letters wait" in _flow(dead_letters=3, lag_seconds=60).reason
    assert "1 dead letter waits" in _flow(dead_letters=1).reason
    assert "2 failed records wait for a retry" in _flow(retrying=2).reason
    assert "1 failed record waits for a retry" in _flow(retrying=1).reason
    assert _flow(last_status="partial").state == "degraded"


def test_lag_counts_only_past_fifteen_minutes():
    assert _flow(lag_seconds=15 * 60).state == "healthy"
    assert _flow(lag_seconds=15 * 60 + 1).state == "degraded"
    assert "3 hours" in _flow(lag_seconds=3 * 3600 + 5).reason


def _connection(**changes):
    values = dict(status="connected", calls_1h=0, errors_1h=0)
    return connection_health(**{**values, **changes})


def test_connection_states():
    assert _connection().state == "healthy"
    assert _connection(status="disabled").state == "paused"
    assert _connection(status="needs_reconnect").state == "failing"
    assert _connection(status="failing").state == "failing"


def test_error_rates_need_enough_calls_to_count():
    assert _connection(calls_1h=19, errors_1h=19).state == "healthy"  # too few to judge
    assert _connection(calls_1h=20, errors_1h=10).state == "failing"
    degraded = _connection(calls_1h=100, errors_1h=5)
    assert degraded.state == "degraded" and "5 of 100 calls failed" in degraded.reason
    assert _connection(calls_1h=100, errors_1h=4).state == "healthy"


def test_a_nearly_spent_daily_budget_degrades():
    low = _connection(daily_remaining=39_999, daily_limit=200_000)
    assert low.state == "degraded" and "39,999 of 200,000" in low.reason
    assert _connection(daily_remaining=40_000, daily_limit=200_000).state == "healthy"
    assert _connection(daily_remaining=0, daily_limit=None).state == "healthy"  # not reported


def test_open_conflicts_degrade_a_flow():
    assert "2 conflicts wait for a decision" in _flow(conflicts=2).reason
    assert "1 conflict waits" in _flow(conflicts=1).reason
    assert _flow(conflicts=1, dead_letters=1).reason.startswith("1 dead letter")


def test_a_failing_connection_without_recent_calls_says_what_to_do_not_zero_of_zero():
    quiet = _connection(status="failing")
    assert quiet.state == "failing" and "0 of 0" not in quiet.reason
    assert "test again" in quiet.reason
    busy = _connection(status="failing", calls_1h=5, errors_1h=2)
    assert "2 of 5 calls failed" in busy.reason
