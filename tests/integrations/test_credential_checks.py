"""The connection form refuses values that cannot be right before any request is made, and
says in the provider's own words what the right one looks like."""

import pytest
from django.urls import reverse

from integrations import credential_checks as checks
from integrations.forms import ConnectionForm
from integrations.models import Connection
from integrations.providers.registry import get_provider

CIN7_GUID = "0b6e4f1a-8c2d-4e3f-9a5b-7c1d2e3f4a5b"


def form_for(provider: str, **data) -> ConnectionForm:
    return ConnectionForm({"name": "Test", **data}, provider=get_provider(provider))


def errors_of(provider: str, **data) -> dict:
    form = form_for(provider, **data)
    form.is_valid()
    return {name: " ".join(messages) for name, messages in form.errors.items()}


def test_an_ecwid_store_id_is_a_number():
    errors = errors_of("ecwid", setting_store_id="my-store", credential_secret_token="secret_1")
    assert errors == {
        "setting_store_id": "Store ID is a number, e.g. 1003 — find it in Ecwid's Control Panel "
        "→ Settings → General."
    }
    assert errors_of("ecwid", setting_store_id="1003", credential_secret_token="secret_1") == {}


def test_an_ecwid_public_token_is_refused_because_it_cannot_read_customers():
    errors = errors_of("ecwid", setting_store_id="1003", credential_secret_token="public_abc")
    assert "a public token cannot read customers" in errors["credential_secret_token"]
    errors = errors_of("ecwid", setting_store_id="1003", credential_secret_token="abc123")
    assert "starts with secret_" in errors["credential_secret_token"]


def test_an_ecwid_token_pasted_as_the_client_secret_is_refused():
    errors = errors_of(
        "ecwid",
        setting_store_id="1003",
        credential_secret_token="secret_1",
        credential_client_secret="secret_1",
    )
    assert list(errors) == ["credential_client_secret"]
    assert "not the app's client secret" in errors["credential_client_secret"]


def test_a_highlevel_private_integration_token_starts_with_pit():
    errors = errors_of(
        "highlevel",
        setting_location_id="ve9EPM428h8vShlRW1KT",
        credential_private_integration_token="abc",
    )
    assert list(errors) == ["credential_private_integration_token"]
    assert "start with pit-" in errors["credential_private_integration_token"]
    jwt = errors_of(
        "highlevel", setting_location_id="loc1", credential_private_integration_token="eyJhbGci.x.y"
    )
    assert "OAuth access token" in jwt["credential_private_integration_token"]
    assert (
        errors_of(
            "highlevel", setting_location_id="loc1", credential_private_integration_token="pit-1"
        )
        == {}
    )
    wrong = errors_of(
        "highlevel", setting_location_id="loc/1", credential_private_integration_token="pit-1"
    )
    assert "letters and digits only" in wrong["setting_location_id"]


def test_cin7_keys_are_guids_and_the_currency_a_code():
    errors = errors_of(
        "cin7",
        credential_account_id="my account",
        credential_application_key="key",
        setting_currency="US Dollar",
    )
    assert "Account ID as a GUID" in errors["credential_account_id"]
    assert "Application Key as a GUID" in errors["credential_application_key"]
    assert "three-letter currency code" in errors["setting_currency"]
    ok = errors_of(
        "cin7",
        credential_account_id=CIN7_GUID.upper(),
        credential_application_key=CIN7_GUID,
        setting_currency="NZD",
        setting_payment_term="30 days",
    )
    assert ok == {}


def test_cin7_webhook_authentication_is_a_choice_of_the_three_cin7_offers():
    form = ConnectionForm(provider=get_provider("cin7"))
    field = form.fields["setting_webhook_auth"]
    assert [value for value, _ in field.choices] == ["bearer", "basic", "header"]
    assert field.initial == "bearer"
    rows = {row["field"].name: row for row in form.layout()}
    assert "setting_webhook_username" not in rows and "setting_webhook_header" not in rows
    follow_ups = {
        option["radio"].data["value"]: [f.name for f in option["follow_ups"]]
        for option in rows["setting_webhook_auth"]["options"]
    }
    assert follow_ups == {
        "bearer": [],
        "basic": ["setting_webhook_username"],
        "header": ["setting_webhook_header"],
    }
    html = str(form["setting_webhook_auth"])
    assert 'type="radio"' in html and 'value="bearer"' in html and "checked" in html


