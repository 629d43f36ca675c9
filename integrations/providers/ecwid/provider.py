"""Ecwid by Lightspeed: everything the app knows about it, in one `Provider` (base.py)."""

from integrations.providers.base import CredentialField, ObjectType, Provider
from integrations.providers.capabilities import (
    Capabilities,
    ChangeDetection,
    DeleteMode,
    PageStyle,
    RateLimit,
    SignatureKind,
)
from integrations.providers.ecwid import explorer, fields, webhooks
from integrations.providers.ecwid.adapters import EcwidCustomerAdapter
from integrations.providers.ecwid.client import EcwidClient

PROVIDER = Provider(
    key="ecwid",
    name="Ecwid by Lightspeed",
    description="Online store: customers, customer groups and a feed of deleted customers.",
    auth_kind="token",
    where_to_find=(
        "Ecwid admin → Apps → My Apps → your custom app: the Store ID, the Secret token "
        "(secret_…) and, to verify webhooks, the app's client_secret."
    ),
    credential_fields=(
        CredentialField(
            "secret_token",
            "Secret token",
            "secret_… (the public_… token cannot read customers).",
        ),
        CredentialField(
            "client_secret",
            "App client secret",
            "Only needed to receive webhooks: Ecwid signs them with it.",
            required=False,
        ),
    ),
    setting_fields=(
        CredentialField(
            "store_id",
            "Store ID",
            "A number, e.g. 1003: Ecwid's Control Panel → Settings → General.",
            secret=False,
        ),
    ),
    docs_url="https://docs.ecwid.com/api-reference",
    client=EcwidClient,
    field_catalogue=fields.catalogue,
    explorer_operations=explorer.OPERATIONS,
    verify_webhook=webhooks.verify,
    adapters={ObjectType.CONTACT: EcwidCustomerAdapter},
    scopes=("read_store_profile", "read_customers", "create_customers", "update_customers"),
    capabilities=Capabilities(
        change_detection=ChangeDetection.UPDATED_SINCE,
        incremental_filter="updatedFrom (UNIX seconds, sortBy=UPDATED_DATE_ASC)",
        delete_mode=DeleteMode.DELETE,
        deleted_feed=True,  # GET /customers/deleted, kept six months
        page_style=PageStyle.OFFSET,
        max_page_size=100,
        webhook_events=(
            "customer.created",
            "customer.updated",
            "customer.deleted",
            "customer_group.created",
            "customer_group.updated",
            "customer_group.deleted",
        ),
        webhook_signature=SignatureKind.HMAC_EVENT,
        has_notes=True,  # privateAdminNotes: one owner-only text per customer
        has_groups=True,  # customerGroupId: one group per customer, 0 = "General"
        rate_limit=RateLimit(600, 60, per="token"),
        # Every capability above is in Ecwid's API docs. What they leave open (inclusive
        # updatedFrom bounds, a partial billingPerson kept, a deleted group's members moved
        # to "General") is a sandbox knob, listed in docs/providers/ecwid.md.
        inferred=(),
    ),
)
