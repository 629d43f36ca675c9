"""The editor as a new user meets it: "New mapping" starts from the workspace's own
connections, fetched samples are shown at once, values read as a person reads them, the
preview follows unsaved rule edits, and test results are current after every save."""

import json
import re

import pytest
from django.urls import reverse

from integrations.models import Connection
from mappings import services
from mappings.models import Mapping
from tests.factories import ConnectionFactory
from tests.integrations.providers.ecwid.contract import HARNESS as ECWID

HX = {"HX-Request": "true"}
EMAIL_RULE = {
    "target": "email",
    "source": {"kind": "field", "value": "email"},
    "transforms": [{"name": "email", "args": {}}],
    "condition": None,
    "write_mode": "overwrite",
    "required": True,
    "default": None,
}
TAGS_RULE = {
    **EMAIL_RULE,
    "target": "tags",
    "source": {"kind": "field", "value": "customerGroupName"},
    "transforms": [{"name": "to_tags", "args": {}}],
    "required": False,
}


def _url(name, mapping, *extra):
    return reverse(f"mappings:{name}", args=[mapping.workspace_id, mapping.pk, *extra])


def _new_url(workspace):
    return reverse("mappings:mapping-new", args=[workspace.pk])


@pytest.fixture
def mapping(workspace, owner):
    mapping = services.mapping_create(
        workspace=workspace,
        user=owner,
        name="Shop to CRM",
        source_provider="ecwid",
        target_provider="highlevel",
        start="blank",
    )
    mapping = services.rule_save(mapping=mapping, user=owner, rule=EMAIL_RULE)
    return services.rule_save(mapping=mapping, user=owner, rule=TAGS_RULE)


# --- New mapping ----------------------------------------------------------------------------------
def _selected(body: str, name: str) -> str:
    select = re.search(rf'<select name="{name}".*?</select>', body, re.S).group(0)
    return re.search(r'<option value="([^"]*)" selected>', select).group(1)


def test_new_mapping_starts_from_the_workspaces_store_and_highlevel_and_creates(
    owner_client, workspace
):
    ConnectionFactory(workspace=workspace, provider="highlevel", name="CRM")
    store = ConnectionFactory(workspace=workspace, provider="shift4shop", name="Shop")
    crm = Connection.objects.get(name="CRM")
    body = owner_client.get(_new_url(workspace)).content.decode()
    assert _selected(body, "source_provider") == "shift4shop"
    assert _selected(body, "target_provider") == "highlevel"
    assert _selected(body, "source_connection") == str(store.pk)
    assert _selected(body, "target_connection") == str(crm.pk)
    assert re.search(r'value="preset"[^>]*checked', body)
    assert "Shop (Shift4Shop)" in body and "CRM (HighLevel)" in body

    # Submitting the form as it starts (only a name typed) makes the preset mapping.
    response = owner_client.post(
        _new_url(workspace),
        {
            "name": "Shop customers",
            "source_provider": "shift4shop",
            "target_provider": "highlevel",
            "object_type": "contact",
            "start": "preset",
            "source_connection": store.pk,
            "target_connection": crm.pk,
        },
    )
    mapping = Mapping.objects.get(name="Shop customers")
    assert response.status_code == 302
    assert (mapping.source_connection, mapping.target_connection) == (store, crm)
    assert mapping.rules, "the preset's rules"


def test_new_mapping_without_connections_says_to_connect_first(owner_client, workspace):
    body = owner_client.get(_new_url(workspace)).content.decode()
    assert "has no connections yet" in body
    assert reverse("integrations:connection-new", args=[workspace.pk]) in body
    assert _selected(body, "target_provider") == "highlevel"
    assert _selected(body, "source_provider") != "highlevel"


@pytest.mark.parametrize(
    ("provider", "missing"),
    [("ecwid", "No HighLevel connection yet"), ("highlevel", "No store connection yet")],
)
def test_new_mapping_says_which_side_is_missing(owner_client, workspace, provider, missing):
    ConnectionFactory(workspace=workspace, provider=provider)
    body = owner_client.get(_new_url(workspace)).content.decode()
    assert missing in body


