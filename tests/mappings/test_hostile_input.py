"""Hostile input to the mapping editor, previews, samples, mapping tests and import: never a
500, always a message saying what to fix, and nothing saved."""

import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from mappings import services
from mappings.models import Mapping

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
# Row numbers that are not small whole numbers (5,000 digits: int() raises ValueError).
BAD_ROWS = ["abc", "-1", "1e5", "99999999999999999999", "9" * 5000, "50", "٣"]
ROW_MESSAGE = "Row numbers must be whole numbers from 0 to 49"
# JSON that json.loads cannot take (RecursionError, int digits limit), takes but cannot be
# stored or shown (NaN, inf, a lone surrogate), or is too large.
HOSTILE_RECORDS = [
    pytest.param("[" * 100_000, "JSON nested deeper than 64 levels", id="deep-list"),
    pytest.param('{"a":' * 10_000, "JSON nested deeper than 64 levels", id="deep-object"),
    pytest.param('{"n": ' + "9" * 5000 + "}", "number too large", id="5000-digits"),
    pytest.param('{"n": NaN}', "NaN/Infinity are not allowed", id="nan"),
    pytest.param('{"n": 1e999}', "number too large", id="inf"),
    pytest.param('{"a": "\\ud800"}', "not UTF-8", id="lone-surrogate"),
    pytest.param(json.dumps({"notes": "x" * 300_000}), "may be at most 256 KB", id="300-KB"),
]


@pytest.fixture
def mapping(workspace, owner):
    mapping = services.mapping_create(
        workspace=workspace,
        user=owner,
        name="Ecwid to HighLevel",
        source_provider="ecwid",
        target_provider="highlevel",
        start="blank",
    )
    return services.rule_save(mapping=mapping, user=owner, rule=EMAIL_RULE)


def _url(name, mapping, *extra):
    return reverse(f"mappings:{name}", args=[mapping.workspace_id, mapping.pk, *extra])


def _post_form(client, url, data):
    """Posted urlencoded, as a browser does: a multipart body caps the length of field names,
    which would hide the 5,000-digit row number."""
    return client.post(
        url, urlencode(data), content_type="application/x-www-form-urlencoded", headers=HX
    )


def _assert_refused(response, message, mapping, version=2):
    assert response.status_code != 500
    assert message in response.content.decode()
    mapping.refresh_from_db()
    assert mapping.version == version, "nothing may be saved"


# --- row numbers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("row", BAD_ROWS)
def test_a_mangled_transform_row_number_is_a_form_error(owner_client, mapping, row):
    post = {
        "target": "firstName",
        "source_kind": "field",
        "source_field": "name",
        f"t-{row}-name": "trim",
        "write_mode": "overwrite",
    }
    response = _post_form(owner_client, _url("rule-new", mapping), post)
    _assert_refused(response, ROW_MESSAGE, mapping)


@pytest.mark.parametrize("row", BAD_ROWS)
def test_a_mangled_condition_row_number_is_a_form_error(owner_client, mapping, row):
    post = {
        "target": "firstName",
        "source_kind": "field",
        "source_field": "name",
        f"c-{row}-field": "name",
        f"c-{row}-op": "not_empty",
        "write_mode": "overwrite",
    }
    response = _post_form(owner_client, _url("rule-new", mapping), post)
    _assert_refused(response, ROW_MESSAGE, mapping)


@pytest.mark.parametrize("row", BAD_ROWS)
def test_a_mangled_record_condition_row_number_is_reported(owner_client, mapping, row):
    post = {f"rc-{row}-field": "customerGroupName", f"rc-{row}-op": "not_empty"}
    response = _post_form(owner_client, _url("record-condition", mapping), post)
    _assert_refused(response, ROW_MESSAGE, mapping)


@pytest.mark.parametrize("row", BAD_ROWS)
@pytest.mark.parametrize("view", ["rule-transform-row", "rule-condition-row"])
def test_a_new_row_with_a_mangled_index_says_so(owner_client, mapping, view, row):
    response = owner_client.get(_url(view, mapping), {"name": "trim", "index": row})
    assert response.status_code == 200  # htmx swaps the message in
    assert ROW_MESSAGE in response.content.decode()
    assert 'name="t-' not in response.content.decode()


# --- JSON pasted into the editor ------------------------------------------------------------------
@pytest.mark.parametrize(("text", "message"), HOSTILE_RECORDS)
def test_previewing_a_hostile_record_explains_it(owner_client, mapping, text, message):
    response = owner_client.post(_url("mapping-preview", mapping), {"record": text})
    _assert_refused(response, message, mapping)


@pytest.mark.parametrize(("text", "message"), HOSTILE_RECORDS)
def test_a_hostile_current_record_in_the_preview_is_explained(owner_client, mapping, text, message):
    post = {"record": '{"email": "a@b.co"}', "current": text}
    response = owner_client.post(_url("mapping-preview", mapping), post)
    _assert_refused(response, message, mapping)


