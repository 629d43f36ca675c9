"""Writes to connections. Each change leaves a ConnectionAudit row in the same transaction:
who, when and which fields changed; secrets appear by key name only, never by value.

The setup wizard works on a draft (`is_draft`): created at its credentials step, resumed and
updated when the person comes back, turned into a connection by `connection_draft_finish` (its
Save step, where its history starts) and pruned by `connection_drafts_prune` if left alone."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from accounts.models import User, Workspace
from alerts.services import alert_resolve
from integrations import access_levels
from integrations.calls import CAPTURE_SETTING
from integrations.models import Connection, ConnectionAudit
from integrations.providers.base import UnknownProvider
from integrations.providers.registry import get_provider

DUPLICATE_NAME_ERROR = "This workspace already has a connection with that name."
# Drafts nobody touched for this long are removed (tasks.connection_drafts_prune).
DRAFT_MAX_AGE = timedelta(days=1)


def _check_name_free(*, workspace: Workspace, name: str, exclude_pk: int | None = None) -> None:
    # Drafts hold no name (see Connection.Meta): only real connections can clash.
    clash = Connection.objects.finished().filter(workspace=workspace, name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": DUPLICATE_NAME_ERROR})


def _audit(
    *, connection: Connection, actor: User | None, action: str, changes: dict | None = None
) -> ConnectionAudit | None:
    if connection.is_draft:
        return None  # a connection's history starts when it is saved (connection_draft_finish)
    return ConnectionAudit.objects.create(
        workspace_id=connection.workspace_id,
        connection=connection if connection.pk else None,
        connection_name=connection.name,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        changes=changes or {},
    )


def _diff(before: dict, after: dict) -> dict:
    return {
        key: {"from": before.get(key), "to": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


@transaction.atomic
def connection_create(
    *,
    workspace: Workspace,
    provider: str,
    name: str,
    settings: dict | None = None,
    credentials: dict | None = None,
    scopes: list[str] | None = None,
    token_expires_at=None,
    actor: User | None = None,
    is_draft: bool = False,
) -> Connection:
    """A connection, or with `is_draft` the wizard's draft of one: a new draft replaces an
    unfinished one of the same name (the same setup, started again)."""
    try:
        get_provider(provider)
    except UnknownProvider as exc:
        raise ValidationError({"provider": str(exc)}) from None
    name = name.strip()
    _check_name_free(workspace=workspace, name=name)
    if is_draft:
        _drafts_delete(Connection.objects.drafts().filter(workspace=workspace, name__iexact=name))
    connection = Connection(
        workspace=workspace,
        provider=provider,
        name=name,
        is_draft=is_draft,
        settings=settings or {},
        scopes=scopes or [],
        token_expires_at=token_expires_at,
        # A token just issued counts as just refreshed: the next refresh is due by expiry.
        token_refreshed_at=timezone.now() if token_expires_at else None,
    )
    connection.set_credentials(credentials or {})
    connection.full_clean()
    connection.save()
    _audit_created(connection=connection, actor=actor)
    return connection


def _audit_created(*, connection: Connection, actor: User | None) -> None:
    _audit(
        connection=connection,
        actor=actor,
        action=ConnectionAudit.Action.CREATED,
        changes={
            "provider": connection.provider,
            "settings": sorted(connection.settings),
            "credentials": sorted(connection.get_credentials()),
            "scopes": connection.scopes,
        },
    )


def connection_draft_save(
    *,
    workspace: Workspace,
    provider: str,
    name: str,
    settings: dict,
    credentials: dict,
    actor: User | None = None,
) -> Connection:
    """The wizard's credentials step. The same setup sent again (browser Back, a second
    click: same system, same name) updates its draft instead of stopping at "name taken"."""
    draft = (
        Connection.objects.drafts()
        .filter(workspace=workspace, provider=provider, name__iexact=name.strip())
        .order_by("-updated_at")
        .first()
    )
    # An OAuth draft holds the provider's tokens: typed credentials start a new draft.
    if draft is None or "refresh_token" in draft.get_credentials():
        return connection_create(
            workspace=workspace,
            provider=provider,
            name=name,
            settings=settings,
            credentials=credentials,
            actor=actor,
            is_draft=True,
        )
    return connection_update(
        connection=draft, name=name, settings=settings, credentials=credentials, actor=actor
    )


@transaction.atomic
def connection_draft_finish(*, connection: Connection, actor: User | None = None) -> Connection:
    """The wizard's Save step: the draft becomes a connection that lists, pickers and flows
    see. Its name is checked again (another connection may have taken it meanwhile). A
    connection that is no draft is left as it is."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    if not connection.is_draft:
        return connection
    _check_name_free(workspace=connection.workspace, name=connection.name, exclude_pk=connection.pk)
    connection.is_draft = False
    connection.full_clean()
    connection.save()
    _audit_created(connection=connection, actor=actor)
    return connection


def _drafts_delete(drafts) -> int:
    deleted = 0
    for draft in drafts:
        try:
            draft.delete()
        except ProtectedError:  # a flow uses it after all: it stays until someone decides
            continue
        deleted += 1
    return deleted


def connection_drafts_prune(*, max_age: timedelta = DRAFT_MAX_AGE) -> int:
    """Remove wizard drafts left alone for `max_age`; returns how many went."""
    cutoff = timezone.now() - max_age
    return _drafts_delete(Connection.objects.drafts().filter(updated_at__lt=cutoff))


