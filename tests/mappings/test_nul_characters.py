"""NUL characters are refused with a message before they reach the database (PostgreSQL
stores neither NUL in text nor \\u0000 in JSON: it would answer with a 500)."""

import pytest
from django.core.exceptions import ValidationError

from mappings import services
from mappings.services import mapping_create, mapping_save_spec, sample_create


@pytest.fixture
def mapping(workspace, owner):
    return mapping_create(
        workspace=workspace,
        user=owner,
        name="Ecwid to HighLevel",
        source_provider="ecwid",
        target_provider="highlevel",
    )


def test_a_rule_with_a_nul_is_refused(mapping, owner):
    spec = {
        **mapping.spec,
        "rules": [*mapping.spec["rules"], {**mapping.spec["rules"][0], "target": "\x00"}],
    }
    with pytest.raises(ValidationError, match="NUL"):
        mapping_save_spec(mapping=mapping, user=owner, spec=spec, summary="hostile")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": "ok", "source_record": {"email": "a\x00b"}, "expected_payload": {}},
        {"name": "bad\x00name", "source_record": {}, "expected_payload": {}},
    ],
)
def test_a_mapping_test_with_a_nul_is_refused(mapping, kwargs):
    with pytest.raises(ValidationError, match="NUL"):
        services.test_create(mapping=mapping, **kwargs)  # not named test_*: pytest would collect it


def test_a_sample_with_a_nul_is_refused(mapping):
    with pytest.raises(ValidationError, match="NUL"):
        sample_create(mapping=mapping, name="sample", record={"note": "\x00"})
