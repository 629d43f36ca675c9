"""Parsers take anything a platform might send and either give a value or raise the
engine's own TransformError (which becomes a Problem); never another exception."""

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.engine import TransformError, compile_mapping
from mappings.engine.templates import TemplateError, parse_template
from mappings.engine.transforms import BuildContext, build_transform

CONTEXT = BuildContext(default_region="US", timezone="UTC")
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.text(alphabet="0123456789+-()., /:TZ"),
)
anything = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
)

PARSERS = [
    ("email", {}),
    ("phone", {}),
    ("phone", {"region": "GB"}),
    ("to_number", {}),
    ("to_number", {"decimal_separator": ",", "integer": True}),
    ("to_boolean", {}),
    ("to_string", {}),
    ("date", {}),
    ("date", {"output": "datetime", "to_timezone": "Pacific/Kiritimati"}),
    ("date", {"output": "unix", "input_formats": ["%d/%m/%Y", "unix", "iso"]}),
    ("split_name", {"part": "last"}),
    ("to_tags", {}),
    ("string_to_list", {}),
    ("list_to_string", {}),
    ("trim", {}),
    ("title", {}),
    ("regex_replace", {"pattern": r"(\d+)", "replacement": r"<\1>"}),
    ("value_map", {"table": {"a": 1}, "fallback": "pass"}),
    ("template", {"template": "{value} {x}"}),
]


def _only_engine_errors(name, args, value):
    fn = build_transform(name, args, CONTEXT)
    with contextlib.suppress(TransformError):
        fn(value, {"x": value})


@settings(max_examples=150, deadline=None)
@given(anything)
def test_parsers_raise_only_transform_errors(value):
    for name, args in PARSERS:
        _only_engine_errors(name, args, value)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_text_input_to_parsers(value):
    for name, args in PARSERS:
        _only_engine_errors(name, args, value)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_templates_parse_or_raise_template_error(text):
    with contextlib.suppress(TemplateError):
        parse_template(text)


SPEC = {
    "source": "ecwid",
    "target": "highlevel",
    "object": "contact",
    "rules": [
        {
            "id": "e",
            "target": "email",
            "source": {"kind": "field", "value": "email"},
            "transforms": [{"name": "email"}],
            "required": True,
        },
        {
            "id": "p",
            "target": "phone",
            "source": {"kind": "field", "value": "a.phone"},
            "transforms": [{"name": "phone"}],
        },
        {"id": "n", "target": "name", "source": {"kind": "template", "value": "{f} {l}"}},
        {
            "id": "t",
            "target": "tags",
            "source": {"kind": "field", "value": "g"},
            "transforms": [{"name": "to_tags"}],
            "write_mode": "append",
            "condition": {"field": "limit", "op": "greater_than", "value": 5},
        },
        {
            "id": "d",
            "target": "dateOfBirth",
            "source": {"kind": "field", "value": "dob"},
            "transforms": [{"name": "date"}],
            "write_mode": "if_empty",
        },
    ],
}
MAPPING = compile_mapping(SPEC)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["email", "a", "f", "l", "g", "limit", "dob"]), anything),
    st.one_of(
        st.none(), st.dictionaries(st.sampled_from(["email", "tags", "dateOfBirth"]), anything)
    ),
)
def test_apply_never_raises_and_never_writes_an_unchecked_value(record, current):
    result = MAPPING.apply(record, current=current)
    assert not any(p.code == "internal_error" for p in result.problems), result.problems
    if "email" in result.payload:
        assert "@" in result.payload["email"]
    if "phone" in result.payload:
        assert result.payload["phone"].startswith("+")
    failed = {p.field for p in result.problems}
    assert not failed & set(result.payload)
