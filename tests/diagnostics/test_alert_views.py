"""The Alerts tab: who may see and change alert rules, the form for each kind, and the webhook
signing secret, which is shown once after it is made and never again."""

import hashlib
import hmac
import logging
import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from alerts.models import Alert
from diagnostics import notify
from diagnostics.alert_views import SECRET_SESSION_KEY
from diagnostics.alerting import alert_rule_create, alert_rules_evaluate
from diagnostics.models import AlertDelivery, AlertIncident, AlertRule
from mappings.models import Mapping
from tests.factories import FlowFactory, MembershipFactory
from tests.test_hostile_forms import FAST, NASTY, answered, get, nasty_or, post

SECRET = re.compile(r'<code class="secret">([^<]+)</code>')
HX = {"HX-Request": "true"}
DRIFT = [{"rule": "r1", "field": "customField.size", "reason": "size was deleted"}]


def _url(name, workspace, rule=None):
    args = [workspace.pk] if rule is None else [workspace.pk, rule.pk]
    return reverse(f"diagnostics:{name}", args=args)


def _rule(workspace, kind="mapping_drift", **fields):
    fields.setdefault("email_to", "ops@example.com")
    fields.setdefault("webhook_url", "https://hooks.example.com/contactbridge")
    rule, _secret = alert_rule_create(workspace=workspace, kind=kind, **fields)
    return rule


def _drift(workspace, name="Shop → CRM"):
    """An unhealthy mapping: a mapping-drift rule opens an incident about it."""
    flow = FlowFactory(workspace=workspace, name=name)
    Mapping.objects.filter(pk=flow.mapping_id).update(problems=DRIFT)
    return flow


def _post_rule(client, workspace, **data):
    return client.post(_url("alert-new", workspace), {"enabled": "on", **data})


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _stored(rule):
    """What a request could have changed: the row, secret included."""
    return AlertRule.objects.filter(pk=rule.pk).values().get()


# --- who may do what ------------------------------------------------------------------------------
# (page, method) -> what a viewer gets; the owner gets the page or is sent back to the list.
PAGES = [
    ("alerts", "get", 200, 200),
    ("alert-new", "get", 403, 200),
    ("alert-new", "post", 403, 200),  # the empty form comes back with what to fill in
    ("alert-edit", "get", 403, 200),
    ("alert-edit", "post", 403, 200),
    ("alert-delete", "get", 403, 200),
    ("alert-delete", "post", 403, 302),
    ("alert-rotate", "post", 403, 302),
]


@pytest.mark.parametrize(("name", "method", "viewer_gets", "owner_gets"), PAGES)
def test_each_page_as_anonymous_outsider_viewer_and_owner(
    client, workspace, owner, viewer, outsider, name, method, viewer_gets, owner_gets
):
    rule = _rule(workspace)
    url = _url(name, workspace, None if name in ("alerts", "alert-new") else rule)
    before = _stored(rule)

    response = getattr(client, method)(url)
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    client.force_login(outsider)
    assert getattr(client, method)(url).status_code == 404
    client.force_login(viewer)
    assert getattr(client, method)(url).status_code == viewer_gets
    assert _stored(rule) == before and AlertRule.objects.count() == 1
    client.force_login(owner)
    assert getattr(client, method)(url).status_code == owner_gets


def test_rotate_is_a_post(owner_client, workspace):
    rule = _rule(workspace)
    assert owner_client.get(_url("alert-rotate", workspace, rule)).status_code == 405


def test_the_tab_is_on_every_diagnostics_page(owner_client, workspace):
    page = owner_client.get(_url("dashboard", workspace)).content.decode()
    assert f'href="{_url("alerts", workspace)}"' in page
    page = owner_client.get(_url("alerts", workspace)).content.decode()
    assert f'href="{_url("alerts", workspace)}" aria-current="page"' in page


