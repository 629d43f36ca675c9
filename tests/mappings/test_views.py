"""Mapping editor views: access for owner / viewer / outsider / anonymous, and each action."""

import json

import pytest
from django.urls import reverse

from mappings import services
from mappings.models import Mapping

LOGIN = reverse("account_login")
EMAIL_RULE = {
    "target": "email",
    "source": {"kind": "field", "value": "email"},
    "transforms": [{"name": "email", "args": {}}],
    "condition": None,
    "write_mode": "overwrite",
    "required": True,
    "default": None,
}


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


def _pages(mapping):
    rule_id = mapping.rules[0]["id"]
    return {
        "read": [
            _url("mapping-detail", mapping),
            _url("mapping-export", mapping),
            _url("mapping-versions", mapping),
        ],
        "write_get": [
            _url("mapping-delete", mapping),
            _url("rule-new", mapping),
            _url("rule-edit", mapping, rule_id),
            _url("rule-transform-row", mapping) + "?name=trim&index=0",
            _url("rule-condition-row", mapping) + "?index=0",
        ],
        "write_post": [
            _url("mapping-settings", mapping),
            _url("mapping-restore", mapping, 1),
            _url("mapping-recheck", mapping),
            _url("rule-move", mapping, rule_id),
            _url("rule-delete", mapping, rule_id),
            _url("record-condition", mapping),
            _url("sample-new", mapping),
            _url("test-new", mapping),
        ],
    }


def test_every_page_sends_anonymous_to_login_and_outsiders_to_404(client, outsider, mapping):
    pages = _pages(mapping)
    for url in pages["read"] + pages["write_get"]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(LOGIN), url
    for url in pages["write_post"] + [_url("mapping-preview", mapping)]:
        response = client.post(url)
        assert response.status_code == 302 and response.url.startswith(LOGIN), url
    client.force_login(outsider)
    for url in pages["read"] + pages["write_get"]:
        assert client.get(url).status_code == 404, url
    for url in pages["write_post"] + [_url("mapping-preview", mapping)]:
        assert client.post(url).status_code == 404, url
    assert (
        client.get(reverse("mappings:mapping-list", args=[mapping.workspace_id])).status_code == 404
    )


def test_owner_sees_every_page(owner_client, mapping):
    pages = _pages(mapping)
    for url in pages["read"] + pages["write_get"]:
        assert owner_client.get(url).status_code == 200, url


def test_viewer_can_look_but_not_change(viewer_client, mapping):
    pages = _pages(mapping)
    for url in pages["read"]:
        assert viewer_client.get(url).status_code == 200, url
    for url in pages["write_get"]:
        assert viewer_client.get(url).status_code == 403, url
    for url in pages["write_post"]:
        assert viewer_client.post(url).status_code == 403, url
    body = viewer_client.get(_url("mapping-detail", mapping)).content.decode()
    assert "Add a rule" not in body
    mapping.refresh_from_db()
    assert mapping.version == 2


def test_list_shows_this_workspaces_mappings_only(owner_client, mapping, outsider):
    other = services.mapping_create(
        workspace=outsider.workspaces.first(),
        user=outsider,
        name="Somebody else's",
        source_provider="cin7",
        target_provider="highlevel",
        start="blank",
    )
    body = owner_client.get(reverse("mappings:mapping-list", args=[mapping.workspace_id]))
    text = body.content.decode()
    assert mapping.name in text and other.name not in text


def test_new_mapping_from_preset_then_editor(owner_client, workspace):
    url = reverse("mappings:mapping-new", args=[workspace.pk])
    response = owner_client.post(
        url,
        {
            "name": "Store",
            "source_provider": "ecwid",
            "target_provider": "highlevel",
            "object_type": "contact",
            "start": "preset",
        },
    )
    mapping = Mapping.objects.get(name="Store")
    assert response.status_code == 302 and response.url == _url("mapping-detail", mapping)
    body = owner_client.get(response.url).content.decode()
    assert "Rules" in body and mapping.rules[0]["target"] in body


def test_new_mapping_errors_say_what_to_fix(owner_client, workspace):
    url = reverse("mappings:mapping-new", args=[workspace.pk])
    data = {"name": "X", "source_provider": "ecwid", "target_provider": "highlevel"}
    body = owner_client.post(url, {**data, "object_type": "contact", "start": "import"})
    assert "Paste the exported mapping JSON" in body.content.decode()
    body = owner_client.post(
        url, {**data, "target_provider": "ecwid", "object_type": "contact", "start": "blank"}
    )
    assert "Source and target must be different systems." in body.content.decode()
    assert not Mapping.objects.exists()


def test_adding_a_rule_through_the_form(owner_client, mapping):
    post = {
        "target": "phone",
        "source_kind": "field",
        "source_field": "billingPerson.phone",
        "t-0-name": "trim",
        "t-1-name": "phone",
        "t-1-region": "GB",
        "c-join": "and",
        "c-0-field": "billingPerson.countryCode",
        "c-0-op": "equals",
        "c-0-value": "GB",
        "write_mode": "if_empty",
    }
    response = owner_client.post(_url("rule-new", mapping), post, headers={"HX-Request": "true"})
    assert response.status_code == 200
    mapping.refresh_from_db()
    rule = mapping.rules[-1]
    assert rule["target"] == "phone" and rule["write_mode"] == "if_empty"
    assert rule["transforms"] == [
        {"name": "trim", "args": {}},
        {"name": "phone", "args": {"region": "GB"}},
    ]
    assert rule["condition"] == {
        "field": "billingPerson.countryCode",
        "op": "equals",
        "value": "GB",
    }
    assert 'id="rule-' in response.content.decode()


