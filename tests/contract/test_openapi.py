"""The contract helper itself: finding the specs, $refs across files, nullable, and that a
missing specs folder skips on a laptop but fails in CI."""

import pytest

from tests.contract import openapi
from tests.contract.openapi import (
    ContractError,
    specs_dir_or_skip,
    validate_request,
    validate_response,
)


def test_it_validates_against_refs_in_the_common_schemas():
    specs_dir_or_skip()
    validate_response(
        "contacts",
        "GET",
        "/contacts/{contactId}",
        401,
        {"statusCode": 401, "message": "Invalid JWT"},
    )
    with pytest.raises(ContractError, match="message"):
        validate_response(
            "contacts", "POST", "/contacts/", 422, {"statusCode": 422, "message": "not a list"}
        )


def test_nullable_fields_accept_null_and_required_fields_are_enforced():
    specs_dir_or_skip()
    validate_request(
        "contacts", "POST", "/contacts/", {"locationId": "abc", "email": None, "phone": None}
    )
    with pytest.raises(ContractError, match="locationId"):
        validate_request("contacts", "POST", "/contacts/", {"email": "a@example.org"})
    with pytest.raises(ContractError, match="is not of type 'string'"):
        validate_request(
            "contacts", "POST", "/contacts/", {"locationId": "abc", "postalCode": None}
        )


def test_undocumented_statuses_and_operations_fail():
    specs_dir_or_skip()
    with pytest.raises(ContractError, match="not documented"):
        validate_response("contacts", "GET", "/contacts/{contactId}", 404, {})
    with pytest.raises(ContractError, match="not an operation"):
        validate_response("contacts-v3", "GET", "/contacts/", 200, {})
    with pytest.raises(ContractError, match="no spec"):
        validate_response("nope", "GET", "/contacts/", 200, {})
    with pytest.raises(ContractError, match="takes no body"):
        validate_request("contacts", "GET", "/contacts/{contactId}", {"x": 1})


def test_a_documented_status_without_a_schema_passes():
    specs_dir_or_skip()
    validate_response("contacts", "POST", "/contacts/search", 200, {"contacts": [], "total": 0})


def test_a_missing_specs_folder_skips_locally(monkeypatch, tmp_path):
    monkeypatch.setenv("SPECS_DIR", str(tmp_path / "missing"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        openapi.specs_dir_or_skip()


def test_a_missing_specs_folder_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("SPECS_DIR", str(tmp_path / "missing"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        openapi.specs_dir_or_skip()


def test_specs_dir_can_be_overridden(monkeypatch, tmp_path):
    monkeypatch.setenv("SPECS_DIR", str(tmp_path))
    assert openapi.specs_dir() == tmp_path