def test_new_mapping_refuses_a_connection_of_another_system(owner_client, workspace):
    shop = ConnectionFactory(workspace=workspace, provider="cin7", name="Warehouse")
    body = owner_client.post(
        _new_url(workspace),
        {
            "name": "X",
            "source_provider": "ecwid",
            "target_provider": "highlevel",
            "object_type": "contact",
            "start": "blank",
            "source_connection": shop.pk,
        },
    ).content.decode()
    assert "“Warehouse” is a connection to Cin7 Core: choose Cin7 Core as the source" in body
    assert not Mapping.objects.exists()


def test_draft_connections_are_not_offered(owner_client, workspace):
    ConnectionFactory(workspace=workspace, provider="ecwid", name="Half set up", is_draft=True)
    body = owner_client.get(_new_url(workspace)).content.decode()
    assert "Half set up" not in body and "has no connections yet" in body


# --- Fetching samples --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ecwid_sandbox():
    ECWID.start()
    yield ECWID
    ECWID.stop()


def test_fetched_samples_are_selected_and_previewed_at_once(owner_client, mapping, ecwid_sandbox):
    mapping.source_connection = ecwid_sandbox.make_connection(mapping.workspace)
    mapping.save()
    response = owner_client.post(_url("sample-new", mapping), {"fetch": "1"}, headers=HX)
    first = mapping.samples.order_by("pk").first()
    assert mapping.samples.count() == services.SAMPLES_PER_FETCH
    body = response.content.decode()
    assert f'<option value="{first.pk}" selected>' in body
    assert body.count(" selected>") == 1
    assert "refresh-preview" in response["HX-Trigger-After-Swap"]

    # Without htmx: the next records, and back to the editor showing the first of them.
    response = owner_client.post(_url("sample-new", mapping), {"fetch": "1"})
    sixth = mapping.samples.order_by("pk")[services.SAMPLES_PER_FETCH]
    assert response.url.endswith(f"?sample={sixth.pk}")
    page = owner_client.get(response.url).content.decode()
    assert sixth.record["email"].strip().lower() in page
    assert f'<option value="{sixth.pk}" selected>' in page
    assert 'class="table preview"' in page


def test_the_editor_previews_the_first_sample_on_load(owner_client, mapping):
    services.sample_create(mapping=mapping, name="Ana", record={"email": "ANA@x.io"})
    page = owner_client.get(_url("mapping-detail", mapping)).content.decode()
    assert re.search(r'<option value="\d+" selected>Ana</option>', page)
    assert "ana@x.io" in page and 'class="table preview"' in page


# --- Values as people read them ------------------------------------------------------------------
def test_preview_shows_lists_as_chips_and_empty_values_as_empty(owner_client, mapping):
    record = {"email": "ana@x.io", "customerGroupName": "resellers"}
    response = owner_client.post(
        _url("mapping-preview", mapping),
        {"record": json.dumps(record), "current": json.dumps({"tags": []})},
    )
    body = response.content.decode()
    assert '<li class="chip"><span class="value-text">resellers</span></li>' in body
    assert '<span class="value-empty">empty list</span>' in body  # the tags now
    for repr_ in ("[&#x27;", "['", "None", "{&#x27;"):
        assert repr_ not in body, repr_


def test_failing_test_differences_read_without_python_reprs(owner_client, mapping):
    owner_client.post(
        _url("test-new", mapping),
        {
            "name": "Tags",
            "record": json.dumps({"email": "a@b.co", "customerGroupName": "vip"}),
            "expected": json.dumps({"email": "a@b.co", "tags": ["resellers"], "notes": None}),
        },
        headers=HX,
    )
    page = owner_client.get(_url("mapping-detail", mapping)).content.decode()
    tests = page[page.index('id="tests"') :].split("</section>")[0]
    assert '<li class="chip"><span class="value-text">resellers</span></li>' in tests
    assert '<li class="chip"><span class="value-text">vip</span></li>' in tests
    assert "['" not in tests and "[&#x27;" not in tests and "None" not in tests


