"""Registry entry, field catalogue and the "Use sandbox" seam."""

from integrations.providers.base import ObjectType
from integrations.providers.orderspace.adapters import OrderspaceCustomerAdapter
from integrations.providers.orderspace.client import OrderspaceClient
from integrations.providers.orderspace.fields import catalogue
from integrations.providers.orderspace.schemas import Customer
from integrations.providers.registry import get_provider, sandbox_for
from sandboxes.orderspace import OrderspaceSandbox, connection_values
from tests.integrations.providers.orderspace.conftest import new_fields


def resolve(record, path: str):
    for part in path.split("."):
        record = record[int(part)] if isinstance(record, list) else record[part]
    return record


def test_the_provider_names_its_sandbox_client_and_capabilities():
    info = get_provider("orderspace")

    assert sandbox_for("orderspace").app_class is OrderspaceSandbox
    assert info.client is OrderspaceClient
    assert info.adapters == {ObjectType.CONTACT: OrderspaceCustomerAdapter}
    assert info.capabilities.page_style == "cursor"
    assert info.capabilities.max_page_size == 200
    assert info.capabilities.incremental_filter == ""
    assert "customer.deleted" in info.capabilities.webhook_events
    assert [f.key for f in info.credential_fields] == [
        "client_id",
        "client_secret",
        "webhook_signing_key",
    ]


def test_every_catalogue_path_resolves_in_a_real_record(client, control):
    control.act(
        "admin_create_customer", new_fields(addresses=[{"line1": "1 A St", "country": "GB"}])
    )
    customer = next(client.iter_customers(page_size=1))
    record = customer.model_dump(mode="json", by_alias=True, exclude_none=False)
    record["created_at"] = record.get("created_at")

    for spec in catalogue():
        resolve(record, spec.path)  # raises if the path does not exist
    paths = {spec.path for spec in catalogue()}
    assert set(Customer.model_fields) <= {p.split(".")[0] for p in paths}
    required = [spec.path for spec in catalogue() if spec.required]
    assert required == ["company_name"]


def test_use_sandbox_values_make_a_working_connection(orderspace, make_connection):
    credentials, settings = connection_values(orderspace.describe())

    connection = make_connection()

    assert set(credentials) == {"client_id", "client_secret", "webhook_signing_key"}
    assert settings["base_url"].endswith("/orderspace/v1")
    info = OrderspaceClient(connection).check()
    assert info.name == "Sandbox Wholesale Ltd"
