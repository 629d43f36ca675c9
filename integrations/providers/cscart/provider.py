from integrations.providers import CredentialField, ProviderInfo

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
)
