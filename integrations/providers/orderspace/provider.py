from integrations.providers import CredentialField, ProviderInfo

PROVIDER = ProviderInfo(
    key="orderspace",
    name="Orderspace",
    description="B2B wholesale ordering: customers with buyers, addresses and price lists.",
    auth_kind="oauth2_client_credentials",
    where_to_find="Settings → Apps & Integrations → Private integrations: Client ID and Secret.",
    credential_fields=(
        CredentialField("client_id", "Client ID", secret=False),
        CredentialField("client_secret", "Client secret"),
    ),
    docs_url="https://apidocs.orderspace.com/",
)
