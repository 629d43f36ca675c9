"""Every form and HTMX endpoint of the mapping editor, the endpoint explorer and the connection
wizard, fed random and nasty values by hypothesis, as the workspace's owner: never a 500, and
a form that comes back (200/400/422) without having changed anything says what is wrong.

"Nasty": any text, NUL bytes, bytes that are not UTF-8 (a lone surrogate, as a browser could
send it), 300 KB values, "[" * 10000, JSON with 1e400 / NaN / \\ud800 / 5,000-digit numbers,
non-numeric, negative and enormous ids, template and markup syntax.

The explorer and the OAuth round trip talk to the Ecwid and HighLevel sandboxes, started in
this process; every outbound request is checked to go nowhere else.
"""

import json
from types import SimpleNamespace
from urllib.parse import quote, urlencode, urlsplit

import hypothesis
import pytest
from django.conf import settings as django_settings
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter

from integrations import oauth_flow
from integrations.explorer import operations_for
from integrations.models import Connection
from integrations.providers.registry import all_providers, get_provider
from mappings import engine, services
from mappings.forms import WRITE_MODES
from mappings.models import Mapping
from mappings.presets import load_preset
from sandboxes.ecwid import EcwidSandbox
from sandboxes.ecwid import connection_values as ecwid_connection_values
from sandboxes.highlevel import HighLevelSandbox
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.factories import ConnectionFactory

HX = {"HX-Request": "true"}
# How our templates show a refusal: Django's error lists (forms, and the rule form's own
# <p class="errorlist">), the editor's and the preview's messages, the OAuth error page's text.
FORM_ERROR = 'class="errorlist'
EDITOR_ERROR = 'class="message message-error"'
PAGE_ERROR = 'class="error-text"'

FAST = hypothesis.settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
FEWER = hypothesis.settings(FAST, max_examples=40)  # each example talks to a sandbox

# --- nasty values -------------------------------------------------------------------------------
NASTY_LITERALS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n\r\nX-Injected: 1",
    "\u202e\u200b\ufeff",
    "🙂" * 1000,
    "null",
    "[]",
    "{}",
    '""',
    "-0",
    "-1",
    "0x1F",
    "1_000",
    "1e5",
    "1.5",
    "½",
    "٣",
    "\uff11\uff12",  # fullwidth digits
    str(2**63),
    str(-(2**63) - 1),
    "9" * 5000,
    "1e400",
    "NaN",
    "-Infinity",
    '{"n": 1e400}',
    '{"n": NaN}',
    '{"n": -Infinity}',
    '{"n": ' + "9" * 5000 + "}",
    '{"a": "\\ud800"}',
    '{"a": "\\udfff\\ud800x"}',
    '{"a": "\\u0000"}',
    '{"email": "a@example.com", "a": ' * 70 + "1" + "}" * 70,
    "[" * 10_000,
    "{" * 10_000,
    '{"a":' * 5_000,
    "]" * 1_000,
    "x" * 300_000,
    "é" * 100_000,
    "<script>alert(1)</script>",
    "{{ 7|add:7 }}{% debug %}",
    "{firstName}{{}}{",
    "'; DROP TABLE mappings_mapping; --",
    "../../etc/passwd",
    "%00%2e%2e%2f",
    "(a+)+$",
    b"\xed\xa0\x80",  # a lone surrogate as UTF-8-ish bytes: not UTF-8
    b"\xff\xfe\x00",
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
NASTY = st.one_of(
    st.sampled_from(NASTY_LITERALS),
    st.text(max_size=200),
    st.text(max_size=20).map(lambda text: text + "\x00"),
    st.integers(min_value=-(2**128), max_value=2**128).map(str),
    st.floats().map(repr),
    JSON_VALUES.map(json.dumps),  # floats make NaN, Infinity, 1e+308
    st.integers(min_value=1, max_value=300).map(lambda n: "[" * n + "]" * n),
)


def nasty_or(*good):
    """Half the time a value the code knows (to get past the first check), else a nasty one.
    (Not st.one_of(good, NASTY): that flattens NASTY's branches and good becomes rare.)"""
    return st.booleans().flatmap(lambda nasty: NASTY if nasty else st.sampled_from(good))


def rarely_nasty(*good):
    """Three times in four a value the code knows: for fields that guard the rest."""
    return st.integers(0, 3).flatmap(lambda n: NASTY if n == 0 else st.sampled_from(good))