def test_a_rule_form_with_mistakes_comes_back_with_messages(owner_client, mapping):
    post = {
        "target": "",
        "source_kind": "template",
        "source_template": "no braces",
        "t-0-name": "regex_replace",
        "t-0-pattern": "(",
        "write_mode": "overwrite",
    }
    response = owner_client.post(_url("rule-new", mapping), post, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Choose the target field" in body
    assert "A template names fields in braces" in body
    mapping.refresh_from_db()
    assert mapping.version == 2


def test_an_invalid_regex_is_refused_next_to_the_rule(owner_client, mapping):
    post = {
        "target": "firstName",
        "source_kind": "field",
        "source_field": "name",
        "t-0-name": "regex_replace",
        "t-0-pattern": "(",
        "write_mode": "overwrite",
    }
    response = owner_client.post(_url("rule-new", mapping), post, headers={"HX-Request": "true"})
    assert "regex" in response.content.decode().lower()
    mapping.refresh_from_db()
    assert len(mapping.rules) == 1


def test_editing_moving_and_deleting_rules(owner_client, mapping, owner):
    mapping = services.rule_save(
        mapping=mapping,
        user=owner,
        rule={
            **EMAIL_RULE,
            "target": "firstName",
            "source": {"kind": "field", "value": "name"},
            "transforms": [],
            "required": False,
        },
    )
    first, second = (r["id"] for r in mapping.rules)
    form = owner_client.get(_url("rule-edit", mapping, first)).content.decode()
    assert 'name="t-0-name" value="email"' in form
    hx = {"HX-Request": "true"}
    owner_client.post(_url("rule-move", mapping, second), {"direction": "up"}, headers=hx)
    mapping.refresh_from_db()
    assert [r["id"] for r in mapping.rules] == [second, first]
    owner_client.post(_url("rule-delete", mapping, first), headers=hx)
    mapping.refresh_from_db()
    assert [r["id"] for r in mapping.rules] == [second]
    assert owner_client.get(_url("rule-edit", mapping, first)).status_code == 404


def test_preview_with_a_pasted_record_and_saving_it_as_a_test(owner_client, mapping):
    response = owner_client.post(
        _url("mapping-preview", mapping), {"record": json.dumps({"email": " A@B.CO "})}
    )
    body = response.content.decode()
    assert "a@b.co" in body and "Save this as a mapping test" in body
    bad = owner_client.post(_url("mapping-preview", mapping), {"record": "{oops"}).content.decode()
    assert "not valid JSON" in bad
    empty = owner_client.post(_url("mapping-preview", mapping), {}).content.decode()
    assert "paste a record" in empty
    owner_client.post(
        _url("test-new", mapping),
        {
            "name": "lower",
            "record": json.dumps({"email": "A@B.CO"}),
            "expected": json.dumps({"email": "a@b.co"}),
            "current": "",
        },
        headers={"HX-Request": "true"},
    )
    test = mapping.tests.get()
    assert test.passed is True


def test_samples_by_hand_and_from_a_connection_without_one(owner_client, mapping):
    hx = {"HX-Request": "true"}
    owner_client.post(
        _url("sample-new", mapping), {"name": "Ana", "record": '{"email": "ana@x.io"}'}, headers=hx
    )
    sample = mapping.samples.get()
    body = owner_client.post(
        _url("mapping-preview", mapping), {"sample": sample.pk}
    ).content.decode()
    assert "ana@x.io" in body
    no_source = owner_client.post(_url("sample-new", mapping), {"fetch": "1"}, headers=hx)
    assert "Choose a source connection first" in no_source.content.decode()


def test_record_condition_and_export(owner_client, mapping):
    hx = {"HX-Request": "true"}
    owner_client.post(
        _url("record-condition", mapping),
        {
            "rc-join": "and",
            "rc-0-field": "customerGroupName",
            "rc-0-op": "equals",
            "rc-0-value": "Wholesale",
        },
        headers=hx,
    )
    mapping.refresh_from_db()
    assert mapping.spec["record_condition"] == {
        "field": "customerGroupName",
        "op": "equals",
        "value": "Wholesale",
    }
    exported = owner_client.get(_url("mapping-export", mapping))
    assert exported["Content-Disposition"].startswith("attachment;")
    exported_spec = json.loads(exported.content)["mapping"]
    assert exported_spec["record_condition"]["value"] == "Wholesale"


def test_deleting_a_mapping_needs_a_post(owner_client, mapping):
    assert owner_client.get(_url("mapping-delete", mapping)).status_code == 200
    assert Mapping.objects.filter(pk=mapping.pk).exists()
    owner_client.post(_url("mapping-delete", mapping))
    assert not Mapping.objects.filter(pk=mapping.pk).exists()
