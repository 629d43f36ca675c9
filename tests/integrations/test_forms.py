"""integrations.forms: the explorer's JSON body box refuses hostile JSON with a message."""

import json

import pytest

from integrations.forms import ExplorerForm
from integrations.providers.operations import Operation
from tests.factories import ConnectionFactory

CREATE = Operation(
    key="create-customer",
    group="Customers",
    label="Create a customer",
    method="POST",
    path="/customers",
    scope="write",
    body={"email": "ann@example.org"},
)


@pytest.fixture
def connection(db):
    return ConnectionFactory()


def _form(connection, body):
    return ExplorerForm({"body": body}, operation=CREATE, connection=connection)


def test_a_json_body_is_parsed_and_a_typo_explained_as_before(connection):
    form = _form(connection, json.dumps({"email": "a@b.co", "tags": ["x"]}))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["body"] == {"email": "a@b.co", "tags": ["x"]}
    typo = _form(connection, "{not json")
    assert not typo.is_valid()
    assert "This is not valid JSON: Expecting property name" in typo.errors["body"][0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[" * 50_000, "JSON nested deeper than 64 levels"),
        ('{"a":' * 10_000, "JSON nested deeper than 64 levels"),
        ('{"n": ' + "9" * 5000 + "}", "number too large"),
        ('{"n": NaN}', "NaN/Infinity are not allowed"),
        ('{"n": 1e999}', "number too large"),
        ('{"a": "\\ud800"}', "not UTF-8"),
        (json.dumps({"notes": "x" * 70_000}), "JSON larger than 64 KB"),
    ],
)
def test_a_hostile_body_is_a_form_error_that_says_what_to_fix(connection, body, message):
    form = _form(connection, body)
    assert not form.is_valid()
    assert message in " ".join(form.errors["body"])
