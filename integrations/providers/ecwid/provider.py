from integrations.providers import Capabilities, CredentialField, ProviderInfo

PROVIDER = ProviderInfo(
    key="ecwid",
    name="Ecwid by Lightspeed",
    description="Online store: customers, customer groups and a feed of deleted customers.",
    auth_kind="token",
    where_to_find=(
        "Ecwid admin → Apps → My Apps → your custom app: the Store ID, the Secret token "
        "(secret_…) and, to verify webhooks, the app's client_secret."
    ),
    credential_fields=(
        CredentialField("secret_token", "Secret token", "secret_… (not the public_… token)"),
        CredentialField(
            "client_secret",
            "App client secret",
            "Only needed to receive webhooks: Ecwid signs them with it.",
            required=False,
        ),
    ),
    setting_fields=(
        CredentialField(
            "store_id", "Store ID", "The number shown in the Ecwid admin.", secret=False
        ),
    ),
    docs_url="https://docs.ecwid.com/api-reference",
    sandbox="integrations.providers.ecwid.sandbox:EcwidSandbox",
    client="integrations.providers.ecwid.client:EcwidClient",
    scopes=("read_store_profile", "read_customers", "create_customers", "update_customers"),
    capabilities=Capabilities(
        webhook_events=(
            "customer.created",
            "customer.updated",
            "customer.deleted",
            "customer_group.created",
            "customer_group.updated",
            "customer_group.deleted",
        ),
        webhook_signature=(
            "X-Ecwid-Webhook-Signature: Base64 HMAC-SHA256 of “eventCreated.eventId” with the "
            "app's client_secret (the body itself is not signed)"
        ),
        incremental_filter="updatedFrom (UNIX seconds, with sortBy=UPDATED_DATE_ASC)",
        deleted_feed=True,
        delete_mode="delete",
        has_tags=False,
        has_notes=True,  # privateAdminNotes: one owner-only text per customer
        has_groups=True,  # customerGroupId: one group per customer, 0 = "General"
        page_style="offset",
        max_page_size=100,
        rate_limit="600 requests/minute per token; 429 with Retry-After when exceeded",
    ),
)
