"""Alert rules: each kind opens one incident per breach however often it is evaluated, and
resolves it when the breach ends; runs failing in a row warn, then pause the flow."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alerts.models import Alert
from alerts.services import alert_raise, alert_resolve
from diagnostics import alerting
from diagnostics.alert_forms import AlertRuleForm
from diagnostics.alerting import (
    alert_rule_create,
    alert_rule_secret_rotate,
    alert_rule_update,
    alert_rules_evaluate,
)
from diagnostics.models import AlertDelivery, AlertIncident, AlertRule, ApiCall
from mappings.models import Mapping
from sync.models import PendingChange, Run
from sync.services import flow_resume
from tests.factories import ConnectionFactory, FlowFactory, RunFactory, WorkspaceFactory

MINUTE = timedelta(minutes=1)


def _rule(workspace, kind, **fields):
    fields.setdefault("email_to", "ops@example.com")
    fields.setdefault("webhook_url", "https://hooks.example.com/contactbridge")
    rule, _secret = alert_rule_create(workspace=workspace, kind=kind, **fields)
    return rule


def _call(connection, *, at, error_kind="", rate_limit=None):
    return ApiCall.objects.create(
        at=at,
        workspace=connection.workspace,
        connection=connection,
        provider=connection.provider,
        method="GET",
        endpoint="/contacts/{id}",
        status=500 if error_kind else 200,
        error_kind=error_kind,
        latency_ms=12.0,
        rate_limit=rate_limit or {},
    )


def _notices(rule):
    return sorted(AlertDelivery.objects.filter(incident__rule=rule).values_list("channel", "event"))


def _evaluate(times=1, **kwargs):
    for _ in range(times):
        counts = alert_rules_evaluate(**kwargs)
        assert counts["errors"] == 0
    return counts


# --- one breach of each kind, and its end -----------------------------------------------------
def _failed_runs(workspace):
    flow = FlowFactory(workspace=workspace)
    for _ in range(3):
        RunFactory(flow=flow, status="failed", message="HighLevel answered 422.")
    return flow


def _failed_runs_end(flow):
    flow.refresh_from_db()
    assert not flow.enabled  # paused at the threshold
    flow_resume(flow=flow)
    RunFactory(flow=flow, status="succeeded")


def _error_rate(workspace):
    connection = ConnectionFactory(workspace=workspace)
    now = timezone.now()
    for index in range(20):
        _call(connection, at=now - MINUTE, error_kind="server" if index % 2 else "")
    return connection


def _error_rate_end(connection):
    for _ in range(80):  # 10 failures of 100 calls: 10 %, under 20 %
        _call(connection, at=timezone.now() - MINUTE)


def _lag(workspace):
    flow = FlowFactory(workspace=workspace)
    change = PendingChange.objects.create(flow=flow, source_id="42")
    PendingChange.objects.filter(pk=change.pk).update(
        received_at=timezone.now() - timedelta(hours=2)
    )
    return change


def _lag_end(change):
    PendingChange.objects.filter(pk=change.pk).update(status="done")


def _run_stuck(workspace):
    run = RunFactory(flow=FlowFactory(workspace=workspace), status="running", in_flight=True)
    old = timezone.now() - timedelta(hours=1)
    Run.objects.filter(pk=run.pk).update(queued_at=old, started_at=old, heartbeat_at=old)
    return run


def _run_stuck_end(run):
    Run.objects.filter(pk=run.pk).update(status="succeeded", in_flight=False)


def _token_refresh_failed(workspace):
    connection = ConnectionFactory(workspace=workspace)
    alert_raise(connection=connection, kind="token_refresh_failed", message="Refresh refused.")
    return connection


def _token_refresh_failed_end(connection):
    alert_resolve(connection=connection, kind="token_refresh_failed")


DRIFT = [{"rule": "r1", "field": "customField.size", "reason": "size was deleted", "kind": "drift"}]


def _mapping_drift(workspace):
    flow = FlowFactory(workspace=workspace)
    Mapping.objects.filter(pk=flow.mapping_id).update(problems=DRIFT)
    return flow


def _mapping_drift_end(flow):
    Mapping.objects.filter(pk=flow.mapping_id).update(problems=[])


def _budget(remaining):
    return {"X-RateLimit-Limit-Daily": "200000", "X-RateLimit-Daily-Remaining": str(remaining)}


def _daily_budget(workspace):
    connection = ConnectionFactory(workspace=workspace, provider="highlevel")
    _call(connection, at=timezone.now() - 2 * MINUTE, rate_limit=_budget(5000))  # 2.5 % left
    return connection


def _daily_budget_end(connection):
    _call(connection, at=timezone.now() - MINUTE, rate_limit=_budget(150_000))  # the reset


SCENARIOS = {
    "failed_runs": (_failed_runs, _failed_runs_end),
    "error_rate": (_error_rate, _error_rate_end),
    "lag": (_lag, _lag_end),
    "run_stuck": (_run_stuck, _run_stuck_end),
    "token_refresh_failed": (_token_refresh_failed, _token_refresh_failed_end),
    "mapping_drift": (_mapping_drift, _mapping_drift_end),
    "daily_budget": (_daily_budget, _daily_budget_end),
}


def test_every_kind_has_a_scenario():
    assert set(SCENARIOS) == set(AlertRule.Kind.values)


@pytest.mark.parametrize("kind", SCENARIOS)
def test_a_breach_is_one_incident_until_it_ends(workspace, kind):
    rule = _rule(workspace, kind)
    breach, end = SCENARIOS[kind]
    subject = breach(workspace)
    # The same breach in another workspace is none of this rule's business.
    breach(WorkspaceFactory())

    _evaluate(times=3)
    incident = AlertIncident.objects.get(rule=rule)
    assert incident.resolved_at is None and incident.level == "breach"
    assert incident.subject.endswith(f":{subject.pk}") or kind in ("lag", "run_stuck")
    assert _notices(rule) == [("email", "opened"), ("webhook", "opened")]
    dashboard = Alert.objects.filter(workspace=workspace, kind=kind, resolved_at=None)
    assert dashboard.count() == 1

    end(subject)
    _evaluate(times=2)
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert AlertIncident.objects.filter(rule=rule).count() == 1
    assert _notices(rule) == [
        ("email", "opened"),
        ("email", "resolved"),
        ("webhook", "opened"),
        ("webhook", "resolved"),
    ]
    assert not Alert.objects.filter(workspace=workspace, kind=kind, resolved_at=None).exists()


def test_a_breach_that_returns_is_a_new_incident(workspace):
    rule = _rule(workspace, "mapping_drift")
    flow = _mapping_drift(workspace)
    _evaluate()
    _mapping_drift_end(flow)
    _evaluate()
    Mapping.objects.filter(pk=flow.mapping_id).update(problems=DRIFT)
    _evaluate(times=2)
    incidents = AlertIncident.objects.filter(rule=rule).order_by("pk")
    assert [i.resolved_at is None for i in incidents] == [False, True]
    assert _notices(rule).count(("email", "opened")) == 2


def test_a_rule_without_channels_still_opens_an_incident_and_a_dashboard_alert(workspace):
    rule = _rule(workspace, "mapping_drift", email_to="", webhook_url="")
    _mapping_drift(workspace)
    _evaluate()
    assert AlertIncident.objects.filter(rule=rule, resolved_at=None).count() == 1
    assert not AlertDelivery.objects.exists()
    assert Alert.objects.filter(kind="mapping_drift", resolved_at=None).count() == 1


def test_a_disabled_rule_is_not_evaluated_and_turning_it_off_closes_quietly(workspace):
    rule = _rule(workspace, "mapping_drift")
    _mapping_drift(workspace)
    _evaluate()
    alert_rule_update(rule=rule, enabled=False)
    assert AlertIncident.objects.get(rule=rule).resolved_at is not None
    assert not Alert.objects.filter(kind="mapping_drift", resolved_at=None).exists()
    assert _evaluate()["rules"] == 0
    assert ("email", "resolved") not in _notices(rule)


# --- failed runs: the warning, then the pause --------------------------------------------------
def test_a_warning_goes_out_one_failure_before_the_flow_is_paused(workspace):
    rule = _rule(workspace, "failed_runs", threshold=3)
    flow = FlowFactory(workspace=workspace)
    RunFactory(flow=flow, status="failed", message="HighLevel answered 422.")
    RunFactory(flow=flow, status="succeeded")  # a success ends a streak
    RunFactory(flow=flow, status="failed", message="HighLevel answered 422.")
    _evaluate()
    assert not AlertIncident.objects.exists()

    RunFactory(flow=flow, status="partial", message="3 records failed.")
    counts = _evaluate()
    assert counts["warned"] == 1
    _evaluate(times=2)
    incident = AlertIncident.objects.get(rule=rule)
    assert incident.level == "warning"
    assert "If the next run fails too, the flow will be paused" in incident.message
    assert _notices(rule) == [("email", "warning"), ("webhook", "warning")]
    flow.refresh_from_db()
    assert flow.enabled

    RunFactory(flow=flow, status="failed", message="HighLevel answered 422.")
    counts = _evaluate()
    assert counts["escalated"] == 1 and counts["paused"] == 1
    _evaluate(times=2)
    incident.refresh_from_db()
    assert incident.level == "breach" and incident.last_value == 3
    assert _notices(rule) == [
        ("email", "opened"),
        ("email", "warning"),
        ("webhook", "opened"),
        ("webhook", "warning"),
    ]
    flow.refresh_from_db()
    assert not flow.enabled
    assert "after 3 failed runs in a row" in flow.paused_reason
    assert "press Resume" in flow.paused_reason
    assert f"/w/{workspace.pk}/flows/{flow.pk}/" in flow.paused_reason
    alert = Alert.objects.get(kind="failed_runs", resolved_at=None)
    assert alert.subject.startswith(f"flow:{flow.pk} ")

    # Resumed and failing again: still the same incident, no second pause or notice.
    flow_resume(flow=flow)
    RunFactory(flow=flow, status="failed")
    _evaluate()
    flow.refresh_from_db()
    assert flow.enabled and AlertIncident.objects.count() == 1 and len(_notices(rule)) == 4

    RunFactory(flow=flow, status="succeeded")
    _evaluate()
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert ("email", "resolved") in _notices(rule)


def test_a_flow_paused_by_hand_is_left_as_it_is(workspace):
    _rule(workspace, "failed_runs", threshold=2)
    flow = _failed_runs(workspace)
    flow.enabled, flow.paused_reason = False, "Holiday."
    flow.save()
    assert _evaluate()["paused"] == 0
    flow.refresh_from_db()
    assert flow.paused_reason == "Holiday."


# --- error rate --------------------------------------------------------------------------------
def test_error_rate_ignores_windows_with_too_few_calls(workspace):
    rule = _rule(workspace, "error_rate", threshold=20, window_minutes=15, min_calls=20)
    connection = ConnectionFactory(workspace=workspace)
    now = timezone.now()
    for _ in range(30):  # outside the window
        _call(connection, at=now - 20 * MINUTE, error_kind="server")
    _call(connection, at=now - MINUTE)
    _call(connection, at=now - MINUTE, error_kind="server")
    _evaluate(now=now)
    assert not AlertIncident.objects.exists()  # 1 failure of 2 calls is no incident

    for _ in range(17):
        _call(connection, at=now - MINUTE, error_kind="network")
    _evaluate(now=now)
    assert not AlertIncident.objects.exists()  # 18 of 19: still too few calls

    _call(connection, at=now - MINUTE, error_kind="network")
    _evaluate(now=now)
    incident = AlertIncident.objects.get(rule=rule)
    assert incident.subject == f"connection:{connection.pk}" and incident.last_value == 95
    assert "19 of the last 20 API calls" in incident.message

    # Later the window holds none of these calls: resolved.
    _evaluate(now=now + 16 * MINUTE)
    incident.refresh_from_db()
    assert incident.resolved_at is not None


# --- a fixed number of queries -----------------------------------------------------------------
def _queries_of_a_steady_evaluation(workspace, flows: int) -> int:
    for kind in ("failed_runs", "lag", "run_stuck", "mapping_drift", "error_rate"):
        _rule(workspace, kind)
    for _ in range(flows):
        _failed_runs(workspace)
        _lag(workspace)
        _run_stuck(workspace)
        _mapping_drift(workspace)
        _error_rate(workspace)
    FlowFactory(workspace=workspace)  # a healthy one
    _evaluate()  # opens the incidents
    with CaptureQueriesContext(db_connection) as queries:
        counts = _evaluate()
    assert counts["kept"] == 5 * flows
    return len(queries)


def test_evaluating_costs_as_many_queries_for_many_flows_as_for_one(db):
    one = _queries_of_a_steady_evaluation(WorkspaceFactory(), flows=1)
    AlertRule.objects.all().delete()
    many = _queries_of_a_steady_evaluation(WorkspaceFactory(), flows=6)
    assert many == one


# --- the pure decisions --------------------------------------------------------------------------
def test_failed_runs_warns_one_short_and_breaches_at_the_threshold():
    rows = [
        {"flow_id": 1, "name": "A", "streak": 1, "last_message": ""},
        {"flow_id": 2, "name": "B", "streak": 2, "last_message": "boom"},
        {"flow_id": 3, "name": "C", "streak": 5, "last_message": None},
    ]
    breaches = alerting.failed_runs_breaches(rows, threshold=3)
    assert sorted(breaches) == ["flow:2", "flow:3"]
    assert breaches["flow:2"].level == "warning" and "boom" in breaches["flow:2"].message
    assert breaches["flow:3"].level == "breach" and breaches["flow:3"].value == 5


def test_error_rate_needs_enough_calls_and_more_than_the_percentage():
    rows = [
        {"connection_id": 1, "name": "A", "calls": 2, "errors": 2},
        {"connection_id": 2, "name": "B", "calls": 20, "errors": 4},  # exactly 20 %
        {"connection_id": 3, "name": "C", "calls": 20, "errors": 5},
    ]
    breaches = alerting.error_rate_breaches(rows, percent=20, min_calls=20, window_minutes=15)
    assert list(breaches) == ["connection:3"] and breaches["connection:3"].value == 25


def test_lag_and_stuck_runs_count_minutes_since_the_last_sign_of_life():
    now = timezone.now()
    lag = alerting.lag_breaches(
        [
            {"flow_id": 1, "name": "A", "oldest": now - 31 * MINUTE, "waiting": 4},
            {"flow_id": 2, "name": "B", "oldest": now - 29 * MINUTE, "waiting": 1},
        ],
        minutes=30,
        now=now,
    )
    assert list(lag) == ["flow:1"] and lag["flow:1"].value == 31
    old, recent = now - 40 * MINUTE, now - 5 * MINUTE
    run = {"flow_id": 1, "name": "A", "run_id": 7, "started_at": None}
    stuck = alerting.run_stuck_breaches(
        [
            {**run, "status": "running", "queued_at": old, "heartbeat_at": old},
            {**run, "flow_id": 2, "status": "running", "queued_at": old, "heartbeat_at": recent},
            {**run, "flow_id": 3, "status": "queued", "queued_at": old, "heartbeat_at": None},
        ],
        minutes=30,
        now=now,
    )
    assert sorted(stuck) == ["flow:1", "flow:3"]
    assert "no worker took it" in stuck["flow:3"].message


def test_daily_budget_reads_the_headers_in_any_case_and_skips_bad_readings():
    now = timezone.now()
    rows = [
        {"connection_id": 1, "name": "A", "at": now, "rate_limit": _budget(19_999)},
        {
            "connection_id": 2,
            "name": "B",
            "at": now,
            "rate_limit": {"x-ratelimit-limit-daily": "1000", "x-ratelimit-daily-remaining": "5"},
        },
        {"connection_id": 3, "name": "C", "at": now, "rate_limit": _budget(20_000)},  # 10 %
        {"connection_id": 4, "name": "D", "at": now, "rate_limit": {"X-RateLimit-Max": "100"}},
        {"connection_id": 5, "name": "E", "at": now, "rate_limit": _budget("lots")},
    ]
    breaches = alerting.daily_budget_breaches(rows, percent=10)
    assert sorted(breaches) == ["connection:1", "connection:2"]
    assert breaches["connection:2"].value == 0.5


def test_mapping_drift_names_the_problems():
    problems = [{"reason": f"field {n} is gone"} for n in range(5)]
    rows = [
        {"flow_id": 1, "name": "A", "mapping_name": "M", "problems": problems},
        {"flow_id": 2, "name": "B", "mapping_name": "N", "problems": []},
    ]
    breaches = alerting.mapping_drift_breaches(rows)
    message = breaches["flow:1"].message
    assert list(breaches) == ["flow:1"]
    assert "field 0 is gone" in message and "2 more" in message


# --- rules: the form, the services, the secret ------------------------------------------------
def _form(workspace, **data):
    return AlertRuleForm({"enabled": "on", **data}, workspace=workspace)


def test_the_form_fills_the_defaults_of_the_kind_and_drops_what_it_does_not_use(workspace):
    form = _form(workspace, kind="failed_runs", window_minutes="99", email_to="a@x.com;b@y.org")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["threshold"] == 3
    assert form.cleaned_data["window_minutes"] is None
    assert form.cleaned_data["email_to"] == "a@x.com, b@y.org"
    form = _form(workspace, kind="error_rate")
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["threshold"], form.cleaned_data["window_minutes"]) == (20, 15)
    assert "secret" not in " ".join(form.fields)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"kind": "failed_runs", "threshold": "1"}, "threshold", "Enter 2 to 100"),
        ({"kind": "error_rate", "threshold": "150"}, "threshold", "Enter 1 to 100"),
        ({"kind": "daily_budget", "window_minutes": "5"}, "window_minutes", "Enter 60 to 2,880"),
        ({"kind": "lag", "email_to": "ops@example.com, nobody"}, "email_to", "“nobody” is not"),
        (
            {"kind": "lag", "webhook_url": "https://u:p@hooks.example.com/"},
            "webhook_url",
            "password",
        ),
        ({"kind": "", "threshold": "3"}, "kind", "required"),
    ],
)
def test_the_form_says_what_to_fix(workspace, data, field, words):
    form = _form(workspace, **data)
    assert not form.is_valid()
    assert words in " ".join(form.errors[field])


def test_a_webhook_url_must_be_https_and_public_when_private_addresses_are_off(workspace, settings):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    for url, words in [
        ("http://hooks.example.com/", "https://"),
        ("https://127.0.0.1:8443/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("https://[::1]/hook", "loopback"),
        ("https://localhost/hook", "local name"),
    ]:
        form = _form(workspace, kind="lag", webhook_url=url)
        assert not form.is_valid(), url
        assert words in " ".join(form.errors["webhook_url"]), url
        with pytest.raises(ValidationError):
            alert_rule_create(workspace=workspace, kind="lag", webhook_url=url)
    assert _form(workspace, kind="lag", webhook_url="https://hooks.example.com/x").is_valid()


def test_the_signing_secret_is_encrypted_at_rest_and_shown_once(workspace):
    rule, secret = alert_rule_create(
        workspace=workspace, kind="lag", webhook_url="https://hooks.example.com/x"
    )
    rule.refresh_from_db()
    assert len(secret) >= 40
    assert rule.webhook_secret_encrypted and secret not in rule.webhook_secret_encrypted
    assert rule.get_webhook_secret() == secret
    assert secret not in repr(rule) and secret not in str(rule)
    new = alert_rule_secret_rotate(rule=rule)
    rule.refresh_from_db()
    assert new != secret and rule.get_webhook_secret() == new


def test_changing_the_kind_starts_from_the_new_kinds_defaults(workspace):
    rule = _rule(workspace, "failed_runs", threshold=5)
    alert_rule_update(rule=rule, kind="lag")
    rule.refresh_from_db()
    assert (rule.kind, rule.threshold) == ("lag", 30)
