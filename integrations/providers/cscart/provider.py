from integrations.providers import Capabilities, CredentialField, ProviderInfo

PROVIDER = ProviderInfo(
    key="cscart",
    name="CS-Cart",
    description="Self-hosted store: users (customers) with user groups and profile fields.",
    auth_kind="basic",
    where_to_find=(
        "Customers → Administrators → your admin → API access: the admin's e-mail and the "
        "generated API key, plus your store's address."
    ),
    credential_fields=(
        CredentialField("email", "Administrator e-mail", secret=False),
        CredentialField("api_key", "API key"),
    ),
    setting_fields=(
        CredentialField("store_url", "Store URL", "https://shop.example.com", secret=False),
    ),
    docs_url="https://docs.cs-cart.com/latest/developer_guide/api/",
    sandbox="integrations.providers.cscart.sandbox:CsCartSandbox",
    client="integrations.providers.cscart.client:CsCartClient",
    capabilities=Capabilities(
        webhook_events=(),  # CS-Cart core sends no webhooks for users: poll
        webhook_signature="",
        incremental_filter="",  # no modified-since filter and no updated timestamp: full compare
        deleted_feed=False,
        delete_mode="delete",
        has_tags=False,
        has_notes=False,
        has_groups=True,  # user groups, many per user
        page_style="page",
        max_page_size=500,  # none documented; the client's own cap
        rate_limit=(
            "None documented (self-hosted; the host's firewall may throttle). The client sends "
            "at most 5 requests/second per store by default (settings rate_limit_requests / "
            "rate_limit_interval) and waits out 429 or 509 refusals."
        ),
    ),
)
