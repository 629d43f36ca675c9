"""The client against the corrected facts: all seven required fields on every create (from
the connection's settings, offered from the account's defaults), and a webhook registration
answered bare or wrapped in {"Webhooks": [...]}."""

import uuid

import pytest

from integrations.errors import ConfigError
from integrations.providers.cin7.schemas import ContactInput, CustomerInput
from integrations.providers.cin7.webhooks import registration

SEVEN_SETTINGS = ("currency", "payment_term", "account_receivable", "revenue_account", "tax_rule")


def _without(connection, *keys):
    connection.settings = {k: v for k, v in connection.settings.items() if k not in keys}
    connection.save()
    return connection


def test_create_sends_all_seven_from_the_settings(cin7_connection, make_client, api):
    settings = {
        **cin7_connection.settings,
        "payment_term": "COD",
        "account_receivable": "610",
        "revenue_account": "260",
    }
    cin7_connection.settings = settings
    client = make_client(cin7_connection)
    created = client.create_customer(
        CustomerInput(Name=f"Seven {uuid.uuid4().hex[:8]}", Contacts=[ContactInput(Name="Sev En")])
    )
    assert (created.Status, created.Currency, created.PaymentTerm) == ("Active", "USD", "COD")
    assert (created.AccountReceivable, created.RevenueAccount) == ("610", "260")
    assert created.TaxRule == "Tax Exempt"
    # The payload's own values win over the settings.
    mine = client.create_customer(CustomerInput(Name=f"Own {uuid.uuid4().hex[:8]}", Currency="EUR"))
    assert mine.Currency == "EUR"


def test_a_missing_setting_is_a_config_error_naming_it_before_any_call(
    cin7_connection, make_client, control
):
    _without(cin7_connection, "account_receivable", "tax_rule")
    with pytest.raises(ConfigError) as caught:
        make_client(cin7_connection).create_customer(CustomerInput(Name="No Settings"))
    message = str(caught.value)
    assert "AccountReceivable, TaxRule" in message
    assert "account_receivable, tax_rule" in message and "Cin7 sandbox" in message
    assert control.stats()["requests_total"] == 0


def test_legacy_default_settings_still_count(cin7_connection, make_client):
    _without(cin7_connection, "currency")
    cin7_connection.settings["default_currency"] = "GBP"
    created = make_client(cin7_connection).create_customer(
        CustomerInput(Name=f"Legacy {uuid.uuid4().hex[:8]}")
    )
    assert created.Currency == "GBP"


def test_the_check_offers_the_accounts_defaults_while_settings_are_missing(
    cin7_connection, make_client, described, control
):
    complete = make_client(cin7_connection).check()
    assert not any(key.startswith("suggested_") for key in complete.details)
    assert control.stats()["requests_total"] == 1  # all set: one cheap call
    _without(cin7_connection, *SEVEN_SETTINGS)
    info = make_client(cin7_connection).check()
    suggested = {k.removeprefix("suggested_"): v for k, v in info.details.items() if "sugg" in k}
    assert suggested == described["customer_defaults"]


def test_account_defaults_read_me_and_the_reference_lists(cin7_connection, make_client, control):
    defaults = make_client(cin7_connection).account_defaults()
    assert defaults == {
        "currency": "USD",
        "payment_term": "30 days",
        "tax_rule": "Tax Exempt",
        "account_receivable": "610",
        "revenue_account": "200",
    }
    routes = control.stats()["requests_by_route"]
    assert set(routes) == {"GET /me", "GET /ref/paymentterm", "GET /ref/tax", "GET /ref/account"}


@pytest.mark.parametrize("shape", ["bare", "wrapped"])
def test_a_webhook_registration_is_read_in_either_shape(
    cin7_connection, make_client, control, shape
):
    control.set(webhook_answer=shape)
    cin7_connection.set_credentials(
        {**cin7_connection.get_credentials(), "webhook_secret": "hush-either"}
    )
    client = make_client(cin7_connection)
    hook = client.create_webhook(registration(cin7_connection, "https://example.org/hook"))
    assert hook.ID and hook.Type == "Customer/Updated"
    assert hook.ID in [h.ID for h in client.list_webhooks()]
    client.delete_webhook(hook.ID)
