"""The wizard keeps a draft, not a half-made connection: hidden until its Save step, resumed
by Back, a refresh or a later visit, never blocking a name, pruned after a day; and a failed
test leads to "Fix and test again". Real HTTP against the Ecwid sandbox, started here."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from integrations import tasks
from integrations.models import Connection, ConnectionAudit
from integrations.selectors import connections_for_workspace
from sandboxes.ecwid import EcwidSandbox
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.factories import ConnectionFactory, FlowFactory
from tests.support import sandbox_described

TIMEOUT = 10


@pytest.fixture(scope="module")
def ecwid_sandbox():
    app = EcwidSandbox(SandboxOptions(seed=31))
    httpd, server, _ = start_in_thread([app])
    yield app
    stop(httpd, server)


@pytest.fixture
def described(ecwid_sandbox, settings) -> dict:
    with sandbox_described(ecwid_sandbox, settings) as values:
        yield values


def new_url(workspace, **query) -> str:
    url = reverse("integrations:connection-new", args=[workspace.pk])
    return url + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def url(name, connection, step=None) -> str:
    path = reverse(f"integrations:{name}", args=[connection.workspace_id, connection.pk])
    return f"{path}?step={step}" if step else path


def start(client, workspace, described, name="Shop", token=None) -> Connection:
    """The credentials step with "Use sandbox" (a wrong secret token if given)."""
    data = {"name": name, "sandbox": "1", "setting_store_id": str(described["store_id"])}
    if token:
        data["credential_secret_token"] = token
    response = client.post(new_url(workspace, provider="ecwid", method="token", sandbox=1), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Connection.objects.get(workspace=workspace, name=name)


def run_test(client, connection) -> str:
    response = client.post(
        url("connection-test", connection), {"wizard": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    connection.refresh_from_db()
    return response.content.decode()


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- a draft until the Save step ------------------------------------------------------------------


def test_the_credentials_step_keeps_a_draft_that_only_the_wizard_sees(
    owner_client, workspace, described
):
    draft = start(owner_client, workspace, described)
    assert draft.is_draft
    assert not connections_for_workspace(workspace=workspace).exists()
    assert not ConnectionAudit.objects.exists()  # its history starts when it is saved
    listing = owner_client.get(reverse("integrations:connection-list", args=[workspace.pk]))
    assert "No connections yet" in listing.content.decode()
    # The list says a setup was left unfinished, and leads back to it.
    body = listing.content.decode()
    assert "Unfinished setups" in body
    assert f'href="{url("connection-setup", draft)}">Draft — finish setup' in body
    # Its page is the wizard, where its setup stopped; other connection pages do not know it.
    assert owner_client.get(url("connection-detail", draft)).url == url("connection-setup", draft)
    assert owner_client.get(url("connection-explorer", draft)).status_code == 404
    assert owner_client.post(url("connection-toggle", draft)).status_code == 404


def test_nothing_is_called_saved_until_it_is(owner_client, owner, workspace, described):
    draft = start(owner_client, workspace, described)
    page = owner_client.get(url("connection-setup", draft, "access")).content.decode()
    assert "saved" not in page.lower().replace("save it", "")
    assert "Draft" in page
    assert "Connection works" in run_test(owner_client, draft)
    response = owner_client.post(url("connection-finish", draft))
    assert flashed(response) == ["Connection “Shop” saved."]
    assert response.url == url("connection-detail", draft)
    draft.refresh_from_db()
    assert not draft.is_draft and draft.status == Connection.Status.CONNECTED
    audit = ConnectionAudit.objects.get(connection=draft)
    assert audit.action == "created" and audit.actor == owner
    assert list(connections_for_workspace(workspace=workspace)) == [draft]


def test_back_to_the_credentials_resumes_the_draft(owner_client, workspace, described):
    draft = start(owner_client, workspace, described)
    page = owner_client.get(url("connection-setup", draft, "credentials")).content.decode()
    assert 'value="Shop"' in page and str(described["store_id"]) in page
    assert described["secret_token"] not in page and "•••••••• saved" in page
    # Sent again with the same name: the draft is updated, not refused as a duplicate.
    response = owner_client.post(
        url("connection-setup", draft, "credentials"),
        {"name": "Shop", "setting_store_id": str(described["store_id"])},
    )
    assert response.url == url("connection-setup", draft, "access")
    assert Connection.objects.count() == 1
    assert Connection.objects.get().get_credentials()["secret_token"] == described["secret_token"]


def test_the_first_form_sent_again_resumes_the_draft_too(owner_client, workspace, described):
    """Browser Back from the access step lands on the first form: sending it again must not
    stop at "already has a connection with that name"."""
    first = start(owner_client, workspace, described)
    again = start(owner_client, workspace, described)
    assert again.pk == first.pk and Connection.objects.count() == 1


def test_a_draft_holds_no_name_and_save_checks_it_again(owner_client, workspace, described):
    draft = start(owner_client, workspace, described)
    ConnectionFactory(workspace=workspace, name="shop")  # made meanwhile, elsewhere
    response = owner_client.post(url("connection-finish", draft))
    assert response.url == url("connection-setup", draft, "credentials")
    assert "already has a connection with that name" in flashed(response)[0]
    draft.refresh_from_db()
    assert draft.is_draft


def test_every_step_has_a_url_that_shows_it_again(owner_client, workspace, described):
    draft = start(owner_client, workspace, described)
    headings = {
        "credentials": "Connect Ecwid by Lightspeed",
        "access": "What may “Shop” do?",
        "test": "Test “Shop”",
        "save": "Save “Shop”",
    }
    for step, heading in headings.items():
        page = owner_client.get(url("connection-setup", draft, step))
        body = page.content.decode()
        assert heading in body and "<html" in body, step
        assert "HX-Request" in page["Vary"]
        fragment = owner_client.get(url("connection-setup", draft, step), HTTP_HX_REQUEST="true")
        assert heading in fragment.content.decode() and "<html" not in fragment.content.decode()
        # htmx restoring history without a snapshot replaces the page: it gets all of it.
        restore = owner_client.get(
            url("connection-setup", draft, step),
            HTTP_HX_REQUEST="true",
            HTTP_HX_HISTORY_RESTORE_REQUEST="true",
        )
        assert "<html" in restore.content.decode(), step


def test_coming_back_resumes_where_the_setup_stopped(owner_client, workspace, described):
    draft = start(owner_client, workspace, described)
    choose = owner_client.get(reverse("integrations:connection-new", args=[workspace.pk]))
    assert "Unfinished setups" in choose.content.decode()
    assert "Draft — finish setup" in choose.content.decode()
    form = owner_client.get(new_url(workspace, provider="ecwid")).content.decode()
    assert "You started “Shop”" in form
    resume = url("connection-setup", draft)
    assert "What may “Shop” do?" in owner_client.get(resume).content.decode()
    owner_client.post(url("connection-access", draft), {"access": "read"})
    assert "Test “Shop”" in owner_client.get(resume).content.decode()
    run_test(owner_client, draft)
    assert "Save “Shop”" in owner_client.get(resume).content.decode()


def test_discarding_a_draft_leaves_nothing_behind(owner_client, workspace, described):
    draft = start(owner_client, workspace, described)
    response = owner_client.post(url("connection-delete", draft))
    assert response.url == reverse("integrations:connection-new", args=[workspace.pk])
    assert flashed(response) == ["Draft “Shop” discarded."]
    assert not Connection.objects.exists() and not ConnectionAudit.objects.exists()


def test_drafts_left_alone_for_a_day_are_pruned(workspace):
    old_draft = ConnectionFactory(workspace=workspace, is_draft=True)
    fresh_draft = ConnectionFactory(workspace=workspace, is_draft=True)
    old_connection = ConnectionFactory(workspace=workspace)
    used_draft = FlowFactory(workspace=workspace, source_connection__is_draft=True)
    day_ago = timezone.now() - timedelta(days=1, minutes=1)
    Connection.objects.exclude(pk=fresh_draft.pk).update(updated_at=day_ago)

    assert tasks.connection_drafts_prune_due() == 1

    left = set(Connection.objects.values_list("pk", flat=True))
    assert old_draft.pk not in left and {fresh_draft.pk, old_connection.pk} <= left
    assert used_draft.source_connection_id in left  # a flow protects it: kept, not crashed


# --- after a failed test, fixing is the main way on ---------------------------------------------


def test_a_failed_test_offers_fix_and_test_again_first(owner_client, workspace, described):
    draft = start(owner_client, workspace, described, token="secret_wrong0token")
    body = run_test(owner_client, draft)
    assert "Bad credentials" in body
    fix = url("connection-setup", draft, "credentials") + "&amp;then=test"
    assert f'class="button primary" href="{fix}"' in body and "Fix and test again" in body
    assert '<button class="link">Save anyway</button>' in body
    assert "Save anyway</button>" in body and 'class="primary">Save' not in body
    assert draft.status == Connection.Status.NEEDS_RECONNECT
    # The page again (a refresh) says so too.
    page = owner_client.get(url("connection-setup", draft, "test")).content.decode()
    assert "Fix and test again" in page and "Bad credentials" in page
    # Fixed: straight back to the test, which passes, then Save is the main action.
    response = owner_client.post(
        url("connection-setup", draft, "credentials") + "&then=test",
        {
            "name": "Shop",
            "setting_store_id": str(described["store_id"]),
            "credential_secret_token": described["secret_token"],
        },
    )
    assert response.url == url("connection-setup", draft, "test")
    page = owner_client.get(response.url).content.decode()  # new credentials: not tested yet
    assert '<button class="primary">Test connection</button>' in page
    assert "Fix and test again" not in page
    body = run_test(owner_client, draft)
    assert "Connection works" in body and '<button class="primary">Save connection</button>' in body
    assert "Fix and test again" not in body


def test_a_passing_test_updates_the_header_badge(owner_client, workspace, described):
    draft = start(owner_client, workspace, described)
    page = owner_client.get(url("connection-setup", draft, "test")).content.decode()
    assert 'id="connection-status"><span class="badge badge-neutral status-new">' in page
    body = run_test(owner_client, draft)
    oob = '<span id="connection-status" hx-swap-oob="true"><span class="badge badge-ok'
    assert oob in body and "Connected</span>" in body.split(oob)[1]
    # The same on the connection's own page (its test result swaps in below the header).
    owner_client.post(url("connection-finish", draft))
    response = owner_client.post(url("connection-test", draft), HTTP_HX_REQUEST="true")
    assert oob in response.content.decode()


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["credentials", "access", "test", "save"])
def test_draft_steps_refuse_outsiders_viewers_and_anonymous(
    client, outsider, viewer, workspace, step
):
    draft = ConnectionFactory(workspace=workspace, is_draft=True)
    target = url("connection-setup", draft, step)
    response = client.get(target)
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    client.force_login(outsider)
    assert client.get(target).status_code == 404
    client.force_login(viewer)
    assert client.get(target).status_code == 403
    assert client.post(target, {"name": "Taken over"}).status_code == 403
    draft.refresh_from_db()
    assert draft.name != "Taken over"
