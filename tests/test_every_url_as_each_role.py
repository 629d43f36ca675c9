"""Every URL pattern of the project, requested with GET and POST by each kind of visitor, with
real objects of workspace A in every path parameter:

- anonymous: sent to sign in, unless the page is public (listed below with why);
- an outsider (owner of workspace B): 404 for everything under /w/<A>/…;
- a viewer of A: reads what there is to read, 403 on anything that would change data, and
  nothing changes;
- the owner of B with B's workspace id and one (or all) of A's object ids: 404, so each lookup
  filters by the workspace (or by its already filtered parent).

Nothing may answer 500, and nothing shown to anonymous visitors or outsiders may contain A's
data. A pattern added later that these tests cannot fill or do not classify fails them, so a
new view is covered from its first commit.
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter
from django.urls.resolvers import RegexPattern
from django.utils import timezone

from accounts.models import Role, User, Workspace
from accounts.services import invitation_create
from diagnostics.alerting import alert_rule_create
from diagnostics.models import AlertDelivery, AlertIncident
from integrations.providers.ecwid.adapters import EcwidCursor
from mappings import services as mapping_services
from sandboxes.ecwid import EcwidSandbox
from sandboxes.ecwid import connection_values as ecwid_connection_values
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from sync.models import DriftItem, DriftReport, Run, SyncCursor
from tests.factories import ConnectionFactory, FlowFactory, MembershipFactory, WorkspaceFactory

LOGIN = "/accounts/login/"
# In every name, e-mail and record of workspace A: a page showing it shows A's data.
MARK = "zq7alpha"


# --- the URL conf -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Pattern:
    route: str  # as Django joins it: "w/<int:workspace_id>/connections/…"
    name: str | None  # namespaced: "integrations:connection-detail"
    parts: tuple  # the pattern objects from the root down, to fill one by one

    @property
    def params(self) -> list[str]:
        return [name for part in self.parts for name in part.regex.groupindex]

    @property
    def label(self) -> str:
        return f"{self.name or '(unnamed)'} /{self.route}"


def _walk(entries, parts=(), namespace=""):
    for entry in entries:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, (*parts, entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            chain = (*parts, entry.pattern)
            name = f"{namespace}{entry.name}" if entry.name else None
            # Joined as ResolverMatch.route joins them (an inner regex loses its "^").
            route = str(chain[0]) + "".join(str(p).removeprefix("^") for p in chain[1:])
            yield Pattern(route, name, chain)


def all_patterns() -> list[Pattern]:
    return list(_walk(get_resolver().url_patterns))


# --- what each path parameter is filled with ----------------------------------------------------
# A name missing here fails test_every_path_parameter_can_be_filled: say how to fill it.
FILL = {
    # Our views: each a real object of the world's workspace.
    "workspace_id": lambda w: w.workspace.pk,
    "connection_id": lambda w: w.connection.pk,
    "mapping_id": lambda w: w.mapping.pk,
    "number": lambda w: 1,  # a version of the mapping (numbered per mapping, not an id)
    "rule_id": lambda w: w.rule_id,
    "sample_id": lambda w: w.sample.pk,
    "test_id": lambda w: w.test.pk,
    "membership_id": lambda w: w.editor_membership.pk,
    "invitation_id": lambda w: w.invitation.pk,
    "flow_id": lambda w: w.flow.pk,
    "run_id": lambda w: w.run.pk,
    "report_id": lambda w: w.flow.drift_reports.get().pk,  # the flow's one reconciliation
    "link_id": lambda w: w.link.pk,  # a linked record of the flow
    "alert_rule_id": lambda w: w.alert_rule.pk,
    "token": lambda w: w.invitation_token,
    "provider": lambda w: "ecwid",
    "recipe_key": lambda w: "new-customers",  # a flow template (sync/recipes.py)
    # allauth's e-mailed links: none of these keys is valid, the pages must say so politely.
    "key": lambda w: "not-a-real-key",
    "uidb36": lambda w: "1z",
    # The admin (staff only: no role here is staff, so it refuses before any lookup).
    "object_id": lambda w: w.workspace.pk,
    "id": lambda w: w.owner.pk,
    "content_type_id": lambda w: ContentType.objects.get_for_model(Workspace).pk,
    "app_label": lambda w: "accounts",
    "url": lambda w: "no-such-page/",
}
# Parameters that are not database ids scoped by a lookup of their own, and why a foreign value
# is refused some other way than 404.
NOT_LOOKUP_IDS = {
    "workspace_id": "the workspace itself: membership_for_user is the filter",
    "number": "version numbers restart at 1 in every mapping; an unknown one is refused by "
    "mapping_restore with a message",
    "rule_id": "rules live in the (already filtered) mapping's spec; an unknown rule id is "
    "a 404 (edit) or a 'no longer exists' message (move, delete), changing nothing",
    "recipe_key": "flow templates are code (sync/recipes.py), the same in every workspace; an "
    "unknown key is a 404, and the connections it may use are the workspace's own",
}

# --- how each pattern may answer ------------------------------------------------------------------
# Public by design: anyone may open them, and none shows a workspace's data.
PUBLIC = {
    "health": "liveness check for load balancers: answers ok/error and nothing else",
    "metrics": "Prometheus scrape: 404 unless METRICS_TOKEN is set, then a bearer token; "
    "ids and endpoint templates only (tests/diagnostics/test_metrics.py)",
    "integrations:webhook-receive": "providers post events here; each is verified by its "
    "signature before anything is stored (tests/integrations/test_webhooks_hostile.py)",
    "account_login": "signing in",
    "account_signup": "signing up (SIGNUP_OPEN)",
    "account_logout": "signing out is harmless for someone not signed in",
    "account_inactive": "explains that an account is inactive",
    "account_reset_password": "asking for a reset link (answers the same for any address)",
    "account_reset_password_done": "'check your inbox'",
    "account_reset_password_from_key": "the e-mailed reset link: its key is the secret",
    "account_reset_password_from_key_done": "'your password is changed'",
    "account_confirm_email": "the e-mailed confirmation link: its key is the secret",
    "account_email_verification_sent": "'we sent you an e-mail'",
    "account_confirm_login_code": "second step of a code login started anonymously",
    "mfa_authenticate": "second factor of a login started anonymously",
}
# What a public page may answer an empty GET or POST with (webhooks: 405 for a GET, 415 for a
# body that is not JSON; allauth: its forms again, redirects, 429 when rate-limited).
PUBLIC_STATUSES = {200, 302, 400, 404, 405, 413, 415, 429}
# allauth pages about the signed-in person only (their e-mail, password, second factor).
PERSONAL = {
    "account_reauthenticate",
    "account_email",
    "account_change_password",
    "account_set_password",
    "mfa_index",
    "mfa_reauthenticate",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
}
# Our signed-in pages outside /w/<id>/, and what any signed-in non-member gets.
SIGNED_IN = {
    "home": {"GET": {302}, "POST": {302}},  # to the visitor's own workspace
    "accounts:workspace-new": {"GET": {200}, "POST": {200}},  # the empty form comes back
    # The token is the secret: the page names the workspace so the invitee knows what it is,
    # and accepting it with another address is refused (the page again, with the reason).
    "accounts:invitation-accept": {"GET": {200}, "POST": {200}},
    "integrations:oauth-callback": {"GET": {400}, "POST": {400}},  # no flow started here
}
SHOWS_A_BY_DESIGN = {"accounts:invitation-accept"}
# Pages of /w/<id>/… that only editors may open, even to look (a viewer gets 403 on GET).
EDITOR_PAGES = {
    "integrations:connection-new",
    "integrations:connection-setup",
    "integrations:connection-edit",
    "integrations:connection-delete",
    "mappings:mapping-new",
    "mappings:mapping-delete",
    "mappings:rule-new",
    "mappings:rule-edit",
    "mappings:rule-transform-row",
    "mappings:rule-condition-row",
    "sync:flow-new",
    "sync:flow-edit",
    "sync:flow-delete",
    "sync:recipe-apply",
    "diagnostics:alert-new",
    "diagnostics:alert-edit",
    "diagnostics:alert-delete",
}
# Pages of /w/<id>/… a viewer may POST to because they only read: plain pages that ignore the
# method, and the preview (a dry run of the mapping). Everything else is 403 for a viewer.
VIEWER_POST_READS = {
    "integrations:connection-list",
    "integrations:connection-detail",
    "integrations:connection-explorer",
    "mappings:mapping-list",
    "mappings:mapping-detail",
    "mappings:mapping-export",
    "mappings:mapping-versions",
    "mappings:mapping-preview",
    "sync:flow-list",
    "sync:flow-detail",
    "sync:run-detail",
    "sync:catalogue",
    "sync:recipe-list",
    "sync:flow-cursors",
    "sync:drift-list",
    "sync:drift-detail",
    "sync:conflict-list",
    "sync:link-detail",
    "diagnostics:dashboard",
    "diagnostics:performance",
    "diagnostics:runs",
    "diagnostics:calls",
    "diagnostics:inbox",
    "diagnostics:alerts",
}


def is_workspace_page(pattern: Pattern) -> bool:
    return "workspace_id" in pattern.params


def is_admin(pattern: Pattern) -> bool:
    return pattern.route.startswith("admin/")


def category(pattern: Pattern) -> str:
    if is_admin(pattern):
        return "admin"
    if is_workspace_page(pattern):
        return "workspace"
    for kind, names in (("public", PUBLIC), ("personal", PERSONAL), ("signed-in", SIGNED_IN)):
        if pattern.name in names:
            return kind
    return "unclassified"


# --- the worlds -------------------------------------------------------------------------------
EMAIL_RULE = {
    "target": "email",
    "source": {"kind": "field", "value": "email"},
    "transforms": [{"name": "email", "args": {}}],
    "condition": None,
    "write_mode": "overwrite",
    "required": True,
    "default": None,
}


@dataclass
class World:
    workspace: Workspace
    owner: User
    viewer: User
    editor_membership: object
    connection: object
    mapping: object
    rule_id: str
    sample: object
    test: object
    invitation: object
    invitation_token: str
    flow: object
    run: object
    alert_rule: object
    link: object


def build_world(tag: str, ecwid: tuple[dict, dict]) -> World:
    workspace = WorkspaceFactory(name=f"Workspace {tag}")

    def member(role, who):
        email = f"{who}-{tag}@example.com"
        return MembershipFactory(workspace=workspace, role=role, user__email=email)

    owner = member(Role.OWNER, "owner").user
    viewer = member(Role.VIEWER, "viewer").user
    editor_membership = member(Role.EDITOR, "editor")
    credentials, settings = ecwid
    connection = ConnectionFactory(
        workspace=workspace, name=f"Store {tag}", settings=settings, credentials=credentials
    )
    mapping = mapping_services.mapping_create(
        workspace=workspace,
        user=owner,
        name=f"Mapping {tag}",
        source_provider="ecwid",
        target_provider="highlevel",
        start="blank",
    )
    mapping = mapping_services.rule_save(mapping=mapping, user=owner, rule=EMAIL_RULE)
    record = {"email": f"sample-{tag}@example.com"}
    sample = mapping_services.sample_create(mapping=mapping, name=f"Sample {tag}", record=record)
    test = mapping_services.test_create(
        mapping=mapping, name=f"Test {tag}", source_record=record, expected_payload=record
    )
    invitation, token = invitation_create(
        workspace=workspace, email=f"invitee-{tag}@example.com", role=Role.EDITOR, invited_by=owner
    )
    highlevel = ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        name=f"HighLevel {tag}",
        settings={"location_id": f"loc-{tag}"},
        credentials={"private_integration_token": f"pit-{tag}"},
    )
    flow = FlowFactory(
        workspace=workspace,
        name=f"Flow {tag}",
        source_connection=connection,
        target_connection=highlevel,
        mapping=mapping,
    )
    run = Run.objects.create(
        flow=flow, trigger=Run.Trigger.MANUAL, status=Run.Status.SUCCEEDED, in_flight=False
    )
    # Where its reads stopped, as the Ecwid adapter writes it: the cursors page reads it.
    cursor = EcwidCursor(since=timezone.now() - timedelta(days=1), recent={"1": "x|y"})
    SyncCursor.objects.create(flow=flow, name="changes", value=cursor.to_json())
    # A finished reconciliation with one record whose fields differ: the drift pages show it.
    drift = DriftReport.objects.create(flow=flow, status=DriftReport.Status.DONE, differing=1)
    DriftItem.objects.create(
        report=drift,
        kind=DriftItem.Kind.DIFFERS,
        source_id="1",
        target_id=f"contact-{tag}",
        fields=[{"field": "lastName", "source": f"Source {tag}", "target": f"Target {tag}"}],
    )
    # A linked record with what a run wrote to it, and a conflict held on it: the conflicts
    # page and the record's page show both.
    link = flow.links.create(
        source_id=f"cust-{tag}",
        target_id=f"contact-{tag}",
        last_run=run,
        synced_at=timezone.now(),
        provenance={"target": {"email": {"value": f"c-{tag}@example.com", "run": run.pk}}},
    )
    flow.conflicts.create(
        link=link,
        field="lastName",
        source_value=f"Source {tag}",
        target_value=f"Target {tag}",
        last_value=f"Last {tag}",
        source_updated_at=timezone.now(),
    )
    alert_rule, _secret = alert_rule_create(
        workspace=workspace,
        kind="failed_runs",
        email_to=f"ops-{tag}@example.com",
        webhook_url=f"https://hooks-{tag}.example.com/alerts",
    )
    # An open incident with a notice, as the evaluation would leave them: the alerts page
    # shows both, so a page that leaks them shows the world's mark.
    now = timezone.now()
    incident = AlertIncident.objects.create(
        rule=alert_rule,
        subject=f"flow:{flow.pk}",
        title=f"Flow “{flow.name}”: runs failing",
        message=f"Flow “{flow.name}” failed 3 runs in a row.",
        last_value=3,
        opened_at=now,
        last_seen_at=now,
    )
    AlertDelivery.objects.create(
        incident=incident, channel="email", event="opened", next_attempt_at=now
    )
    return World(
        workspace=workspace,
        owner=owner,
        viewer=viewer,
        editor_membership=editor_membership,
        connection=connection,
        mapping=mapping,
        rule_id=mapping.rules[0]["id"],
        sample=sample,
        test=test,
        invitation=invitation,
        invitation_token=token,
        flow=flow,
        run=run,
        alert_rule=alert_rule,
        link=link,
    )


@pytest.fixture(scope="module")
def ecwid():
    """Connections point at the Ecwid sandbox, so an owner's "test connection" stays local."""
    app = EcwidSandbox(SandboxOptions(seed=8))
    httpd, server, _ = start_in_thread([app])
    yield ecwid_connection_values(app.describe())
    stop(httpd, server)