# --- the list ------------------------------------------------------------------------------------
def test_the_list_says_what_each_rule_watches_and_where_notices_go(viewer_client, workspace):
    _rule(workspace, "failed_runs", threshold=4, email_to="a@x.com, b@y.org", webhook_url="")
    _rule(workspace, "error_rate", webhook_url="https://hooks.example.com/T000/B000/s3cr3tpath")
    _rule(workspace, "token_refresh_failed", email_to="", webhook_url="", enabled=False)
    page = viewer_client.get(_url("alerts", workspace)).content.decode()
    assert "Runs failing in a row" in page
    assert "4 failed or partly failed runs in a row (the flow is paused at this number)" in page
    assert "E-mail a@x.com" in page and "E-mail b@y.org" in page
    assert "API error rate" in page
    assert "20 % of a connection&#x27;s API calls failing" in page
    assert "15 minutes of API calls to look at" in page
    assert "at least 20 calls in the window" in page
    # The webhook's host only: the path of a webhook URL is often a secret of the receiver.
    assert "Webhook to hooks.example.com" in page and "s3cr3tpath" not in page
    assert "Token refresh failed" in page and "nothing to set" in page
    assert "Nobody: the dashboard only" in page and ">Off<" in page
    # A viewer reads, and is offered nothing to change.
    assert _url("alert-new", workspace) not in page and "/edit/" not in page


def test_the_list_shows_open_incidents_and_recent_notices(viewer_client, workspace):
    rule = _rule(workspace)
    _drift(workspace)
    assert alert_rules_evaluate()["opened"] == 1
    AlertDelivery.objects.filter(channel="webhook").update(
        status="failed", attempts=5, last_error="hooks.example.com answered 410 Gone."
    )
    resolved = _drift(workspace, name="Old flow")
    alert_rules_evaluate()
    Mapping.objects.filter(pk=resolved.mapping_id).update(problems=[])
    alert_rules_evaluate()

    page = viewer_client.get(_url("alerts", workspace)).content.decode()
    incident = AlertIncident.objects.get(rule=rule, resolved_at=None, title__contains="Shop")
    assert "Flow “Shop → CRM”: mapping unhealthy" in page
    assert "size was deleted" in page  # the message
    assert f"since {incident.opened_at:%Y-%m-%d %H:%M} UTC" in page
    assert page.count("Flow “Old flow”: mapping unhealthy") == 4  # its notices, not as open
    assert "hooks.example.com answered 410 Gone." in page
    assert ">Failed<" in page and ">Pending<" in page and ">Resolved<" in page


def test_the_list_costs_as_many_queries_for_many_rules_as_for_one(owner_client, workspace):
    def queries():
        with CaptureQueriesContext(db_connection) as captured:
            assert owner_client.get(_url("alerts", workspace)).status_code == 200
        return len(captured)

    _rule(workspace)
    _drift(workspace)
    alert_rules_evaluate()
    queries()  # the first visit also remembers the workspace in the session
    one = queries()
    for kind in ("failed_runs", "lag", "error_rate"):
        _rule(workspace, kind)
    _drift(workspace, name="Another")
    alert_rules_evaluate()
    assert queries() == one


# --- the form --------------------------------------------------------------------------------
KINDS = {
    "failed_runs": ({"threshold": "4"}, {"threshold": 4, "window_minutes": None}),
    "error_rate": (
        {"threshold": "25", "window_minutes": "30", "min_calls": "50"},
        {"threshold": 25, "window_minutes": 30, "min_calls": 50},
    ),
    "lag": ({"threshold": "60"}, {"threshold": 60, "window_minutes": None}),
    "run_stuck": ({"threshold": "45"}, {"threshold": 45, "window_minutes": None}),
    "token_refresh_failed": ({}, {"threshold": None, "window_minutes": None}),
    "mapping_drift": ({}, {"threshold": None, "window_minutes": None}),
    "daily_budget": (
        {"threshold": "15", "window_minutes": "120"},
        {"threshold": 15, "window_minutes": 120},
    ),
}


def test_every_kind_is_tried():
    assert set(KINDS) == set(AlertRule.Kind.values)


