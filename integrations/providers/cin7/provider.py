from integrations.providers import CredentialField, ProviderInfo

PROVIDER = ProviderInfo(
    key="cin7",
    name="Cin7 Core",
    description="Inventory and orders (formerly DEAR): customers with contacts and addresses.",
    auth_kind="api_key",
    where_to_find="Integrations → API → Cin7 Core API: Account ID and Application Key.",
    credential_fields=(
        CredentialField("account_id", "Account ID", secret=False),
        CredentialField("application_key", "Application key"),
    ),
    docs_url="https://dearinventory.docs.apiary.io/",
)