@pytest.fixture
def world_a(db, ecwid) -> World:
    return build_world(MARK, ecwid)


@pytest.fixture
def world_b(db, ecwid) -> World:
    return build_world("beta", ecwid)


# --- requests -----------------------------------------------------------------------------------
def fill_part(part, values: dict) -> str:
    text = str(part)
    if isinstance(part, RegexPattern):  # re_path: "^confirm-email/(?P<key>[-:\w]+)/$"
        text = text.lstrip("^").removesuffix("$").removesuffix(r"\Z")
        text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), text)
        return text.replace("\\", "")
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), text)


def url_for(pattern: Pattern, world: World, *, values=None, **overrides: World) -> str:
    """The pattern with every parameter filled from `world` (or, per parameter, another
    world's object, or a value of its own)."""
    values = {name: FILL[name](overrides.get(name, world)) for name in pattern.params} | (
        values or {}
    )
    url = "/" + "".join(fill_part(part, values) for part in pattern.parts)
    assert resolve(url).route == pattern.route, f"{url} does not reach {pattern.label}"
    return url


@contextmanager
def rolled_back():
    """Each request's writes are undone, so every request meets the same world."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def signed_in(user: User | None) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def request(client: Client, user: User | None, method: str, url: str):
    # A logout page (or the admin's) may have ended the session: start a new one.
    if user is not None and client.session.get(SESSION_KEY) != str(user.pk):
        client.force_login(user)
    with rolled_back():
        return getattr(client, method.lower())(url)


DATA_APPS = ("accounts", "integrations", "mappings", "sync", "alerts", "diagnostics")
# Counters, not anyone's data: the request budget, and refused webhook bodies by reason.
NOT_DATA = {"integrations.RateBudget", "integrations.WebhookRejection"}


def snapshot() -> dict:
    rows = {}
    for label in DATA_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.label in NOT_DATA:
                continue
            values = model.objects.order_by("pk").values()
            rows[model._meta.label] = [
                {k: v for k, v in row.items() if k != "last_login"} for row in values
            ]
    return rows


def request_changing_nothing(client, user, method, url, *, check=True) -> tuple[object, bool]:
    """(response, whether the database is as before), judged before the rollback."""
    if not check:
        return request(client, user, method, url), True
    if user is not None and client.session.get(SESSION_KEY) != str(user.pk):
        client.force_login(user)
    with rolled_back():
        before = snapshot()
        response = getattr(client, method.lower())(url)
        return response, snapshot() == before


def worth_a_snapshot(pattern: Pattern) -> bool:
    """The admin sends non-staff away before any of its views runs (the 302 checked for each
    pattern proves it), and personal pages change the visitor's own account only."""
    return category(pattern) not in ("admin", "personal")


