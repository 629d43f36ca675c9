from integrations.providers import Capabilities, CredentialField, ProviderInfo

PROVIDER = ProviderInfo(
    key="shift4shop",
    name="Shift4Shop",
    description="Hosted store (formerly 3dcart): customers with billing and shipping details.",
    auth_kind="api_key",
    where_to_find=(
        "Your app's Private Key (Shift4Shop developer portal) and the Token the store issued "
        "when it authorized your app (Settings → General → Modules → REST API), plus the "
        "store's Secure URL (e.g. https://yourstore.3dcartstores.com)."
    ),
    credential_fields=(
        CredentialField("private_key", "Private Key", "Your app's private key."),
        CredentialField("token", "Token", "The store's token for your app."),
    ),
    setting_fields=(
        CredentialField(
            "secure_url",
            "Secure URL",
            "The store's secure URL, e.g. https://yourstore.3dcartstores.com",
            secret=False,
        ),
        CredentialField(
            "store_timezone",
            "Store time zone",
            "The clock the store reports change times in (default America/New_York).",
            secret=False,
            required=False,
        ),
        CredentialField(
            "requests_per_second",
            "Requests per second",
            "Shift4Shop publishes no rate limit; ContactBridge sends at most 2/s by default.",
            secret=False,
            required=False,
        ),
    ),
    docs_url="https://apirest.3dcart.com/",
    sandbox="integrations.providers.shift4shop.sandbox:Shift4ShopSandbox",
    client="integrations.providers.shift4shop.client:Shift4ShopClient",
    capabilities=Capabilities(
        webhook_events=("Customer New",),
        webhook_signature=(
            "none: Shift4Shop does not sign webhooks, so each one is confirmed by reading "
            "the customer back through the API"
        ),
        incremental_filter="lastupdatestart",
        deleted_feed=False,
        delete_mode="delete",
        has_tags=False,
        has_notes=True,  # Comments: one free-text note per customer
        has_groups=True,  # one CustomerGroupID per customer
        page_style="offset",
        max_page_size=500,
        rate_limit="none published; 2 requests/second per store by default, backs off on 429",
    ),
)
