"""The editor's field catalogue when the HighLevel connection lacks the custom-field scope:
the static fields stay, the catalogue says which scope is missing and why, and it carries
the notice the editor shows with "Reconnect with this scope". Against the sandbox over HTTP."""

import pytest
import requests

from mappings.catalogues import field_catalogue
from sandboxes.highlevel import HighLevelSandbox
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.integrations.scope_support import CONTACTS_ONLY, oauth_connection, pit_connection

TIMEOUT = 10
CUSTOM = "locations/customFields.readonly"
ROUTE = "GET /locations/{locationId}/customFields"


@pytest.fixture(scope="module")
def hl_sandbox():
    app = HighLevelSandbox(SandboxOptions(seed=22), rsa_key_bits=2048)
    httpd, server, _ = start_in_thread([app])
    yield app
    stop(httpd, server)


@pytest.fixture
def described(hl_sandbox, db):
    yield hl_sandbox.describe()
    requests.post(hl_sandbox.base_url + "/_control/reset", timeout=TIMEOUT).raise_for_status()


def custom_field_reads(described) -> dict:
    stats = requests.get(described["control_url"], timeout=TIMEOUT).json()["stats"]
    return stats["requests_by_route"].get(ROUTE, 0)


def test_a_grant_without_the_scope_names_it_and_spends_no_request(workspace, described):
    connection = oauth_connection(workspace, described, CONTACTS_ONLY)
    catalogue = field_catalogue("highlevel", connection, fresh=True)
    assert custom_field_reads(described) == 0  # the grant already says it would be refused
    assert not catalogue.complete and not catalogue.custom_fields
    assert {"email", "phone", "firstName"} <= catalogue.paths()  # the static fields stay
    notice = catalogue.missing_scope
    assert notice.feature.key == "custom_fields" and notice.can_reconnect
    assert [s.name for s in notice.missing] == [CUSTOM]
    assert CUSTOM in catalogue.warning and "custom fields" in catalogue.warning


def test_a_token_refused_for_the_scope_gets_the_notice_with_highlevels_words(workspace, described):
    # The person said the token has every scope; HighLevel knows better.
    connection = pit_connection(
        workspace, described, CONTACTS_ONLY, recorded=[*CONTACTS_ONLY, CUSTOM]
    )
    catalogue = field_catalogue("highlevel", connection, fresh=True)
    assert custom_field_reads(described) == 1
    notice = catalogue.missing_scope
    assert [s.name for s in notice.missing] == [CUSTOM] and not notice.can_reconnect
    assert "not authorized for this scope" in notice.provider_message
    assert CUSTOM in catalogue.warning


def test_with_the_scope_the_custom_fields_are_listed_and_no_notice(workspace, described):
    connection = oauth_connection(workspace, described, [*CONTACTS_ONLY, CUSTOM])
    catalogue = field_catalogue("highlevel", connection, fresh=True)
    assert catalogue.complete and catalogue.custom_fields and catalogue.missing_scope is None


def test_other_failures_are_not_called_a_missing_scope(workspace, described):
    connection = pit_connection(workspace, described, [*CONTACTS_ONLY, CUSTOM])
    connection.set_credentials({"private_integration_token": "pit-not-a-real-token"})
    connection.save()
    catalogue = field_catalogue("highlevel", connection, fresh=True)
    assert not catalogue.complete and catalogue.missing_scope is None


def test_the_editor_shows_the_notice_with_reconnect_with_this_scope(
    owner_client, workspace, described
):
    from django.urls import reverse

    from tests.factories import MappingFactory

    connection = oauth_connection(workspace, described, CONTACTS_ONLY, name="CRM")
    mapping = MappingFactory(workspace=workspace, target_connection=connection)
    body = owner_client.get(
        reverse("mappings:mapping-detail", args=[workspace.pk, mapping.pk])
    ).content.decode()
    notes = body.split('class="catalogue-notes"')[1].split("</div>\n\n")[0]
    assert "Missing scope" in notes and f"<code>{CUSTOM}</code>" in notes
    assert "Reconnect with this scope</button>" in notes
    reconnect = reverse(
        "integrations:connection-reconnect-scope", args=[workspace.pk, connection.pk]
    )
    assert f'action="{reconnect}"' in notes


def test_a_cached_catalogue_is_not_reused_once_the_grant_changes(workspace, described):
    connection = oauth_connection(workspace, described, [*CONTACTS_ONLY, CUSTOM])
    assert field_catalogue("highlevel", connection).complete  # cached: complete
    connection.scopes = CONTACTS_ONLY  # a grant without the custom-field scope
    catalogue = field_catalogue("highlevel", connection)
    assert catalogue.missing_scope is not None and not catalogue.complete