def shows_a(response) -> bool:
    return MARK in response.content.decode("utf-8", "replace")


def describe(method, url, response) -> str:
    where = f" -> {response['Location']}" if response.has_header("Location") else ""
    return f"{method} {url}: {response.status_code}{where}"


# --- the walk itself ------------------------------------------------------------------------------
def test_every_path_parameter_can_be_filled():
    unknown = {
        f"<{name}> in {pattern.label}"
        for pattern in all_patterns()
        for name in pattern.params
        if name not in FILL
    }
    assert not unknown, f"Say in FILL how to fill these with a real object: {sorted(unknown)}"


def test_every_pattern_is_classified_and_every_listed_name_exists():
    patterns = all_patterns()
    unclassified = [p.label for p in patterns if category(p) == "unclassified"]
    assert not unclassified, (
        "New pages outside /w/<id>/: add each to PUBLIC (with why), PERSONAL or SIGNED_IN: "
        f"{unclassified}"
    )
    names = {p.name for p in patterns}
    listed = set(PUBLIC) | PERSONAL | set(SIGNED_IN) | EDITOR_PAGES | VIEWER_POST_READS
    assert not listed - names, f"Listed here but no longer in the URL conf: {listed - names}"


def test_anonymous_visitors_are_sent_to_sign_in_except_on_public_pages(world_a):
    client, problems, seen = signed_in(None), [], set()
    for pattern in all_patterns():
        url = url_for(pattern, world_a)
        for method in ("GET", "POST"):
            response = request(client, None, method, url)
            seen.add(pattern.route)
            if response.status_code >= 500 or shows_a(response):
                problems.append(describe(method, url, response))
            elif category(pattern) == "public":
                if response.status_code not in PUBLIC_STATUSES:
                    problems.append(describe(method, url, response))
            elif response.status_code != 302:
                problems.append(describe(method, url, response))
            else:
                # The admin's own sign-in page hands over to allauth's.
                with rolled_back():
                    followed = getattr(client, method.lower())(url, follow=True)
                    final = followed.redirect_chain[-1][0]
                if not final.startswith(LOGIN):
                    problems.append(f"{describe(method, url, response)} … ends at {final}")
    assert not problems, "\n".join(problems)
    assert seen == {p.route for p in all_patterns()}


