"""Cin7 Core: everything the app knows about it, in one `Provider` (see
integrations/providers/base.py); the facts behind it are in docs/providers/cin7.md.

The new-customer settings exist because Cin7 requires Name, Status, Currency, PaymentTerm,
AccountReceivable, RevenueAccount and TaxRule on every POST /customer: the client fills any the
payload leaves out from them (Status: "Active") and refuses with a ConfigError naming the
missing settings otherwise."""

from integrations.providers.base import CredentialField, ObjectType, Provider
from integrations.providers.capabilities import (
    Capabilities,
    ChangeDetection,
    DeleteMode,
    PageStyle,
    RateLimit,
    SignatureKind,
)
from integrations.providers.cin7 import explorer, fields, webhooks
from integrations.providers.cin7.adapters import CustomerAdapter
from integrations.providers.cin7.client import Cin7Client

PROVIDER = Provider(
    key="cin7",
    name="Cin7 Core",
    description="Inventory and orders (formerly DEAR): customers with contacts and addresses.",
    auth_kind="api_key",
    where_to_find="Integrations → API → Cin7 Core API: Account ID and Application Key.",
    credential_fields=(
        CredentialField(
            "account_id",
            "Account ID",
            "A GUID (8-4-4-4-12 characters), under Integrations → API → Cin7 Core API.",
            secret=False,
        ),
        CredentialField("application_key", "Application key", "A GUID, on the same page."),
        CredentialField(
            "webhook_secret",
            "Webhook secret",
            "Only needed to receive webhooks: a long random value Cin7 sends with each one, "
            "as the Bearer token, the Basic password or the custom header's value.",
            required=False,
        ),
    ),
    setting_fields=(
        CredentialField(
            "currency",
            "Currency for new customers",
            "Cin7 requires one on every new customer: the three-letter code of your base "
            "currency, under Settings → General Settings (e.g. USD); testing the connection "
            "suggests it.",
            secret=False,
            required=False,
        ),
        CredentialField(
            "payment_term",
            "Payment term for new customers",
            "Exactly as named under Settings → Reference Books → Payment Terms (e.g. 30 days); "
            "testing the connection suggests the account's default.",
            secret=False,
            required=False,
            free_text=True,
        ),
        CredentialField(
            "account_receivable",
            "Accounts receivable account (code)",
            "The account code, from Settings → Chart of Accounts (e.g. 610, “Accounts "
            "Receivable”); testing the connection suggests it.",
            secret=False,
            required=False,
        ),
        CredentialField(
            "revenue_account",
            "Revenue (sales) account (code)",
            "The account code, from Settings → Chart of Accounts (e.g. 200, “Sales”); testing "
            "the connection suggests it.",
            secret=False,
            required=False,
        ),
        CredentialField(
            "tax_rule",
            "Tax rule for new customers",
            "Exactly as named under Settings → Reference Books → Taxation Rules (e.g. Tax "
            "Exempt); testing the connection suggests the first sales tax rule.",
            secret=False,
            required=False,
            free_text=True,
        ),
        CredentialField(
            "price_tier",
            "Price tier for new customers",
            "Optional: one of the price tier names under Settings → General Settings.",
            secret=False,
            required=False,
            free_text=True,
        ),
        CredentialField(
            "webhook_auth",
            "Webhook authentication",
            "How Cin7 proves a webhook comes from it: one of the three ways Cin7 offers.",
            secret=False,
            required=False,
        ),
        CredentialField(
            "webhook_username",
            "Webhook user name",
            "Default: contactbridge.",
            secret=False,
            required=False,
        ),
        CredentialField(
            "webhook_header",
            "Webhook header name",
            "Default: X-ContactBridge-Token.",
            secret=False,
            required=False,
        ),
    ),
    docs_url="https://dearinventory.docs.apiary.io/",
    client=Cin7Client,
    field_catalogue=fields.catalogue,
    explorer_operations=explorer.OPERATIONS,
    verify_webhook=webhooks.verify,
    adapters={ObjectType.CONTACT: CustomerAdapter},
    capabilities=Capabilities(
        change_detection=ChangeDetection.UPDATED_SINCE,
        incremental_filter="ModifiedSince",
        delete_mode=DeleteMode.DEACTIVATE,
        page_style=PageStyle.PAGE,
        max_page_size=1000,
        webhook_events=("Customer/Updated",),
        # Unsigned: Basic, Bearer or a custom header set on the webhook registration.
        webhook_signature=SignatureKind.SHARED_SECRET,
        has_tags=True,
        has_notes=True,
        has_groups=True,
        rate_limit=RateLimit(60, 60, per="account", refusal=503, inferred=True),
        # No public source settles these: whether a refusal is 503 (help page) or 429 (the
        # Apiary status table); whether Customer/Updated also fires on create, and the full
        # shape of its payload (seen only through Pipedream's source).
        inferred=("rate_limit", "webhook_events"),
    ),
)
