"""The Shift4Shop provider's registry entry, field catalogue and "Use sandbox" seam."""

from integrations.providers.base import ObjectType
from integrations.providers.registry import get_provider
from integrations.providers.shift4shop import webhooks
from integrations.providers.shift4shop.adapters import Shift4ShopCustomers
from integrations.providers.shift4shop.client import Shift4ShopClient
from integrations.providers.shift4shop.fields import catalogue
from integrations.providers.shift4shop.schemas import Customer
from sandboxes.shift4shop import connection_values


def test_the_provider_names_its_client_adapter_and_capabilities():
    info = get_provider("shift4shop")
    assert info.client is Shift4ShopClient
    assert info.adapters == {ObjectType.CONTACT: Shift4ShopCustomers}
    assert info.confirm_webhook is webhooks.confirm
    caps = info.capabilities
    assert caps.webhook_events == ("Customer New",)
    assert caps.incremental_filter.startswith("lastupdatestart") and not caps.deleted_feed
    assert caps.delete_mode == "delete" and caps.page_style == "offset"
    assert caps.max_page_size == 500 and caps.has_notes and caps.has_groups and not caps.has_tags
    assert [f.key for f in info.credential_fields] == ["private_key", "token"]
    assert "secure_url" in [f.key for f in info.setting_fields]


def test_the_catalogue_covers_every_field_a_read_returns(described):
    customer = Customer.model_validate({"CustomerID": 1})
    dumped = customer.model_dump(mode="json", by_alias=True, exclude_none=False)
    paths = {spec.path for spec in catalogue()}
    assert set(dumped) <= paths
    by_path = {spec.path: spec for spec in catalogue()}
    assert by_path["CustomerID"].read_only
    assert by_path["Email"].required and not by_path["Password"].required  # generated
    assert by_path["Password"].extra["write_only"]


def test_connection_values_turn_describe_into_credentials_and_settings(described):
    credentials, settings = connection_values(described)
    assert credentials == {"private_key": described["private_key"], "token": described["token"]}
    assert settings["secure_url"] == described["secure_url"]
    assert settings["base_url"] == described["base_url"]


def test_the_undocumented_rate_limit_and_webhook_body_are_labelled_inferred():
    caps = get_provider("shift4shop").capabilities
    assert {"rate_limit", "webhook_events", "max_page_size"} <= set(caps.inferred)
    facts = {fact.label: fact for fact in caps.facts()}
    assert facts["Rate limit"].inferred and facts["Changes arrive by"].inferred
    assert caps.rate_limit.inferred
