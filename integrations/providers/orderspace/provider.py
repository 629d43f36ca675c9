"""Orderspace: everything the app knows about it, in one `Provider` (base.py)."""

from integrations.providers.base import CredentialField, OAuthParts, ObjectType, Provider
from integrations.providers.capabilities import (
    Capabilities,
    ChangeDetection,
    DeleteMode,
    Fact,
    PageStyle,
    RateLimit,
    SignatureKind,
)
from integrations.providers.orderspace import auth, explorer, fields, webhooks
from integrations.providers.orderspace.adapters import OrderspaceCustomerAdapter
from integrations.providers.orderspace.client import OrderspaceClient

PROVIDER = Provider(
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
            free_text=True,  # a name such as "Acme Wholesale"
        ),
    ),
    docs_url="https://apidocs.orderspace.com/",
    client=OrderspaceClient,
    field_catalogue=fields.catalogue,
    explorer_operations=explorer.OPERATIONS,
    oauth=OAuthParts(
        authorization_url=auth.authorization_url,
        exchange_code=auth.exchange_code,
        credentials_from_grant=auth.credentials_from_grant,
        settings_from_grant=auth.settings_from_grant,
        words=auth.OAUTH_WORDS,
    ),
    refresh_token=auth.refresh_access_token,
    verify_webhook=webhooks.verify,
    adapters={ObjectType.CONTACT: OrderspaceCustomerAdapter},
    scopes=("read", "write"),
    capabilities=Capabilities(
        # created_since only: no updated-since filter and no updated timestamp.
        change_detection=ChangeDetection.FULL_COMPARISON,
        delete_mode=DeleteMode.DELETE,  # deletions arrive only as customer.deleted webhooks
        page_style=PageStyle.CURSOR,
        max_page_size=200,
        webhook_events=("customer.created", "customer.updated", "customer.deleted"),
        webhook_signature=SignatureKind.HMAC_BODY,
        has_notes=True,  # one free-text internal_note (plus the customer-visible reference)
        has_groups=True,  # customer_group_id (and price_list_id, payment_terms_id)
        rate_limit=RateLimit(60, 60, per="account"),
        # Every capability above is in Orderspace's API docs. What they leave open (the
        # public integration's authorize URL and refresh rotation, webhooks for API-made
        # changes, a deleted paging cursor) is a sandbox knob, listed in
        # docs/providers/orderspace.md; the sign-in tab says the authorize URL is assumed.
        inferred=(),
        assumptions=(
            Fact(
                "Public-integration sign-in",
                "at identity.orderspace.com/oauth/authorize, beside the documented token URL "
                "(Orderspace enables public integrations on request and does not publish it)",
            ),
        ),
    ),
)
