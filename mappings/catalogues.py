"""Field catalogues for the editor's pickers and the drift guard, from the provider packages.

Static fields come from `integrations/providers/<key>/fields.py`; with a connection, a
provider may add the account's own fields (HighLevel's custom fields). Reading those costs
an API call, so the editor uses a short cache; the drift guard before a run asks fresh.

Reading the account's fields may need a scope of its own (HighLevel:
`locations/customFields.readonly`). When the connection lacks it, by the scopes it was
granted or by the system's refusal, the catalogue carries a `missing_scope` notice that the
editor shows with "Reconnect with this scope" (templates/integrations/_missing_scope.html).
"""

import hashlib
import logging
from dataclasses import dataclass, field

from django.core.cache import cache

from integrations import scopes
from integrations.errors import IntegrationError
from integrations.providers.base import FieldSpec
from integrations.providers.registry import get_provider

logger = logging.getLogger(__name__)
CACHE_SECONDS = 300


@dataclass
class Catalogue:
    provider: str
    fields: list[FieldSpec]
    # Why the account's own fields are missing (no connection, or it could not be read): the
    # drift guard must not call a custom field "deleted" when it simply could not look.
    warning: str = ""
    custom_fields: list[dict] = field(default_factory=list)  # HighLevel definitions
    missing_scope: scopes.ScopeNotice | None = None  # why the account's fields are missing

    @property
    def complete(self) -> bool:
        return not self.warning

    def paths(self) -> set[str]:
        return {spec.path for spec in self.fields}

    def by_path(self) -> dict[str, FieldSpec]:
        return {spec.path: spec for spec in self.fields}


def field_catalogue(provider: str, connection=None, *, fresh: bool = False) -> Catalogue:
    key = _cache_key(provider, connection)
    if not fresh and (cached := cache.get(key)) is not None:
        return cached
    info = get_provider(provider)
    warning = ""
    notice = _known_missing_scope(connection) if info.has_account_fields else None
    if notice is not None:
        # The grant says the call would be refused: do not spend a request on it.
        fields = list(info.field_catalogue(None))
    else:
        try:
            fields = list(info.field_catalogue(connection))
        except IntegrationError as error:
            # The static part is still right; only the account's own fields are unknown.
            logger.warning("Could not read the %s field catalogue: %s", provider, error)
            fields = list(info.field_catalogue(None))
            warning = f"Could not read the account's own fields from “{connection}”: {error}"
            notice = scopes.notice_for(connection, scopes.CUSTOM_FIELDS, error=error)
    if notice is not None:
        warning = f"The account's own fields are not listed: {notice.message}"
    if connection is None and info.has_account_fields:
        warning = "No connection chosen, so the account's custom fields are not listed."
    custom = [dict(spec.extra) for spec in fields if spec.custom and spec.extra.get("id")]
    catalogue = Catalogue(provider, fields, warning, custom, notice)
    if not warning:
        cache.set(key, catalogue, CACHE_SECONDS)
    return catalogue


def _cache_key(provider: str, connection) -> str:
    """Per connection and per grant: a reconnect that adds a scope (custom fields, say) must
    not be answered from what was cached before it. The creation time tells a connection
    from a later one that got the same id."""
    if connection is None:
        return f"catalogue:{provider}:0"
    grant = hashlib.sha256(" ".join(sorted(connection.scopes or [])).encode()).hexdigest()[:12]
    return f"catalogue:{provider}:{connection.pk}:{connection.created_at:%s%f}:{grant}"


def _known_missing_scope(connection) -> scopes.ScopeNotice | None:
    if connection is None:
        return None
    return scopes.notice_for(connection, scopes.CUSTOM_FIELDS)
