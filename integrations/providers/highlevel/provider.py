from integrations.providers import CredentialField, ProviderInfo

PROVIDER = ProviderInfo(
    key="highlevel",
    name="HighLevel",
    description="The CRM: contacts, tasks, notes, appointments and tags of one sub-account.",
    auth_kind="oauth2",
    where_to_find=(
        "A Marketplace app's Client ID and Client Secret (Marketplace → My Apps → Auth), "
        "or a sub-account Private Integration Token (Settings → Private Integrations)."
    ),
    credential_fields=(
        CredentialField("private_integration_token", "Private Integration Token", "pit-…"),
    ),
    setting_fields=(CredentialField("location_id", "Location (sub-account) ID", secret=False),),
    docs_url="https://highlevel.stoplight.io/docs/integrations/",
    sandbox="integrations.providers.highlevel.sandbox:HighLevelSandbox",
    scopes=("contacts.readonly", "contacts.write"),
)