def test_cin7_webhook_follow_ups_are_checked_for_their_answer_only():
    keys = {"credential_account_id": CIN7_GUID, "credential_application_key": CIN7_GUID}
    header = errors_of(
        "cin7", **keys, setting_webhook_auth="header", setting_webhook_header="My Header"
    )
    assert "one word of letters, digits and dashes" in header["setting_webhook_header"]
    basic = errors_of("cin7", **keys, setting_webhook_auth="basic", setting_webhook_username="a:b")
    assert "cannot contain a colon" in basic["setting_webhook_username"]
    # Typed under another answer, then Bearer chosen: left out, not an error.
    form = form_for("cin7", **keys, setting_webhook_auth="bearer", setting_webhook_username="a:b")
    assert form.is_valid(), form.errors
    assert "webhook_username" not in form.settings_data()
    assert form.settings_data()["webhook_auth"] == "bearer"
    unknown = errors_of("cin7", **keys, setting_webhook_auth="token")
    assert "Select a valid choice" in unknown["setting_webhook_auth"]


def test_shift4shop_time_zone_and_rate_are_checked():
    base = {
        "setting_secure_url": "https://shop.3dcartstores.com",
        "credential_private_key": "k1",
        "credential_token": "t1",
    }
    errors = errors_of(
        "shift4shop", **base, setting_store_timezone="EST5", setting_requests_per_second="fast"
    )
    assert "America/New_York" in errors["setting_store_timezone"]
    assert "requests per second" in errors["setting_requests_per_second"]
    assert (
        "between 0.1 and 50"
        in errors_of("shift4shop", **base, setting_requests_per_second="0")[
            "setting_requests_per_second"
        ]
    )
    good = errors_of(
        "shift4shop",
        **base,
        setting_store_timezone="America/Chicago",
        setting_requests_per_second="0.5",
    )
    assert good == {}


def test_an_orderspace_site_name_may_have_spaces():
    errors = errors_of(
        "orderspace",
        credential_client_id="abc",
        credential_client_secret="def",
        setting_site_name="Acme Wholesale",
    )
    assert errors == {}


def test_checks_run_before_any_request_and_nothing_is_kept(editor_client, workspace, settings):
    settings.SANDBOX_URL = "http://127.0.0.1:9"  # nothing listens: a request would fail loudly
    response = editor_client.post(
        reverse("integrations:connection-new", args=[workspace.pk]) + "?provider=ecwid",
        {"name": "Shop", "setting_store_id": "shop", "credential_secret_token": "public_x"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Store ID is a number" in body and "a public token cannot read customers" in body
    assert "public_x" not in body
    assert not Connection.objects.exists()


def test_every_check_names_a_known_field():
    for provider_key, key in checks.CHECKS:
        provider = get_provider(provider_key)
        keys = {spec.key for spec in (*provider.setting_fields, *provider.credential_fields)}
        assert key in keys, (provider_key, key)


@pytest.mark.parametrize("provider", ["ecwid", "cin7", "cscart", "shift4shop", "orderspace"])
def test_the_sandboxes_own_values_pass(provider):
    """What "Use sandbox" fills in must never be refused (seeded like the sandboxes)."""
    import importlib

    from sandboxes.kit.server import SandboxOptions

    module = importlib.import_module(f"sandboxes.{provider}")
    app_class = next(getattr(module, name) for name in module.__all__ if name.endswith("Sandbox"))
    app = app_class(SandboxOptions(seed=5))
    app.bind(f"http://127.0.0.1:1/{provider}")
    credentials, settings = module.connection_values(app.describe())
    data = {f"credential_{k}": v for k, v in credentials.items() if v}
    data.update({f"setting_{k}": v for k, v in settings.items() if v})
    assert errors_of(provider, **data) == {}