@transaction.atomic
def connection_update(
    *,
    connection: Connection,
    name: str,
    settings: dict | None = None,
    credentials: dict | None = None,
    actor: User | None = None,
) -> Connection:
    """Change name, settings and credentials. Credential values left empty keep what is
    stored, so a form never has to show a secret to preserve it."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    name = name.strip()
    _check_name_free(workspace=connection.workspace, name=name, exclude_pk=connection.pk)
    changes = _diff({"name": connection.name}, {"name": name})
    connection.name = name
    if settings is not None:
        merged = {**connection.settings, **settings}
        changes.update(_diff(connection.settings, merged))
        connection.settings = merged
    changed_secrets = {k: v for k, v in (credentials or {}).items() if v not in (None, "")}
    stored = connection.get_credentials()
    changed_keys = sorted(k for k, v in changed_secrets.items() if stored.get(k) != v)
    if changed_keys:
        connection.set_credentials({**stored, **changed_secrets})
        changes["credentials"] = changed_keys
        # New credentials have not been tested: say so rather than keep a stale "connected".
        connection.status = Connection.Status.NEW
        connection.last_error = ""
    connection.full_clean()
    connection.save()
    if changes:
        _audit(
            connection=connection,
            actor=actor,
            action=ConnectionAudit.Action.UPDATED,
            changes=changes,
        )
    return connection


@transaction.atomic
def connection_set_access(
    *, connection: Connection, access: str, actor: User | None = None
) -> Connection:
    """Record read-only or read + write. A provider with scopes gets them as the recorded
    scopes (what a Private Integration Token was made with); the stores keep it in settings."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    provider = get_provider(connection.provider)
    chosen = access_levels.level(provider, access)
    before = {"access": access_levels.connection_level(connection), "scopes": connection.scopes}
    connection.settings = {**connection.settings, "access": chosen.value}
    if provider.scopes:
        connection.scopes = list(chosen.scopes)
    connection.save(update_fields=["settings", "scopes", "updated_at"])
    changes = _diff(before, {"access": chosen.value, "scopes": connection.scopes})
    if changes:
        _audit(
            connection=connection,
            actor=actor,
            action=ConnectionAudit.Action.UPDATED,
            changes=changes,
        )
    return connection


@transaction.atomic
def connection_reconnect(
    *,
    connection: Connection,
    credentials: dict,
    scopes: list[str],
    token_expires_at,
    settings: dict | None = None,
    actor: User | None = None,
) -> Connection:
    """New tokens for the same connection (after an OAuth round trip): its id, name and the
    flows that use it stay as they are. Open alerts about its old token are resolved."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    before_scopes = list(connection.scopes)
    connection.set_credentials({**connection.get_credentials(), **credentials})
    if settings:
        connection.settings = {**connection.settings, **settings}
    connection.scopes = scopes
    connection.token_expires_at = token_expires_at
    connection.token_refreshed_at = timezone.now()
    connection.refresh_failures = 0
    connection.status = Connection.Status.NEW
    connection.last_error = ""
    connection.save()
    alert_resolve(connection=connection)
    _audit(
        connection=connection,
        actor=actor,
        action=ConnectionAudit.Action.RECONNECTED,
        changes={
            "credentials": sorted(credentials),
            **_diff({"scopes": before_scopes}, {"scopes": scopes}),
        },
    )
    return connection


@transaction.atomic
def connection_set_disabled(
    *, connection: Connection, disabled: bool, actor: User | None = None
) -> Connection:
    connection.status = Connection.Status.DISABLED if disabled else Connection.Status.NEW
    connection.save(update_fields=["status", "updated_at"])
    action = ConnectionAudit.Action.DISABLED if disabled else ConnectionAudit.Action.ENABLED
    _audit(connection=connection, actor=actor, action=action)
    return connection


def connection_body_capture(
    *, connection: Connection, minutes: int, actor: User | None = None
) -> Connection:
    """Keep request and response bodies (secrets redacted) with the API call log for the next
    `minutes` (at most a day), for debugging; 0 stops now. It always ends on its own: the
    bodies hold customer data, which is not kept by default."""
    minutes = max(0, min(int(minutes), 24 * 60))
    settings = dict(connection.settings or {})
    if minutes:
        until = (timezone.now() + timedelta(minutes=minutes)).isoformat()
        settings[CAPTURE_SETTING] = until
    else:
        settings.pop(CAPTURE_SETTING, None)
    connection.settings = settings
    connection.save(update_fields=["settings", "updated_at"])
    _audit(
        connection=connection,
        actor=actor,
        action=ConnectionAudit.Action.UPDATED,
        changes={"body_capture_minutes": minutes},
    )
    return connection


@transaction.atomic
def connection_delete(*, connection: Connection, actor: User | None = None) -> None:
    _audit(
        connection=connection,
        actor=actor,
        action=ConnectionAudit.Action.DELETED,
        changes={"provider": connection.provider},
    )
    try:
        connection.delete()
    except ProtectedError as error:  # flows read from or write to it (sync.Flow: PROTECT)
        names = ", ".join(sorted({str(flow) for flow in error.protected_objects}))
        raise ValidationError(
            f"Flows use this connection ({names}): delete them, or give them another "
            "connection, first."
        ) from None
