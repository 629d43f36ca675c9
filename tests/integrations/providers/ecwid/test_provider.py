"""The Ecwid provider entry, its field catalogue and the "Use sandbox" seam."""

from integrations.providers.base import ObjectType
from integrations.providers.ecwid.adapters import EcwidCustomerAdapter
from integrations.providers.ecwid.client import EcwidClient
from integrations.providers.ecwid.fields import catalogue
from integrations.providers.ecwid.schemas import Customer, CustomerInput
from integrations.providers.registry import get_provider, sandbox_for
from sandboxes.ecwid import EcwidSandbox


def _resolve(record: dict, path: str):
    value = record
    for part in path.split("."):
        assert isinstance(value, dict) and part in value, path
        value = value[part]
    return value


def test_the_provider_names_its_sandbox_client_and_capabilities():
    info = get_provider("ecwid")
    assert sandbox_for("ecwid").app_class is EcwidSandbox and info.client is EcwidClient
    assert info.adapters == {ObjectType.CONTACT: EcwidCustomerAdapter}
    assert [f.key for f in info.credential_fields] == ["secret_token", "client_secret"]
    assert [f.key for f in info.setting_fields] == ["store_id"]
    caps = info.capabilities
    assert caps.deleted_feed and caps.has_groups and caps.has_notes and not caps.has_tags
    assert caps.page_style == "offset" and caps.max_page_size == 100
    assert caps.incremental_filter.startswith("updatedFrom")
    assert "customer.updated" in caps.webhook_events


def test_every_catalogue_path_is_in_a_dumped_customer(ecwid_client):
    customer = next(ecwid_client.iter_customers())
    record = customer.model_dump(mode="json", by_alias=True, exclude_none=False)
    specs = catalogue()
    for spec in specs:
        _resolve(record, spec.path)
    assert [s.path for s in specs if s.required] == ["email"]
    writable = set(CustomerInput.model_fields) | {"billingPerson"}
    for spec in specs:
        if not spec.read_only:
            assert spec.path.split(".")[0] in writable, spec.path


def test_unknown_fields_ecwid_adds_are_kept():
    customer = Customer.model_validate({"id": 1, "newThing": {"x": 1}})
    assert customer.model_dump(by_alias=True)["newThing"] == {"x": 1}
