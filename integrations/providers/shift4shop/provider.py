"""Shift4Shop: everything the app knows about it, in one `Provider` (providers/base.py)."""

from integrations.providers.base import CredentialField, ObjectType, Provider
from integrations.providers.capabilities import (
    Capabilities,
    ChangeDetection,
    DeleteMode,
    Fact,
    PageStyle,
    RateLimit,
    SignatureKind,
)
from integrations.providers.shift4shop import explorer, fields, webhooks
from integrations.providers.shift4shop.adapters import Shift4ShopCustomers
from integrations.providers.shift4shop.client import Shift4ShopClient

PROVIDER = Provider(
    key="shift4shop",
    name="Shift4Shop",
    description="Hosted store (formerly 3dcart): customers with billing and shipping details.",
    auth_kind="api_key",
    where_to_find=(
        "Your app's Private Key (Shift4Shop developer portal) and the Token the store issued "
        "when it authorized your app (Settings → General → Modules → REST API), plus the "
        "store's Secure URL (e.g. https://yourstore.3dcartstores.com)."
    ),
    credential_fields=(
        CredentialField("private_key", "Private Key", "Your app's private key."),
        CredentialField("token", "Token", "The store's token for your app."),
    ),
    setting_fields=(
        CredentialField(
            "secure_url",
            "Secure URL",
            "The store's secure URL, e.g. https://yourstore.3dcartstores.com",
            secret=False,
        ),
        CredentialField(
            "store_timezone",
            "Store time zone",
            "The clock the store reports change times in, as a name such as America/Chicago "
            "(default America/New_York).",
            secret=False,
            required=False,
        ),
        CredentialField(
            "requests_per_second",
            "Requests per second",
            "A number, e.g. 2. Shift4Shop publishes no rate limit; ContactBridge sends at "
            "most 2/s by default.",
            secret=False,
            required=False,
        ),
    ),
    docs_url="https://apirest.3dcart.com/",
    client=Shift4ShopClient,
    field_catalogue=fields.catalogue,
    explorer_operations=explorer.OPERATIONS,
    # The request only checks the body's shape; the worker reads it back (confirm_webhook).
    verify_webhook=lambda body, headers: webhooks.verify(body, headers, confirm=False),
    confirm_webhook=webhooks.confirm,
    adapters={ObjectType.CONTACT: Shift4ShopCustomers},
    capabilities=Capabilities(
        change_detection=ChangeDetection.UPDATED_SINCE,
        incremental_filter="lastupdatestart (mm/dd/yyyy hh:mm:ss, the store's time zone)",
        delete_mode=DeleteMode.DELETE,
        page_style=PageStyle.OFFSET,
        max_page_size=500,
        webhook_events=("Customer New",),
        # Shift4Shop does not sign webhooks: each is confirmed by reading the customer back.
        webhook_signature=SignatureKind.READ_BACK,
        has_notes=True,  # Comments: one free-text note per customer
        has_groups=True,  # one CustomerGroupID per customer
        # None published: 2 requests/second per store by default, backing off on 429.
        rate_limit=RateLimit(2, 1, per="store (none published)", inferred=True),
        # Undocumented, so knobs in the sandbox and labelled "inferred" in the UI: the page
        # cap and first offset, the rate limit, and the webhook's body (and its EventType).
        inferred=("max_page_size", "rate_limit", "webhook_events"),
        assumptions=(
            Fact("Webhook body", "the new customer's full record, as JSON"),
            Fact("First page", "offset 1 (production clients page from 1; the help page says 0)"),
        ),
    ),
)
