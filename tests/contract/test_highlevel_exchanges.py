"""The recorder that checks a HighLevel client's traffic against the specs: it must catch
what does not match, or the client tests' contract checks would pass vacuously."""

import pytest

from tests.contract.highlevel_exchanges import Exchange, Recorder, template_for
from tests.contract.openapi import ContractError, specs_dir_or_skip


def _exchange(**overrides) -> Exchange:
    fields = {
        "method": "POST",
        "path": "/contacts/",
        "version": "2021-07-28",
        "body": {"locationId": "loc", "email": "a@example.org"},
        "status": 201,
        "answer": {"contact": {"id": "abc", "locationId": "loc"}},
        **overrides,
    }
    return Exchange(**fields)


def _validate(*exchanges: Exchange) -> Recorder:
    recorder = Recorder()
    recorder.exchanges.extend(exchanges)
    recorder.validate()
    return recorder


def test_paths_match_the_most_specific_template():
    specs_dir_or_skip()
    assert template_for("contacts", "POST", "/contacts/search") == "/contacts/search"
    assert template_for("contacts", "GET", "/contacts/search/duplicate") == (
        "/contacts/search/duplicate"
    )
    assert template_for("contacts", "GET", "/contacts/abc123") == "/contacts/{contactId}"
    assert (
        template_for("contacts", "GET", "/contacts/a/notes/b") == "/contacts/{contactId}/notes/{id}"
    )
    assert template_for("contacts", "GET", "/contacts/") == "/contacts/"
    assert template_for("contacts-v3", "GET", "/contacts/") is None  # v3 has no list


def test_a_matching_exchange_passes():
    specs_dir_or_skip()
    assert _validate(_exchange()).checked == 1


def test_a_request_body_the_spec_refuses_fails():
    specs_dir_or_skip()
    with pytest.raises(ContractError, match="locationId"):
        _validate(_exchange(body={"email": "a@example.org"}))


def test_an_answer_the_spec_refuses_fails():
    specs_dir_or_skip()
    with pytest.raises(ContractError, match="is not of type"):
        _validate(_exchange(answer={"contact": {"id": 5}}))


def test_an_operation_of_the_wrong_version_fails():
    specs_dir_or_skip()
    with pytest.raises(ContractError, match="not an operation of contacts-v3"):
        _validate(_exchange(method="GET", path="/contacts/", version="v3", body=None))


def test_live_only_statuses_are_recorded_but_not_checked():
    specs_dir_or_skip()
    recorder = _validate(
        _exchange(status=429, answer={"statusCode": 429}),
        _exchange(status=503, answer="Service Unavailable"),
    )
    assert recorder.checked == 0
    with pytest.raises(ContractError, match="not documented"):
        _validate(_exchange(status=418, answer={}))


def test_the_custom_fields_endpoint_lives_in_another_spec():
    specs_dir_or_skip()
    recorder = _validate(
        _exchange(method="GET", path="/locations/loc/customFields", body=None, status=200)
    )
    assert recorder.checked == 0