@pytest.mark.parametrize("kind", KINDS)
def test_a_rule_of_each_kind_is_created_through_the_form(editor_client, workspace, kind):
    # An editor may: creating rules is not for owners only.
    page = editor_client.get(_url("alert-new", workspace)).content.decode()
    assert 'name="kind"' in page and "Create alert rule" in page
    typed, stored = KINDS[kind]
    response = _post_rule(
        editor_client,
        workspace,
        kind=kind,
        email_to="ops@example.com; me@example.com",
        webhook_url="https://hooks.example.com/cb",
        **typed,
    )
    assert response.status_code == 302 and response.url == _url("alerts", workspace)
    rule = AlertRule.objects.get(workspace=workspace)
    assert rule.kind == kind and rule.enabled
    assert {name: getattr(rule, name) for name in stored} == stored
    assert rule.email_to == "ops@example.com, me@example.com"
    assert rule.webhook_url == "https://hooks.example.com/cb"
    assert rule.get_webhook_secret()
    assert _messages(response) == [
        f"Alert rule “{rule}” created. Copy its webhook signing secret below: it is shown "
        "only this once."
    ]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"kind": "lag", "webhook_url": "http://hooks.example.com/cb"}, "Use an https:// address"),
        ({"kind": "lag", "webhook_url": "https://127.0.0.1/cb"}, "loopback"),
        ({"kind": "lag", "email_to": "ops@example.com, nobody"}, "“nobody” is not an e-mail"),
        ({"kind": "failed_runs", "threshold": "1"}, "Enter 2 to 100"),
        ({"kind": "daily_budget", "window_minutes": "5"}, "Enter 60 to 2,880"),
        ({"kind": "no_such_kind"}, "Select a valid choice"),
        ({"kind": ""}, "This field is required"),
    ],
)
def test_a_bad_value_gets_the_form_back_and_creates_nothing(
    owner_client, workspace, settings, data, words
):
    settings.INTEGRATIONS_ALLOW_PRIVATE_IPS = False
    response = _post_rule(owner_client, workspace, **data)
    assert response.status_code == 200
    page = response.content.decode()
    assert words in page and 'class="errorlist' in page
    assert not AlertRule.objects.exists()
    assert not SECRET.search(page) and not _messages(response)


def test_changing_the_kind_shows_that_kinds_settings(owner_client, workspace):
    url = _url("alert-new", workspace)
    page = owner_client.get(url).content.decode()  # failed runs, chosen at first
    assert 'name="threshold"' in page and 'name="window_minutes"' not in page
    assert 'hx-get="' in page and "<script>" not in page  # htmx, no inline script (CSP)
    query = {"refresh": "1", "kind": "error_rate", "email_to": "a@x.com", "enabled": "on"}
    fragment = owner_client.get(url, query, headers=HX).content.decode()
    assert fragment.lstrip().startswith('<div id="alert-fields">') and "<html" not in fragment
    for name in ("threshold", "window_minutes", "min_calls"):
        assert f'name="{name}"' in fragment
    assert "15 if left empty" in fragment and 'value="a@x.com"' in fragment
    assert "errorlist" not in fragment  # not judged before it is sent
    # Without JavaScript: the "Change kind" button re-renders the form and saves nothing.
    query["kind"] = "mapping_drift"
    response = owner_client.post(url, query)
    page = response.content.decode()
    assert response.status_code == 200 and 'name="threshold"' not in page
    assert "nothing to set" in page and "errorlist" not in page
    assert not AlertRule.objects.exists()


def test_editing_a_rule_saves_it_and_shows_no_secret(owner_client, workspace):
    rule = _rule(workspace)
    _drift(workspace)
    alert_rules_evaluate()
    url = _url("alert-edit", workspace, rule)
    page = owner_client.get(url).content.decode()
    assert 'value="ops@example.com"' in page and "Make a new signing secret" in page
    assert rule.get_webhook_secret() not in page and not SECRET.search(page)

    data = {"kind": "mapping_drift", "email_to": "ops@example.com", "webhook_url": ""}
    response = owner_client.post(url, data)  # "enabled" unticked: turned off
    assert response.status_code == 302
    rule.refresh_from_db()
    assert not rule.enabled and rule.webhook_url == ""
    assert not rule.incidents.filter(resolved_at=None).exists()
    assert _messages(response) == [
        "Alert rule “Mapping unhealthy” saved and turned off. Its open incidents were closed "
        "without a notice."
    ]