def as_text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _encode(data: dict) -> str:
    return urlencode(list(data.items()))  # str as UTF-8, bytes as they are


def post(client, url: str, data: dict, *, htmx: bool = True):
    """Posted urlencoded, as a browser posts a form (multipart would cap the field names)."""
    body = _encode(data)
    response = client.post(
        url, body, content_type="application/x-www-form-urlencoded", headers=HX if htmx else {}
    )
    response.sent_bytes = len(body)
    return response


def get(client, url: str, query: dict, *, htmx: bool = True):
    response = client.get(f"{url}?{_encode(query)}", headers=HX if htmx else {})
    response.sent_bytes = 0
    return response


def body_of(response) -> str:
    return response.content.decode("utf-8", "replace")


def says_why(response, marker: str = FORM_ERROR) -> bool:
    return marker in body_of(response)


def answered(response, *, changed: bool, marker: str = FORM_ERROR) -> None:
    """Below 500; and a form shown again without a change says what to fix."""
    assert response.status_code < 500, body_of(response)[:3000]
    hypothesis.event(f"{response.status_code} {'changed' if changed else 'refused'}")
    if response.status_code == 400 and response.sent_bytes > (
        django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    ):
        return  # Django refused the whole body before any form saw it
    if response.status_code in (200, 400, 422) and not changed:
        assert says_why(response, marker), body_of(response)[:3000]


def error_messages(response) -> list[str]:
    return [
        m.message for m in get_messages(response.wsgi_request) if m.level == message_levels.ERROR
    ]


# --- the sandboxes, and nothing else -----------------------------------------------------------
@pytest.fixture(scope="module")
def sandboxes():
    ecwid = EcwidSandbox(SandboxOptions(seed=11))
    highlevel = HighLevelSandbox(SandboxOptions(seed=23), rsa_key_bits=2048)
    httpd, server, root = start_in_thread([ecwid, highlevel])
    yield SimpleNamespace(root=root, ecwid=ecwid.describe(), highlevel=highlevel.describe())
    stop(httpd, server)


