"""The Shift4Shop provider's registry entry, field catalogue and "Use sandbox" seam."""

from integrations.providers import get_provider
from integrations.providers.shift4shop.fields import catalogue
from integrations.providers.shift4shop.sandbox import Shift4ShopSandbox, connection_values
from integrations.providers.shift4shop.schemas import Customer


def test_the_provider_names_its_sandbox_client_and_capabilities():
    info = get_provider("shift4shop")
    assert info.sandbox_class() is Shift4ShopSandbox
    assert info.client_class().__name__ == "Shift4ShopClient"
    caps = info.capabilities
    assert caps.webhook_events == ("Customer New",)
    assert caps.incremental_filter == "lastupdatestart" and not caps.deleted_feed
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
    assert by_path["Email"].required and by_path["Password"].required
    assert by_path["Password"].extra["write_only"]


def test_connection_values_turn_describe_into_credentials_and_settings(described):
    credentials, settings = connection_values(described)
    assert credentials == {"private_key": described["private_key"], "token": described["token"]}
    assert settings["secure_url"] == described["secure_url"]
    assert settings["base_url"] == described["base_url"]
