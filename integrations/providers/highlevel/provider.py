from integrations.providers import Capabilities, CredentialField, ProviderInfo

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
    client="integrations.providers.highlevel.client:HighLevelClient",
    scopes=("contacts.readonly", "contacts.write"),
    capabilities=Capabilities(
        webhook_events=(
            "ContactCreate",
            "ContactUpdate",
            "ContactDelete",
            "ContactTagUpdate",
            "ContactDndUpdate",
            "TaskCreate",
            "TaskComplete",
            "TaskDelete",
            "NoteCreate",
            "NoteUpdate",
            "NoteDelete",
        ),
        webhook_signature="Ed25519 x-ghl-signature (RSA x-wh-signature legacy)",
        incremental_filter="dateUpdated (POST /contacts/search range filter)",
        deleted_feed=False,
        delete_mode="delete",
        has_tags=True,
        has_notes=True,
        has_groups=False,
        page_style="keyset",
        max_page_size=100,
        rate_limit="100 requests / 10 s burst and 200,000 / day per app per location",
    ),
)
