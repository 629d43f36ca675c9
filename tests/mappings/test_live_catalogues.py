"""Mappings against the real sandboxes: custom fields from HighLevel, samples from a store,
and the drift guard when a HighLevel custom field is deleted."""

import pytest
from django.core.exceptions import ValidationError

from integrations.models import Connection
from mappings import services
from mappings.catalogues import field_catalogue
from mappings.checks import mapping_ready_for_live
from mappings.preview import mapping_preview
from sandboxes.ecwid import EcwidSandbox
from sandboxes.ecwid import connection_values as ecwid_values
from sandboxes.highlevel import HighLevelSandbox
from sandboxes.highlevel import connection_values as highlevel_values
from sandboxes.kit.server import SandboxOptions, start_in_thread, stop
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def sandboxes():
    highlevel = HighLevelSandbox(SandboxOptions(seed=3), rsa_key_bits=2048)
    ecwid = EcwidSandbox(SandboxOptions(seed=3))
    httpd, server, _ = start_in_thread([highlevel, ecwid])
    yield highlevel, ecwid
    stop(httpd, server)


def _connection(workspace, provider, values):
    credentials, settings = values
    return ConnectionFactory(
        workspace=workspace,
        provider=provider,
        settings=settings,
        credentials=credentials,
        status=Connection.Status.CONNECTED,
    )


@pytest.fixture
def mapping(workspace, owner, sandboxes):
    highlevel, ecwid = sandboxes
    return services.mapping_create(
        workspace=workspace,
        user=owner,
        name="Store to CRM",
        source_provider="ecwid",
        target_provider="highlevel",
        start="blank",
        source_connection=_connection(workspace, "ecwid", ecwid_values(ecwid.describe())),
        target_connection=_connection(
            workspace, "highlevel", highlevel_values(highlevel.describe())
        ),
    )


def _order_count(catalogue):
    return next(f for f in catalogue.fields if f.custom and f.label == "Order count")


def test_the_target_catalogue_lists_the_locations_custom_fields_with_types(mapping):
    catalogue = field_catalogue("highlevel", mapping.target_connection, fresh=True)
    assert catalogue.complete
    order_count = _order_count(catalogue)
    assert order_count.path.startswith("customFields.") and order_count.type == "number"
    assert any(d["id"] == order_count.extra["id"] for d in catalogue.custom_fields)


def test_samples_are_fetched_from_the_source_connection(mapping):
    samples = services.samples_fetch(mapping=mapping, count=2)
    assert len(samples) == 2
    assert all("@" in sample.record["email"] for sample in samples)
    assert samples[0].name.startswith("From ")
    # Fetching again brings the records not saved yet, then says there are no more.
    again = services.samples_fetch(mapping=mapping, count=2)
    assert len(again) == 1  # the sandbox holds three customers
    assert {s.pk for s in again}.isdisjoint(s.pk for s in samples)
    with pytest.raises(ValidationError, match="saved as samples already"):
        services.samples_fetch(mapping=mapping)
    assert mapping.samples.count() == 3


def test_deleting_a_highlevel_custom_field_is_flagged_as_drift(mapping, owner, sandboxes):
    highlevel, _ = sandboxes
    field = _order_count(field_catalogue("highlevel", mapping.target_connection, fresh=True))
    rule = {
        "target": field.path,
        "source": {"kind": "field", "value": "stats.numberOfOrders"},
        "transforms": [],
        "condition": None,
        "write_mode": "overwrite",
        "required": False,
        "default": None,
    }
    mapping = services.rule_save(mapping=mapping, user=owner, rule=rule)
    assert mapping.problems == []
    preview = mapping_preview(mapping=mapping, record={"stats": {"numberOfOrders": 4}})
    assert preview.payload["customFields"] == [{"id": field.extra["id"], "field_value": 4}]

    # Somebody deletes the custom field in HighLevel.
    location = mapping.target_connection.settings["location_id"]
    definitions = highlevel.data.custom_fields[location]
    removed = next(d for d in definitions if d["id"] == field.extra["id"])
    definitions.remove(removed)
    try:
        reasons = mapping_ready_for_live(mapping=mapping)
        mapping.refresh_from_db()
        assert [p["kind"] for p in mapping.problems] == ["drift"]
        assert field.extra["id"] in mapping.problems[0]["field"] + mapping.problems[0]["reason"]
        assert reasons and "drift" in reasons[0]
        assert mapping_preview(mapping=mapping, record={}).error
    finally:
        definitions.append(removed)
