from integrations.providers import Capabilities, CredentialField, ProviderInfo

PROVIDER = ProviderInfo(
    key="orderspace",
    name="Orderspace",
    description="B2B wholesale ordering: customers with buyers, addresses and price lists.",
    auth_kind="oauth2_client_credentials",
    where_to_find=(
        "Orderspace admin → Integrations → add a Custom Integration (Private): its Client ID "
        "and Client Secret. The webhook signing key is the `signing_key` Orderspace returns "
        "when a webhook is created; ContactBridge stores it itself when it registers one. "
        "A public integration (OAuth sign-in, which Orderspace enables on request) uses its "
        "app's Client ID and Client Secret instead."
    ),
    credential_fields=(
        CredentialField("client_id", "Client ID", secret=False),
        CredentialField("client_secret", "Client Secret"),
        CredentialField(
            "webhook_signing_key",
            "Webhook signing key",
            "The webhook's signing_key, used to check X-Orderspace-Signature.",
            required=False,
        ),
    ),
    setting_fields=(
        CredentialField(
            "site_name",
            "Site name",
            "How this Orderspace site is shown here (the API does not tell).",
            secret=False,
            required=False,
        ),
    ),
    docs_url="https://apidocs.orderspace.com/",
    sandbox="integrations.providers.orderspace.sandbox:OrderspaceSandbox",
    client="integrations.providers.orderspace.client:OrderspaceClient",
    scopes=("read", "write"),
    capabilities=Capabilities(
        webhook_events=("customer.created", "customer.updated", "customer.deleted"),
        webhook_signature=(
            "X-Orderspace-Signature: Base64 HMAC-SHA256 of the raw body with the webhook's "
            "signing_key; up to 50 events per delivery"
        ),
        incremental_filter="",  # created_since only: no updated-since filter or timestamp
        deleted_feed=False,  # deletions arrive only as customer.deleted webhooks
        delete_mode="delete",
        has_tags=False,
        has_notes=True,  # one free-text internal_note (plus the customer-visible reference)
        has_groups=True,  # customer_group_id (and price_list_id, payment_terms_id)
        page_style="cursor",
        max_page_size=200,
        rate_limit="60 requests/minute per account; a 429 means wait at least 60 s",
    ),
)
