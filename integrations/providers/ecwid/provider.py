from integrations.providers import CredentialField, ProviderInfo

PROVIDER = ProviderInfo(
    key="ecwid",
    name="Ecwid by Lightspeed",
    description="Online store: customers, customer groups and a feed of deleted customers.",
    auth_kind="token",
    where_to_find="Ecwid admin → Apps → My Apps → your custom app: Store ID and Secret token.",
    credential_fields=(CredentialField("secret_token", "Secret access token", "secret_…"),),
    setting_fields=(CredentialField("store_id", "Store ID", secret=False),),
    docs_url="https://docs.ecwid.com/api-reference",
)
