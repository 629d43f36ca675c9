from integrations.providers import CredentialField, ProviderInfo

PROVIDER = ProviderInfo(
    key="shift4shop",
    name="Shift4Shop",
    description="Hosted store (formerly 3dcart): customers with billing and shipping details.",
    auth_kind="api_key",
    where_to_find=(
        "Your app's Private Key (Shift4Shop developer portal) and the store's Token "
        "(Settings → General → Modules → REST API), plus the store's secure URL."
    ),
    credential_fields=(
        CredentialField("private_key", "Private key"),
        CredentialField("token", "Store token"),
    ),
    setting_fields=(CredentialField("secure_url", "Store secure URL", secret=False),),
    docs_url="https://apirest.3dcart.com/",
)