# --- The preview follows the rule being edited ---------------------------------------------------
def _rule_post(**fields):
    post = {
        "rule_id": "",
        "target": "firstName",
        "source_kind": "constant",
        "source_constant": "Friend",
        "write_mode": "overwrite",
    }
    return {**post, **fields}


def test_preview_includes_the_rule_being_added_before_it_is_saved(owner_client, mapping):
    record = json.dumps({"email": "a@b.co"})
    body = owner_client.post(
        _url("mapping-preview", mapping), {"record": record, **_rule_post()}
    ).content.decode()
    assert "Friend" in body and "Including the new rule 3" in body
    mapping.refresh_from_db()
    assert len(mapping.rules) == 2, "a preview saves nothing"


def test_preview_includes_unsaved_changes_to_a_rule(owner_client, mapping):
    rule_id = mapping.rules[0]["id"]
    body = owner_client.post(
        _url("mapping-preview", mapping),
        {
            "record": json.dumps({"email": " A@B.CO ", "other": "x@y.io"}),
            **_rule_post(rule_id=rule_id, target="email", source_kind="field"),
            "source_field": "other",
        },
    ).content.decode()
    assert "x@y.io" in body and "Including your unsaved changes to rule 1" in body


def test_an_incomplete_rule_previews_the_saved_rules_and_says_why(owner_client, mapping):
    body = owner_client.post(
        _url("mapping-preview", mapping),
        {"record": json.dumps({"email": "a@b.co"}), **_rule_post(target="")},
    ).content.decode()
    assert "Showing the saved rules" in body and "Choose the target field" in body
    assert "a@b.co" in body


def test_a_viewers_preview_ignores_rule_fields(viewer_client, mapping):
    body = viewer_client.post(
        _url("mapping-preview", mapping),
        {"record": json.dumps({"email": "a@b.co"}), **_rule_post()},
    ).content.decode()
    assert "a@b.co" in body and "Friend" not in body


def test_nothing_chosen_is_a_hint_after_a_change_and_an_error_when_asked(owner_client, mapping):
    refreshed = owner_client.post(_url("mapping-preview", mapping), {"refresh": "1"})
    body = refreshed.content.decode()
    assert 'role="alert"' not in body and "paste a record to see" in body
    asked = owner_client.post(_url("mapping-preview", mapping), {}).content.decode()
    assert 'role="alert"' in asked and "paste a record as JSON" in asked


def test_saving_a_rule_tells_the_preview_to_rerun(owner_client, mapping):
    rule_id = mapping.rules[0]["id"]
    post = {"target": "email", "source_kind": "field", "source_field": "email"}
    response = owner_client.post(_url("rule-edit", mapping, rule_id), post, headers=HX)
    assert "refresh-preview" in response["HX-Trigger-After-Swap"]


# --- Mapping tests are current after every save ---------------------------------------------------
def test_after_a_save_the_page_shows_each_tests_result_and_when(owner_client, mapping, owner):
    services.test_create(
        mapping=mapping,
        name="Lower-cases",
        source_record={"email": "A@B.CO"},
        expected_payload={"email": "a@b.co"},
    )
    # A rule reading a field Ecwid does not have: a drift problem, saved through the form.
    response = owner_client.post(
        _url("rule-new", mapping),
        {"target": "companyName", "source_kind": "field", "source_field": "noSuchField"},
        headers=HX,
    )
    tests = response.content.decode().split('id="tests"')[1]
    assert 'status-passed">Passed' in tests and "run just now" in tests
    assert "not run" not in tests.lower()
    assert "1 passed · run with version 4 just now" in tests


def test_a_test_that_fails_to_save_says_why_next_to_the_form(owner_client, mapping):
    response = owner_client.post(
        _url("test-new", mapping),
        {"name": "", "record": "{}", "expected": "{}"},
        headers=HX,
    )
    assert response["HX-Retarget"] == "#save-test-errors"
    assert "Give the test a name." in response.content.decode()
