from integrations.providers import Capabilities, CredentialField, ProviderInfo

PROVIDER = ProviderInfo(
    key="cin7",
    name="Cin7 Core",
    description="Inventory and orders (formerly DEAR): customers with contacts and addresses.",
    auth_kind="api_key",
    where_to_find="Integrations → API → Cin7 Core API: Account ID and Application Key.",
    credential_fields=(
        CredentialField("account_id", "Account ID", secret=False),
        CredentialField("application_key", "Application key"),
        CredentialField(
            "webhook_secret",
            "Webhook secret",
            "A long random value Cin7 sends with each webhook (as a Bearer token by default).",
            required=False,
        ),
    ),
    setting_fields=(
        CredentialField(
            "default_currency",
            "Currency for new customers",
            "e.g. USD",
            secret=False,
            required=False,
        ),
        CredentialField(
            "default_payment_term", "Payment term for new customers", secret=False, required=False
        ),
        CredentialField(
            "default_tax_rule", "Tax rule for new customers", secret=False, required=False
        ),
        CredentialField(
            "default_price_tier", "Price tier for new customers", secret=False, required=False
        ),
        CredentialField(
            "webhook_auth",
            "Webhook authentication",
            "bearer (default), basic or header: how Cin7 authenticates its webhooks to us.",
            secret=False,
            required=False,
        ),
        CredentialField(
            "webhook_username",
            "Webhook user name (basic)",
            "Default: contactbridge.",
            secret=False,
            required=False,
        ),
        CredentialField(
            "webhook_header",
            "Webhook header name (header)",
            "Default: X-ContactBridge-Token.",
            secret=False,
            required=False,
        ),
    ),
    docs_url="https://dearinventory.docs.apiary.io/",
    sandbox="integrations.providers.cin7.sandbox:Cin7Sandbox",
    client="integrations.providers.cin7.client:Cin7Client",
    capabilities=Capabilities(
        webhook_events=("Customer/Updated",),
        webhook_signature=(
            "unsigned: Basic, Bearer or a custom header configured on the webhook registration"
        ),
        incremental_filter="ModifiedSince",
        deleted_feed=False,
        delete_mode="deactivate",
        has_tags=True,
        has_notes=True,
        has_groups=True,
        page_style="page",
        max_page_size=1000,
        rate_limit="60 calls/minute per account, refused with 503 (sometimes 429)",
    ),
)