def _signed_in_expectation(pattern: Pattern, method: str) -> set[int]:
    """What a signed-in user who is neither staff nor a member of A gets outside /w/<id>/."""
    kind = category(pattern)
    if kind == "admin":
        # Not staff: to the admin's sign-in page, which says so (it is the one that answers).
        return {200} if pattern.name == "admin:login" else {302}
    if kind == "signed-in":
        return SIGNED_IN[pattern.name][method]
    return PUBLIC_STATUSES | {403}  # allauth's own pages: anything but a 500


def test_outsiders_get_404_for_everything_of_another_workspace(world_a, world_b):
    outsider = world_b.owner
    client, problems, seen = signed_in(outsider), [], set()
    for pattern in all_patterns():
        url = url_for(pattern, world_a)
        for method in ("GET", "POST"):
            response, unchanged = request_changing_nothing(
                client, outsider, method, url, check=worth_a_snapshot(pattern)
            )
            seen.add(pattern.route)
            status = response.status_code
            if is_workspace_page(pattern):
                # 405: a POST-only view refuses a GET before it looks anything up.
                expected = {404, 405} if method == "GET" else {404}
            else:
                expected = _signed_in_expectation(pattern, method)
            leaks = shows_a(response) and pattern.name not in SHOWS_A_BY_DESIGN
            if status not in expected or leaks:
                problems.append(describe(method, url, response) + (" shows A" if leaks else ""))
            if not unchanged:
                problems.append(f"{method} {url} changed data")
    assert not problems, "\n".join(problems)
    assert seen == {p.route for p in all_patterns()}