@pytest.fixture(autouse=True)
def only_the_sandboxes(monkeypatch, settings, sandboxes):
    """Every request leaves through requests' HTTPAdapter: it may only reach the sandboxes."""
    settings.SANDBOX_ENABLED = True
    settings.SANDBOX_URL = sandboxes.root
    elsewhere = []
    real_send = HTTPAdapter.send

    def send(self, request, *args, **kwargs):
        if not request.url.startswith(sandboxes.root + "/"):
            elsewhere.append(request.url)
            raise AssertionError(f"tried to reach {request.url}")
        return real_send(self, request, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", send)
    yield
    assert not elsewhere, f"requests left for somewhere other than the sandboxes: {elsewhere}"


@pytest.fixture
def ecwid_connection(workspace, sandboxes):
    credentials, settings = ecwid_connection_values(sandboxes.ecwid)
    return ConnectionFactory(
        workspace=workspace,
        provider="ecwid",
        name="Ecwid sandbox",
        settings=settings,
        credentials=credentials,
    )


@pytest.fixture
def hl_connection(workspace, sandboxes):
    hl = sandboxes.highlevel
    return ConnectionFactory(
        workspace=workspace,
        provider="highlevel",
        name="HighLevel sandbox",
        settings={"location_id": hl["location_id"], "base_url": hl["base_url"]},
        credentials={"private_integration_token": hl["private_integration_token"]},
        scopes=["contacts.readonly", "contacts.write"],
    )


# === the mapping editor ==========================================================================
EMAIL_RULE = {
    "target": "email",
    "source": {"kind": "field", "value": "email"},
    "transforms": [{"name": "email", "args": {}}],
    "condition": None,
    "write_mode": "overwrite",
    "required": True,
    "default": None,
}
TRANSFORMS = [t["name"] for t in engine.transform_catalogue()]
OPERATORS = [o["name"] for o in engine.operator_catalogue()]
ARGS = sorted({a["name"] for t in engine.transform_catalogue() for a in t["args"]})
ROW_INDEX = nasty_or("0", "1", "2", "49", "50")


@pytest.fixture
def mapping(workspace, owner, ecwid_connection):
    mapping = services.mapping_create(
        workspace=workspace,
        user=owner,
        name="Ecwid to HighLevel",
        source_provider="ecwid",
        target_provider="highlevel",
        start="blank",
        source_connection=ecwid_connection,  # "fetch a sample" reads the Ecwid sandbox
    )
    return services.rule_save(mapping=mapping, user=owner, rule=EMAIL_RULE)


def _url(name, mapping, *extra):
    return reverse(f"mappings:{name}", args=[mapping.workspace_id, mapping.pk, *extra])


def _version(mapping) -> int:
    return Mapping.objects.get(pk=mapping.pk).version


row_fields = st.dictionaries(
    keys=st.builds(
        "{}-{}-{}".format,
        st.sampled_from(["t", "c", "rc"]),
        ROW_INDEX,
        st.sampled_from(["name", "field", "op", "value", *ARGS]),
    ),
    values=st.one_of(NASTY, st.sampled_from(TRANSFORMS + OPERATORS + ["email", "name"])),
    max_size=6,
)
rule_posts = st.builds(
    lambda fields, rows: {**fields, **rows},
    st.fixed_dictionaries(
        {
            "target": nasty_or("email", "firstName", "phone", "tags"),
            "source_kind": nasty_or("field", "constant", "template"),
            "source_field": nasty_or("email", "name", "billingPerson.name"),
            "source_constant": NASTY,
            "source_template": nasty_or("{email}", "{name} x"),
            "write_mode": nasty_or(*dict(WRITE_MODES)),
        },
        optional={
            "required": nasty_or("on", ""),
            "default": NASTY,
            "condition_json": nasty_or('{"field": "email", "op": "not_empty"}'),
            "c-join": nasty_or("and", "or"),
        },
    ),
    row_fields,
)


@FAST
@given(data=rule_posts, edit=st.booleans())
def test_the_rule_form_saves_or_says_why(owner_client, mapping, data, edit):
    before = _version(mapping)
    rule_id = Mapping.objects.get(pk=mapping.pk).rules[0]["id"]
    url = _url("rule-edit", mapping, rule_id) if edit else _url("rule-new", mapping)
    response = post(owner_client, url, data)
    answered(response, changed=_version(mapping) > before)


@FAST
@given(name=nasty_or(*TRANSFORMS), index=ROW_INDEX, prefix=nasty_or("c", "rc"))
def test_new_transform_and_condition_rows(owner_client, mapping, name, index, prefix):
    row = as_text(index) or "0"  # no index: the first row
    response = get(
        owner_client, _url("rule-transform-row", mapping), {"name": name, "index": index}
    )
    assert response.status_code == 200
    if as_text(name) in TRANSFORMS and not says_why(response):
        hypothesis.event("a transform row")
        assert f'name="t-{row}-name"' in body_of(response)
    response = get(
        owner_client, _url("rule-condition-row", mapping), {"index": index, "prefix": prefix}
    )
    assert response.status_code == 200
    if not says_why(response):
        hypothesis.event("a condition row")
        assert f"-{row}-field" in body_of(response)


@FAST
@given(rows=row_fields, join=nasty_or("and", "or"))
def test_the_record_condition_saves_or_says_why(owner_client, mapping, rows, join):
    before = _version(mapping)
    response = post(owner_client, _url("record-condition", mapping), {"rc-join": join, **rows})
    answered(response, changed=_version(mapping) > before, marker=EDITOR_ERROR)


@FAST
@given(rule_id=NASTY, direction=nasty_or("up", "down"), htmx=st.booleans())
def test_moving_and_deleting_hostile_rule_ids(owner_client, mapping, rule_id, direction, htmx):
    rule_id = quote(as_text(rule_id), safe="") or "x"
    for name, data in (("rule-move", {"direction": direction}), ("rule-delete", {})):
        url = f"{_url('mapping-detail', mapping)}rules/{rule_id}/{name.removeprefix('rule-')}/"
        response = post(owner_client, url, data, htmx=htmx)
        assert response.status_code in (200, 302, 404), body_of(response)[:2000]


@st.composite
def mangled_exports(draw):
    """A real export with one value somewhere inside replaced by something nasty."""
    document = json.loads(engine.export_mapping(load_preset("ecwid", "highlevel")))
    node, key = document, None
    while True:
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        if not children or draw(st.integers(0, 3)) == 0:
            break
        key, child = draw(st.sampled_from(children))
        if not isinstance(child, (dict, list)):
            break
        node = child
    if key is not None and children:
        replacement = draw(st.one_of(JSON_VALUES, NASTY.map(as_text)))
        node[key] = replacement
    return json.dumps(document)


@FAST
@given(
    name=nasty_or("Imported"),
    source=rarely_nasty("ecwid"),
    target=rarely_nasty("highlevel"),
    start=rarely_nasty("import", "import", "preset", "blank"),
    text=st.one_of(mangled_exports(), NASTY),
    connection=nasty_or(""),
)
def test_importing_a_spec_creates_a_mapping_or_says_why(
    owner_client, workspace, name, source, target, start, text, connection
):
    before = Mapping.objects.count()
    data = {
        "name": name,
        "source_provider": source,
        "target_provider": target,
        "object_type": "contact",
        "start": start,
        "import_text": text,
        "source_connection": connection,
    }
    url = reverse("mappings:mapping-new", args=[workspace.pk])
    response = post(owner_client, url, data, htmx=False)
    created = Mapping.objects.count() > before
    answered(response, changed=created)
    assert (response.status_code == 302) == created


@FAST
@given(name=nasty_or("Renamed"), source=NASTY, target=nasty_or(""))
def test_mapping_settings_change_or_say_why(owner_client, mapping, name, source, target):
    data = {"name": name, "source_connection": source, "target_connection": target}
    response = post(owner_client, _url("mapping-settings", mapping), data, htmx=False)
    assert response.status_code == 302
    saved = Mapping.objects.get(pk=mapping.pk)
    assert saved.name == as_text(name).strip() or error_messages(response)


@FAST
@given(name=NASTY, record=NASTY, fetch=nasty_or("", "1"))
def test_a_sample_is_saved_or_the_editor_says_why(owner_client, mapping, name, record, fetch):
    before = mapping.samples.count()
    data = {"name": name, "record": record, "fetch": fetch}
    response = post(owner_client, _url("sample-new", mapping), data)
    answered(response, changed=mapping.samples.count() > before, marker=EDITOR_ERROR)


@FAST
@given(
    sample=nasty_or("", "1", "-1", str(10**18), str(2**64)),
    record=nasty_or('{"email": "a@example.com"}', ""),
    current=nasty_or('{"email": "b@example.com"}', ""),
)
def test_a_preview_shows_the_result_or_says_why(owner_client, mapping, sample, record, current):
    data = {"sample": sample, "record": record, "current": current}
    response = post(owner_client, _url("mapping-preview", mapping), data)
    assert response.status_code == 200
    shown = 'class="table preview"' in body_of(response)
    answered(response, changed=shown, marker=EDITOR_ERROR)


@FAST
@given(
    name=nasty_or("A test"),
    record=nasty_or('{"email": "a@example.com"}'),
    expected=nasty_or('{"email": "a@example.com"}'),
    current=nasty_or("", "{}"),
)
def test_a_mapping_test_is_saved_or_the_editor_says_why(
    owner_client, mapping, name, record, expected, current
):
    before = mapping.tests.count()
    data = {"name": name, "record": record, "expected": expected, "current": current}
    response = post(owner_client, _url("test-new", mapping), data)
    answered(response, changed=mapping.tests.count() > before, marker=EDITOR_ERROR)


# === the endpoint explorer =======================================================================
def _explorer_url(connection, *, send: bool) -> str:
    name = "connection-explorer-send" if send else "connection-explorer"
    return reverse(f"integrations:{name}", args=[connection.workspace_id, connection.pk])


@st.composite
def explorer_requests(draw, provider: str):
    operations = operations_for(provider)
    op = draw(st.sampled_from(operations))
    key = draw(rarely_nasty(op.key).map(as_text))
    fields = {}
    for param in op.path_params:
        fields[f"path_{param.name}"] = draw(nasty_or("1", "abc"))
    for param in op.query_params:
        fields[f"query_{param.name}"] = draw(nasty_or("", "2"))
    if op.body is not None or draw(st.booleans()):
        fields["body"] = draw(nasty_or('{"email": "explorer@example.org"}'))
    return key, fields


@FEWER
@given(
    ecwid_request=explorer_requests("ecwid"),
    hl_request=explorer_requests("highlevel"),
    htmx=st.booleans(),
)
def test_the_explorer_sends_to_the_sandbox_or_says_why(
    owner_client, ecwid_connection, hl_connection, sandboxes, ecwid_request, hl_request, htmx
):
    for connection, (key, fields), described in (
        (ecwid_connection, ecwid_request, sandboxes.ecwid),
        (hl_connection, hl_request, sandboxes.highlevel),
    ):
        url = f"{_explorer_url(connection, send=True)}?{urlencode({'op': key})}"
        response = post(owner_client, url, fields, htmx=htmx)
        if all(op.key != key for op in operations_for(connection.provider)):
            assert response.status_code == 302  # back to the list of operations
            continue
        answered(response, changed='aria-label="Result"' in body_of(response))
        if 'aria-label="Result"' in body_of(response):
            assert described["base_url"] in body_of(response)


@FAST
@given(op=NASTY, htmx=st.booleans())
def test_the_explorer_page_takes_any_operation_key(owner_client, ecwid_connection, op, htmx):
    response = get(owner_client, _explorer_url(ecwid_connection, send=False), {"op": op}, htmx=htmx)
    assert response.status_code == 200


# === the connection wizard =======================================================================
PROVIDERS = [provider.key for provider in all_providers()]
OAUTH_PROVIDERS = [p.key for p in all_providers() if oauth_flow.supports_oauth(p)]


def _new_url(workspace, **query) -> str:
    url = reverse("integrations:connection-new", args=[workspace.pk])
    return f"{url}?{_encode(query)}" if query else url


@FAST
@given(provider=nasty_or(*PROVIDERS), method=nasty_or("token", "oauth"), sandbox=nasty_or("1"))
def test_choosing_a_system_takes_any_query(owner_client, workspace, provider, method, sandbox):
    response = owner_client.get(
        _new_url(workspace, provider=provider, method=method, sandbox=sandbox)
    )
    assert response.status_code == 200


@st.composite
def credential_posts(draw):
    provider = get_provider(draw(st.sampled_from(PROVIDERS)))
    data = {"name": draw(nasty_or("My store"))}
    for spec in provider.setting_fields:
        data[f"setting_{spec.key}"] = draw(nasty_or("1003", "https://shop.example.com"))
    for spec in provider.credential_fields:
        data[f"credential_{spec.key}"] = draw(nasty_or("secret_abc123", "someone@example.com"))
    if draw(st.booleans()):
        data["sandbox"] = draw(nasty_or("1"))
    return provider.key, data


@FAST
@given(posted=credential_posts(), htmx=st.booleans())
def test_the_credentials_step_saves_or_says_why(owner_client, workspace, posted, htmx):
    provider, data = posted
    before = Connection.objects.count()
    response = post(
        owner_client, _new_url(workspace, provider=provider, method="token"), data, htmx=htmx
    )
    created = Connection.objects.count() > before
    answered(response, changed=created)
    if created:
        Connection.objects.filter(workspace=workspace).delete()  # names stay free


@FAST
@given(
    provider=st.sampled_from(OAUTH_PROVIDERS),
    data=st.fixed_dictionaries(
        {
            "name": nasty_or("HL sandbox"),
            "client_id": NASTY,
            "client_secret": NASTY,
            "access": nasty_or("read", "read_write"),
        },
        optional={"sandbox": nasty_or("1")},
    ),
    htmx=st.booleans(),
)
def test_the_oauth_step_goes_to_the_provider_or_says_why(
    owner_client, workspace, provider, data, htmx
):
    _forget_flow(owner_client)
    response = post(
        owner_client, _new_url(workspace, provider=provider, method="oauth"), data, htmx=htmx
    )
    started = oauth_flow.SESSION_KEY in owner_client.session
    answered(response, changed=started)
    if started:
        assert response.status_code in (200, 302)
        location = response.get("HX-Redirect") or response["Location"]
        assert urlsplit(location).scheme in ("http", "https")


def _forget_flow(client) -> None:
    session = client.session
    session.pop(oauth_flow.SESSION_KEY, None)
    session.save()


def _start_oauth(client, workspace, sandboxes) -> str:
    """The wizard's own OAuth start with the HighLevel sandbox's app; returns the state."""
    data = {
        "name": "HL sandbox",
        "client_id": sandboxes.highlevel["client_id"],
        "access": "read_write",
        "sandbox": "1",
    }
    url = _new_url(workspace, provider="highlevel", method="oauth", sandbox=1)
    response = client.post(url, data)
    assert response.status_code == 302, body_of(response)[:2000]
    return client.session[oauth_flow.SESSION_KEY]["state"]


@FEWER
@given(
    provider=rarely_nasty("highlevel", "orderspace"),
    flow=st.sampled_from(["none", "forged-state", "real-state"]),
    params=st.fixed_dictionaries(
        {},
        optional={
            "state": NASTY,
            "code": NASTY,
            "error": nasty_or("access_denied"),
            "error_description": NASTY,
        },
    ),
    forged=NASTY,
    method=st.sampled_from(["get", "post"]),
)
def test_the_oauth_callback_refuses_hostile_answers(
    owner_client, workspace, sandboxes, provider, flow, params, forged, method
):
    _forget_flow(owner_client)
    if flow != "none":
        state = _start_oauth(owner_client, workspace, sandboxes)
        params = {**params, "state": state if flow == "real-state" else forged}
    path = quote(as_text(provider), safe="")
    url = f"/oauth/{path}/callback/"
    if method == "get":
        response = get(owner_client, url, params, htmx=False)
    else:  # the provider sends a GET; a POST has its query string read all the same
        response = post(owner_client, f"{url}?{_encode(params)}", params, htmx=False)
    assert response.status_code in (400, 404), body_of(response)[:2000]
    hypothesis.event(f"{flow}: {response.status_code}")
    if response.status_code == 400:
        assert says_why(response, PAGE_ERROR)
    assert not Connection.objects.exists()


@FAST
@given(access=nasty_or("read", "read_write"), htmx=st.booleans())
def test_the_access_step_saves_or_says_why(owner_client, ecwid_connection, access, htmx):
    url = reverse(
        "integrations:connection-access", args=[ecwid_connection.workspace_id, ecwid_connection.pk]
    )
    response = post(owner_client, url, {"access": access}, htmx=htmx)
    accepted = as_text(access) in ("read", "read_write")
    answered(response, changed=accepted)
    assert response.status_code == (302 if accepted and not htmx else 200)


@FEWER
@given(wizard=nasty_or("1"), step=nasty_or("access", "test"), junk=NASTY, htmx=st.booleans())
def test_the_test_and_save_steps_take_anything(
    owner_client, ecwid_connection, wizard, step, junk, htmx
):
    args = [ecwid_connection.workspace_id, ecwid_connection.pk]
    response = post(
        owner_client,
        reverse("integrations:connection-test", args=args),
        {"wizard": wizard},
        htmx=htmx,
    )
    assert response.status_code == (200 if htmx else 302)
    setup = reverse("integrations:connection-setup", args=args)
    response = get(owner_client, setup, {"step": step}, htmx=htmx)
    assert response.status_code == 200
    response = post(
        owner_client, reverse("integrations:connection-finish", args=args), {"x": junk}, htmx=htmx
    )
    assert response.status_code in (200, 302)


@FAST
@given(
    name=nasty_or("Renamed store"),
    store_id=nasty_or("1003"),
    token=nasty_or("", "secret_abc123"),
    client_secret=NASTY,
)
def test_editing_a_connection_saves_or_says_why(
    owner_client, ecwid_connection, name, store_id, token, client_secret
):
    url = reverse(
        "integrations:connection-edit", args=[ecwid_connection.workspace_id, ecwid_connection.pk]
    )
    data = {
        "name": name,
        "setting_store_id": store_id,
        "credential_secret_token": token,
        "credential_client_secret": client_secret,
    }
    response = post(owner_client, url, data, htmx=False)
    answered(response, changed=response.status_code == 302)


# --- regressions found by the properties above ----------------------------------------------------
def test_a_client_id_too_long_for_the_consent_url_is_a_form_error(owner_client, workspace):
    """10,000 "[" as the client ID made a consent URL longer than Django redirects to
    (DisallowedRedirect: a bare 400 page, and the flow left half-started in the session)."""
    data = {"name": "HL", "client_id": "[" * 10_000, "client_secret": "s", "access": "read"}
    url = _new_url(workspace, provider="highlevel", method="oauth")
    response = post(owner_client, url, data, htmx=False)
    assert response.status_code == 200
    assert says_why(response) and "at most 255 characters" in body_of(response)
    assert oauth_flow.SESSION_KEY not in owner_client.session


def test_a_forged_state_with_non_ascii_characters_is_refused(owner_client, workspace, sandboxes):
    """secrets.compare_digest raises TypeError for str with non-ASCII characters: a state
    of "\x80" was a 500 instead of the refusal."""
    _start_oauth(owner_client, workspace, sandboxes)
    url = reverse("integrations:oauth-callback", args=["highlevel"])
    for state in ("\x80", "état", "🙂"):
        _start_oauth(owner_client, workspace, sandboxes)
        response = owner_client.get(url, {"state": state, "code": "x"})
        assert response.status_code == 400
        assert "state parameter is missing or different" in body_of(response)
    assert not Connection.objects.exists()