@pytest.mark.parametrize("sample", ["abc", "1e5", "-1.5", "9" * 5000])
def test_previewing_a_mangled_sample_id_says_it_does_not_exist(owner_client, mapping, sample):
    response = owner_client.post(_url("mapping-preview", mapping), {"sample": sample})
    _assert_refused(response, "That sample no longer exists.", mapping)


@pytest.mark.parametrize(("text", "message"), HOSTILE_RECORDS)
def test_a_hostile_sample_is_refused(owner_client, mapping, text, message):
    post = {"name": "Bad", "record": text}
    response = owner_client.post(_url("sample-new", mapping), post, headers=HX)
    _assert_refused(response, message, mapping)
    assert not mapping.samples.exists()


@pytest.mark.parametrize("part", ["record", "expected", "current"])
@pytest.mark.parametrize(("text", "message"), HOSTILE_RECORDS)
def test_a_hostile_mapping_test_is_refused(owner_client, mapping, part, text, message):
    post = {"name": "t", "record": '{"email": "A@B.CO"}', "expected": '{"email": "a@b.co"}'}
    post[part] = text
    response = owner_client.post(_url("test-new", mapping), post, headers=HX)
    _assert_refused(response, message, mapping)
    assert not mapping.tests.exists()


def test_a_mapping_test_name_over_100_characters_is_refused(owner_client, mapping):
    post = {"name": "n" * 5000, "record": '{"email": "A"}', "expected": '{"email": "a"}'}
    response = owner_client.post(_url("test-new", mapping), post, headers=HX)
    _assert_refused(response, "A test name may be at most 100 characters.", mapping)
    assert not mapping.tests.exists()


# --- rules -----------------------------------------------------------------------------------
def test_a_rule_over_64_kb_is_refused(owner_client, mapping):
    post = {
        "target": "companyName",
        "source_kind": "constant",
        "source_constant": "x" * 70_000,
        "write_mode": "overwrite",
    }
    response = owner_client.post(_url("rule-new", mapping), post, headers=HX)
    _assert_refused(response, "A rule may be at most 64 KB as JSON", mapping)


@pytest.mark.parametrize(
    ("condition_json", "message"),
    [
        ("[" * 10_000, "JSON nested deeper than 32 levels"),
        ('{"not": ' * 40 + '{"field": "a", "op": "is_empty"}' + "}" * 40, "deeper than 32"),
        ('{"field": "a", "op": "equals", "value": ' + "1" * 5000 + "}", "number too large"),
        ('{"field": "a", "op": "equals", "value": NaN}', "NaN/Infinity are not allowed"),
    ],
)
def test_a_hostile_kept_condition_is_a_form_error(owner_client, mapping, condition_json, message):
    post = {
        "target": "firstName",
        "source_kind": "field",
        "source_field": "name",
        "condition_json": condition_json,
        "write_mode": "overwrite",
    }
    response = owner_client.post(_url("rule-new", mapping), post, headers=HX)
    _assert_refused(response, message, mapping)


def test_an_unknown_source_kind_or_write_mode_is_shown_next_to_its_field(owner_client, mapping):
    post = {"target": "email", "source_kind": "x" * 5000, "write_mode": "sometimes"}
    response = owner_client.post(_url("rule-new", mapping), post, headers=HX)
    _assert_refused(response, "Choose where the value comes from.", mapping)
    assert "Choose how the rule writes." in response.content.decode()


# --- import --------------------------------------------------------------------------------------
def _import(client, workspace, text):
    url = reverse("mappings:mapping-new", args=[workspace.pk])
    data = {
        "name": "Imported",
        "source_provider": "ecwid",
        "target_provider": "highlevel",
        "object_type": "contact",
        "start": "import",
        "import_text": text,
    }
    return client.post(url, data)


def _envelope(rules):
    spec = {"source": "ecwid", "target": "highlevel", "object": "contact", "rules": rules}
    return {"format": "contactbridge.mapping", "format_version": 1, "mapping": spec}


def _constant_rule(index, value):
    return {
        "id": f"r{index}",
        "target": f"customFields.key:f{index}" if index else "companyName",
        "source": {"kind": "constant", "value": value},
        "write_mode": "append",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000, "JSON nested deeper than 64 levels"),
        ('{"format": ' * 10_000, "JSON nested deeper than 64 levels"),
        ('{"format": ' + "9" * 5000 + "}", "number too large"),
        (
            json.dumps(_envelope([_constant_rule(0, "x")])).replace('"x"', "NaN"),
            "NaN/Infinity are not allowed",
        ),
        (json.dumps(_envelope([_constant_rule(0, "x" * 1_100_000)])), "at most 1 MB"),
        (
            json.dumps(_envelope([{**_constant_rule(0, "x"), "id": f"r{i}"} for i in range(501)])),
            "at most 500 rules",
        ),
    ],
)
def test_a_hostile_import_is_refused_with_the_reason(owner_client, workspace, text, message):
    response = _import(owner_client, workspace, text)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Mapping.objects.exists()