def test_changing_the_kind_of_a_rule_starts_from_its_defaults(owner_client, workspace):
    rule = _rule(workspace, "failed_runs", threshold=7)
    url = _url("alert-edit", workspace, rule)
    fragment = owner_client.get(url, {"refresh": "1", "kind": "lag"}, headers=HX)
    assert 'value="7"' not in fragment.content.decode()
    same = owner_client.get(url, {"refresh": "1", "kind": "failed_runs"}, headers=HX)
    assert 'value="7"' in same.content.decode()
    response = owner_client.post(url, {"kind": "lag", "enabled": "on", "threshold": ""})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.kind, rule.threshold) == ("lag", 30)


# --- the secret -----------------------------------------------------------------------------------
def _secret_on(response) -> str | None:
    found = SECRET.search(response.content.decode())
    return found.group(1) if found else None


def test_the_secret_is_shown_once_after_creation(owner_client, workspace, caplog):
    caplog.set_level(logging.DEBUG)
    created = _post_rule(
        owner_client, workspace, kind="lag", webhook_url="https://hooks.example.com/cb"
    )
    rule = AlertRule.objects.get()
    secret = rule.get_webhook_secret()
    assert secret not in created.content.decode() and secret not in " ".join(_messages(created))

    shown = owner_client.get(created.url)
    assert _secret_on(shown) == secret
    assert shown.content.decode().count(secret) == 1
    assert "no-store" in shown["Cache-Control"]
    page = shown.content.decode()
    assert "X-ContactBridge-Timestamp" in page and "X-ContactBridge-Signature" in page
    assert "hmac.compare_digest" in page

    for again in (
        owner_client.get(_url("alerts", workspace)),  # the reload
        owner_client.get(_url("alert-edit", workspace, rule)),
        owner_client.get(_url("alert-delete", workspace, rule)),
        owner_client.get(_url("dashboard", workspace)),
    ):
        assert again.status_code == 200 and secret not in again.content.decode()
    assert secret not in caplog.text
    assert not any(secret in str(value) for value in owner_client.session.values())


def test_the_shown_secret_verifies_a_notice_as_the_page_says(owner_client, workspace):
    created = _post_rule(
        owner_client, workspace, kind="lag", webhook_url="https://hooks.example.com/cb"
    )
    secret = _secret_on(owner_client.get(created.url))
    body, timestamp = b'{"id": 1, "event": "opened"}', "1796600400"
    header = notify.webhook_signature(AlertRule.objects.get().get_webhook_secret(), timestamp, body)
    # The recipe shown beside the secret, followed by a receiver:
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    assert hmac.compare_digest("sha256=" + expected.hexdigest(), header)


def test_the_secret_waits_for_its_own_workspaces_page(owner_client, workspace, owner):
    other = MembershipFactory(user=owner, role="owner").workspace
    created = _post_rule(owner_client, workspace, kind="lag")
    secret = AlertRule.objects.get().get_webhook_secret()
    assert secret not in owner_client.get(_url("alerts", other)).content.decode()
    assert _secret_on(owner_client.get(created.url)) == secret


def test_the_secret_of_another_user_is_not_shown(client, workspace, owner, editor):
    client.force_login(owner)
    _post_rule(client, workspace, kind="lag")
    secret = AlertRule.objects.get().get_webhook_secret()
    client.force_login(editor)
    assert secret not in client.get(_url("alerts", workspace)).content.decode()


def test_rotate_makes_a_new_secret_and_shows_it_once(owner_client, workspace):
    rule = _rule(workspace)
    old = rule.get_webhook_secret()
    response = owner_client.post(_url("alert-rotate", workspace, rule))
    assert response.status_code == 302 and response.url == _url("alerts", workspace)
    rule.refresh_from_db()
    new = rule.get_webhook_secret()
    assert new and new != old
    assert _messages(response) == [
        "New signing secret for “Mapping unhealthy”: the old one no longer works. Copy the "
        "new one below: it is shown only this once."
    ]
    assert _secret_on(owner_client.get(response.url)) == new
    assert new not in owner_client.get(response.url).content.decode()