def test_viewers_read_and_are_refused_every_change(world_a):
    viewer = world_a.viewer
    client, problems, seen = signed_in(viewer), [], set()
    for pattern in all_patterns():
        url = url_for(pattern, world_a)
        for method in ("GET", "POST"):
            response, unchanged = request_changing_nothing(
                client, viewer, method, url, check=worth_a_snapshot(pattern)
            )
            seen.add(pattern.route)
            if not is_workspace_page(pattern):
                expected = _signed_in_expectation(pattern, method)
            elif method == "GET":
                expected = {403} if pattern.name in EDITOR_PAGES else {200, 405}
            else:
                expected = {200} if pattern.name in VIEWER_POST_READS else {403}
            if response.status_code not in expected:
                problems.append(f"{describe(method, url, response)}, expected {expected}")
            if not unchanged:
                problems.append(f"{method} {url} changed data")
    assert not problems, "\n".join(problems)
    assert seen == {p.route for p in all_patterns()}


def test_owners_reach_every_object_the_urls_are_filled_with(world_a):
    """The control for the 404s above: with the same URLs, the owner gets the objects (and
    no 500 for an empty POST either)."""
    owner = world_a.owner
    client, problems, changed = signed_in(owner), [], set()
    for pattern in filter(is_workspace_page, all_patterns()):
        url = url_for(pattern, world_a)
        for method in ("GET", "POST"):
            response, unchanged = request_changing_nothing(client, owner, method, url)
            if response.status_code not in (200, 302, 405):
                problems.append(describe(method, url, response))
            if not unchanged:
                changed.add(pattern.name)
    assert not problems, "\n".join(problems)
    # And the "nothing changed" checks above can see a change.
    assert {
        "integrations:connection-toggle",
        "mappings:sample-delete",
        "mappings:rule-delete",
        "accounts:member-remove",
        "accounts:invitation-cancel",
        "sync:flow-delete",
        "diagnostics:alert-delete",
        "diagnostics:alert-rotate",
    } <= changed


