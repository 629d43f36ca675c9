"""CS-Cart: everything the app knows about it, in one `Provider` (see providers/base.py)."""

from integrations.providers.base import CredentialField, ObjectType, Provider
from integrations.providers.capabilities import (
    Capabilities,
    ChangeDetection,
    DeleteMode,
    PageStyle,
    RateLimit,
)
from integrations.providers.cscart import explorer, fields
from integrations.providers.cscart.adapters import CsCartCustomers
from integrations.providers.cscart.client import CsCartClient

PROVIDER = Provider(
    key="cscart",
    name="CS-Cart",
    description="Self-hosted store: users (customers) with user groups and profile fields.",
    auth_kind="basic",
    where_to_find=(
        "Customers → Administrators → your admin → API access: the admin's e-mail and the "
        "generated API key, plus your store's address."
    ),
    credential_fields=(
        CredentialField("email", "Administrator e-mail", secret=False),
        CredentialField("api_key", "API key"),
    ),
    setting_fields=(
        CredentialField("store_url", "Store URL", "https://shop.example.com", secret=False),
    ),
    docs_url="https://docs.cs-cart.com/latest/developer_guide/api/",
    client=CsCartClient,
    field_catalogue=fields.catalogue,
    explorer_operations=explorer.OPERATIONS,
    adapters={ObjectType.CONTACT: CsCartCustomers},
    capabilities=Capabilities(
        # No modified-since filter and no updated timestamp: full comparison.
        change_detection=ChangeDetection.FULL_COMPARISON,
        delete_mode=DeleteMode.DELETE,
        page_style=PageStyle.PAGE,
        max_page_size=500,  # none documented; the client's own cap
        has_groups=True,  # user groups, many per user
        # None documented (self-hosted; the host's firewall may throttle): the client sends at
        # most 5 requests/second per store by default and waits out 429 or 509 refusals.
        rate_limit=RateLimit(5, 1, per="store (the client's own default)", inferred=True),
        inferred=("max_page_size", "rate_limit"),
    ),
)