# --- delete ---------------------------------------------------------------------------------------
def test_delete_asks_then_removes_the_rule_and_its_incidents(owner_client, workspace):
    rule = _rule(workspace)
    kept = _rule(workspace, "lag")
    _drift(workspace)
    alert_rules_evaluate()
    assert rule.incidents.count() == 1
    url = _url("alert-delete", workspace, rule)
    page = owner_client.get(url).content.decode()
    assert "1 incident and their notices" in page and "closed without a notice" in page
    assert AlertRule.objects.filter(pk=rule.pk).exists()

    response = owner_client.post(url)
    assert response.status_code == 302 and response.url == _url("alerts", workspace)
    assert not AlertRule.objects.filter(pk=rule.pk).exists()
    assert not AlertIncident.objects.filter(rule_id=rule.pk).exists()
    assert not AlertDelivery.objects.exists()
    assert not Alert.objects.filter(workspace=workspace, resolved_at=None).exists()
    assert AlertRule.objects.filter(pk=kept.pk).exists()
    assert "deleted" in _messages(response)[0]


# --- another workspace's rule ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("alert-edit", "get"),
        ("alert-edit", "post"),
        ("alert-delete", "get"),
        ("alert-delete", "post"),
        ("alert-rotate", "post"),
    ],
)
def test_another_workspaces_rule_is_not_found_and_unchanged(
    owner_client, owner, workspace, name, method
):
    """The owner of two workspaces, under the one, with a rule of the other: 404."""
    theirs = MembershipFactory(role="owner").workspace
    rule = _rule(theirs)
    before = _stored(rule)
    mine = MembershipFactory(user=owner, role="owner").workspace
    data = {"kind": "lag", "enabled": "on"} if method == "post" else None
    for under in (workspace, mine):
        response = getattr(owner_client, method)(
            reverse(f"diagnostics:{name}", args=[under.pk, rule.pk]), data
        )
        assert response.status_code == 404
    assert _stored(rule) == before
    assert SECRET_SESSION_KEY not in owner_client.session


# --- hostile values (as tests/test_hostile_forms.py feeds the other forms) ---------------------
ALERT_POSTS = st.fixed_dictionaries(
    {"kind": nasty_or(*AlertRule.Kind.values)},
    optional={
        "threshold": nasty_or("3", "25", "0", ""),
        "window_minutes": nasty_or("15", "120", ""),
        "min_calls": nasty_or("20", ""),
        "enabled": nasty_or("on", ""),
        "email_to": nasty_or("ops@example.com", "a@x.com; b@y.org", ""),
        "webhook_url": nasty_or("https://hooks.example.com/cb", "http://10.0.0.1/", ""),
        "refresh": NASTY,
    },
)


@FAST
@given(data=ALERT_POSTS, edit=st.booleans(), htmx=st.booleans())
def test_the_alert_rule_form_saves_or_says_why(owner_client, workspace, data, edit, htmx):
    rule = AlertRule.objects.filter(workspace=workspace).first() or _rule(workspace)
    before = (_stored(rule), AlertRule.objects.count())
    url = _url("alert-edit", workspace, rule) if edit else _url("alert-new", workspace)
    response = post(owner_client, url, data, htmx=htmx)
    changed = (_stored(rule), AlertRule.objects.count()) != before
    if "refresh" in data:  # "Change kind": the form again, nothing judged, nothing saved
        assert response.status_code == 200 and not changed
    else:
        answered(response, changed=changed)
    assert SECRET.search(response.content.decode()) is None


@FAST
@given(query=ALERT_POSTS, edit=st.booleans())
def test_changing_the_kind_takes_any_query(owner_client, workspace, query, edit):
    rule = AlertRule.objects.filter(workspace=workspace).first() or _rule(workspace)
    url = _url("alert-edit", workspace, rule) if edit else _url("alert-new", workspace)
    response = get(owner_client, url, {"refresh": "1", **query})
    assert response.status_code == 200
