"""The registry entry, the field catalogue and the "Use sandbox" seam."""

from functools import reduce

from integrations.providers.base import ObjectType
from integrations.providers.cin7 import fields
from integrations.providers.cin7.adapters import CustomerAdapter
from integrations.providers.registry import get_provider
from sandboxes.cin7 import Cin7Sandbox, connection_values


def test_capabilities_say_what_cin7_can_and_cannot_do():
    info = get_provider("cin7")
    caps = info.capabilities
    assert caps.delete_mode == "deactivate" and caps.deleted_feed is False
    assert caps.incremental_filter == "ModifiedSince"
    assert caps.webhook_events == ("Customer/Updated",)
    assert caps.page_style == "page" and caps.max_page_size == 1000
    assert caps.rate_limit.requests == 60 and caps.rate_limit.refusal == 503
    assert caps.upsert is False
    assert info.client.__name__ == "Cin7Client"
    assert info.adapters[ObjectType.CONTACT] is CustomerAdapter
    keys = [f.key for f in info.credential_fields]
    assert keys[:2] == ["account_id", "application_key"]


def test_what_no_public_source_confirms_is_labelled_inferred():
    caps = get_provider("cin7").capabilities
    assert {"rate_limit", "webhook_events"} <= set(caps.inferred)
    labelled = {fact.label for fact in caps.facts() if fact.inferred}
    assert labelled == {"Rate limit", "Changes arrive by"}


def test_the_wizard_asks_for_the_new_customer_settings():
    keys = [f.key for f in get_provider("cin7").setting_fields]
    seven = ["currency", "payment_term", "account_receivable", "revenue_account", "tax_rule"]
    assert keys[:5] == seven
    assert all(f.help_text and not f.secret for f in get_provider("cin7").setting_fields)


def test_connection_values_turn_describe_into_credentials_and_settings(described):
    credentials, settings = connection_values(described)
    assert credentials == {
        "account_id": described["account_id"],
        "application_key": described["application_key"],
    }
    assert settings == {
        "base_url": described["api_url"],
        "currency": "USD",
        "payment_term": "30 days",
        "account_receivable": "610",
        "revenue_account": "200",
        "tax_rule": "Tax Exempt",
    }
    assert Cin7Sandbox is not None


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
    assert required == {
        "Name",
        "Status",
        "Currency",
        "PaymentTerm",
        "AccountReceivable",
        "RevenueAccount",
        "TaxRule",
    }
    assert all(spec.custom for spec in catalogue if spec.path.startswith("AdditionalAttribute"))
