from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Workspace
from integrations.models import Connection
from integrations.providers import UnknownProvider, get_provider

DUPLICATE_NAME_ERROR = "This workspace already has a connection with that name."


def _check_name_free(*, workspace: Workspace, name: str, exclude_pk: int | None = None) -> None:
    clash = Connection.objects.filter(workspace=workspace, name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": DUPLICATE_NAME_ERROR})


@transaction.atomic
def connection_create(
    *,
    workspace: Workspace,
    provider: str,
    name: str,
    settings: dict | None = None,
    credentials: dict | None = None,
) -> Connection:
    try:
        get_provider(provider)
    except UnknownProvider as exc:
        raise ValidationError({"provider": str(exc)}) from None
    name = name.strip()
    _check_name_free(workspace=workspace, name=name)
    connection = Connection(
        workspace=workspace, provider=provider, name=name, settings=settings or {}
    )
    connection.set_credentials(credentials or {})
    connection.full_clean()
    connection.save()
    return connection


@transaction.atomic
def connection_update(
    *,
    connection: Connection,
    name: str,
    settings: dict | None = None,
    credentials: dict | None = None,
) -> Connection:
    """Change name, settings and credentials. Credential values left empty keep what is
    stored, so a form never has to show a secret to preserve it."""
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    name = name.strip()
    _check_name_free(workspace=connection.workspace, name=name, exclude_pk=connection.pk)
    connection.name = name
    if settings is not None:
        connection.settings = {**connection.settings, **settings}
    changed_secrets = {k: v for k, v in (credentials or {}).items() if v not in (None, "")}
    if changed_secrets:
        connection.set_credentials({**connection.get_credentials(), **changed_secrets})
        # New credentials have not been tested: say so rather than keep a stale "connected".
        connection.status = Connection.Status.NEW
        connection.last_error = ""
    connection.full_clean()
    connection.save()
    return connection


@transaction.atomic
def connection_set_disabled(*, connection: Connection, disabled: bool) -> Connection:
    connection.status = Connection.Status.DISABLED if disabled else Connection.Status.NEW
    connection.save(update_fields=["status", "updated_at"])
    return connection


@transaction.atomic
def connection_delete(*, connection: Connection) -> None:
    connection.delete()