def test_each_lookup_filters_by_the_workspace(world_a, world_b):
    """As the owner of B, under B's workspace id: A's object ids, all at once and one at a
    time among B's own, are not found."""
    owner_b = world_b.owner
    client, problems, seen = signed_in(owner_b), [], set()
    for pattern in filter(is_workspace_page, all_patterns()):
        ids = [name for name in pattern.params if name not in NOT_LOOKUP_IDS]
        if not ids:
            continue
        seen.add(pattern.route)
        everything_of_a = {name: world_a for name in pattern.params if name != "workspace_id"}
        variants = [everything_of_a] + [{name: world_a} for name in ids]
        for overrides in variants:
            url = url_for(pattern, world_b, **overrides)
            for method in ("GET", "POST"):
                response, unchanged = request_changing_nothing(client, owner_b, method, url)
                expected = {404, 405} if method == "GET" else {404}
                if response.status_code not in expected or shows_a(response) or not unchanged:
                    problems.append(describe(method, url, response))
    assert not problems, "\n".join(problems)
    with_ids = {
        p.route
        for p in all_patterns()
        if is_workspace_page(p) and set(p.params) - set(NOT_LOOKUP_IDS)
    }
    assert seen == with_ids and len(seen) > 15


def test_foreign_rule_ids_change_nothing(world_a, world_b):
    """rule_id is not a lookup of its own (see NOT_LOOKUP_IDS): with B's mapping and A's
    rule id the answer is a 404 or a 'no longer exists' message, and no version is written."""
    owner_b = world_b.owner
    client, problems = signed_in(owner_b), []
    for pattern in all_patterns():
        if "rule_id" not in pattern.params:
            continue
        url = url_for(pattern, world_b, rule_id=world_a)
        for method in ("GET", "POST"):
            response, unchanged = request_changing_nothing(client, owner_b, method, url)
            if response.status_code not in (302, 404, 405) or not unchanged:
                problems.append(describe(method, url, response))
    assert not problems, "\n".join(problems)


