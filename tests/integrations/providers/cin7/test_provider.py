"""The registry entry, the field catalogue and the "Use sandbox" seam."""

from functools import reduce

from integrations.providers import get_provider
from integrations.providers.cin7 import fields
from integrations.providers.cin7.sandbox import Cin7Sandbox, connection_values


def test_capabilities_say_what_cin7_can_and_cannot_do():
    info = get_provider("cin7")
    caps = info.capabilities
    assert caps.delete_mode == "deactivate" and caps.deleted_feed is False
    assert caps.incremental_filter == "ModifiedSince"
    assert caps.webhook_events == ("Customer/Updated",)
    assert caps.page_style == "page" and caps.max_page_size == 1000
    assert "60" in caps.rate_limit and "503" in caps.rate_limit
    assert info.sandbox_class() is Cin7Sandbox
    assert info.client_class().__name__ == "Cin7Client"
    keys = [f.key for f in info.credential_fields]
    assert keys[:2] == ["account_id", "application_key"]


def test_connection_values_turn_describe_into_credentials_and_settings(described):
    credentials, settings = connection_values(described)
    assert credentials == {
        "account_id": described["account_id"],
        "application_key": described["application_key"],
    }
    assert settings == {"base_url": described["api_url"]}


def _resolve(record, path):
    def step(value, key):
        return value[int(key)] if isinstance(value, list) else value[key]

    return reduce(step, path.split("."), record)


def test_every_catalogue_path_resolves_in_a_customer_the_client_returns(
    cin7_connection, make_client
):
    # Lists may be empty (a customer made in the UI has no contacts): take a full one.
    customer = next(
        c for c in make_client(cin7_connection).iter_customers() if c.Contacts and c.Addresses
    )
    record = customer.model_dump(mode="json", by_alias=True, exclude_none=False)
    catalogue = fields.catalogue(cin7_connection)
    for spec in catalogue:
        _resolve(record, spec.path)  # raises if the path is wrong
    paths = [spec.path for spec in catalogue]
    assert len(paths) == len(set(paths))
    assert {"Name", "Contacts.0.Email", "Tags", "AdditionalAttribute10"} <= set(paths)
    required = {spec.path for spec in catalogue if spec.required}
    assert required == {"Name", "Currency", "PaymentTerm", "TaxRule", "PriceTier"}
    assert all(spec.custom for spec in catalogue if spec.path.startswith("AdditionalAttribute"))
