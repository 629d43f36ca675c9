"""HighLevel: everything the app knows about it, in one `Provider` (integrations/providers/
base.py); the facts it relies on, and their sources, are in docs/providers/highlevel.md."""

from integrations.providers.base import CredentialField, OAuthParts, ObjectType, Provider
from integrations.providers.capabilities import (
    Capabilities,
    ChangeDetection,
    DeleteMode,
    PageStyle,
    RateLimit,
    SignatureKind,
)
from integrations.providers.highlevel import auth, explorer, fields, webhooks
from integrations.providers.highlevel.adapters import ContactAdapter
from integrations.providers.highlevel.client import HighLevelClient
from integrations.providers.highlevel.related_adapters import NoteAdapter, TaskAdapter

PROVIDER = Provider(
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
    client=HighLevelClient,
    field_catalogue=fields.catalogue,
    explorer_operations=explorer.OPERATIONS,
    has_account_fields=True,
    oauth=OAuthParts(
        authorization_url=auth.authorization_url,
        exchange_code=auth.exchange_code,
        credentials_from_grant=auth.credentials_from_grant,
        words={"app_scopes_help": "Marketplace → My Apps → your app → Auth → Scopes"},
    ),
    refresh_token=auth.refresh_access_token,
    verify_webhook=webhooks.verify,
    adapters={
        ObjectType.CONTACT: ContactAdapter,
        ObjectType.TASK: TaskAdapter,
        ObjectType.NOTE: NoteAdapter,
    },
    # Asked for by default: the read level gets the two read scopes, read + write all three.
    # Custom fields need their own scope (integrations/scopes.py says what each one is for).
    scopes=(auth.READ_SCOPE, auth.WRITE_SCOPE, auth.CUSTOM_FIELDS_SCOPE),
    capabilities=Capabilities(
        change_detection=ChangeDetection.UPDATED_SINCE,
        incremental_filter="dateUpdated range filter of POST /contacts/search",
        delete_mode=DeleteMode.DELETE,
        page_style=PageStyle.KEYSET,
        max_page_size=100,
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
        webhook_signature=SignatureKind.PUBLIC_KEY,
        upsert=True,
        has_tags=True,
        has_notes=True,
        rate_limit=RateLimit(100, 10, per="app and location", daily=200_000),
    ),
)