def _int_params(pattern: Pattern) -> list[str]:
    return [
        name
        for part in pattern.parts
        for name, converter in getattr(part, "converters", {}).items()
        if isinstance(converter, IntConverter)
    ]


@pytest.mark.parametrize("huge", [2**63, 10**30], ids=["2**63", "10**30"])
def test_ids_past_any_database_integer_are_not_found(world_a, huge):
    """One past PostgreSQL's bigint, and far past it: not found (or, for a version number,
    "there is no version"), never a 500 from a query that overflows."""
    owner = world_a.owner
    client, problems, seen = signed_in(owner), [], 0
    for pattern in filter(is_workspace_page, all_patterns()):
        for name in _int_params(pattern):
            url = url_for(pattern, world_a, values={name: huge})
            for method in ("GET", "POST"):
                response, unchanged = request_changing_nothing(client, owner, method, url)
                expected = {302, 404, 405} if name == "number" else {404, 405}
                if method == "POST":
                    expected -= {405}
                if response.status_code not in expected or not unchanged:
                    problems.append(describe(method, url, response))
                seen += 1
    assert not problems, "\n".join(problems)
    assert seen > 100


def test_deleting_what_a_flow_uses_is_refused_with_the_reason(world_a):
    """Flows protect their connections and mapping (sync.Flow: PROTECT): deleting one was a
    500 (ProtectedError); now it is refused, naming the flow, and nothing is deleted."""
    owner = world_a.owner
    client = signed_in(owner)
    for pattern_name, obj in (
        ("integrations:connection-delete", world_a.connection),
        ("mappings:mapping-delete", world_a.mapping),
    ):
        url = reverse(pattern_name, args=[world_a.workspace.pk, obj.pk])
        response = client.post(url, follow=True)
        assert response.status_code == 200
        assert f"Flows use this {type(obj).__name__.lower()} (Flow {MARK})" in (
            response.content.decode()
        )
        assert type(obj).objects.filter(pk=obj.pk).exists()
