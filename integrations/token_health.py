"""Keep OAuth tokens alive: refresh ahead of expiry and at least daily, and say so loudly when
a refresh is refused (the connection needs reconnecting; an alert is raised through the
alerts app).

The refresh itself is the provider's single-flight `refresh_access_token` (HighLevel's locks
the connection row, so a beat refresh and a sync's inline refresh never both spend the
single-use refresh token).
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from alerts.models import Alert
from alerts.services import alert_raise, alert_resolve
from integrations.errors import AuthError, IntegrationError
from integrations.models import Connection
from integrations.providers.registry import all_providers, get_provider

# The beat task runs every 15 minutes; refreshing 2 h ahead leaves several tries before expiry.
REFRESH_AHEAD = timedelta(hours=2)
REFRESH_AT_LEAST_EVERY = timedelta(days=1)
# A provider that is briefly down is not a dead token: alert after this many failures in a row.
TRANSIENT_FAILURES_BEFORE_ALERT = 3


def refresher(provider_key: str):
    return get_provider(provider_key).refresh_token


def refreshable_providers() -> list[str]:
    return [info.key for info in all_providers() if refresher(info.key) is not None]


def connections_due(*, now=None) -> list[Connection]:
    """OAuth connections whose token expires soon or was not refreshed for a day. Tokens
    bought with client credentials (Orderspace private integrations) have no refresh token
    and are bought again on demand, so they are left out."""
    return [c for c in _candidates(now) if "refresh_token" in c.get_credentials()]


def _candidates(now=None) -> QuerySet[Connection]:
    now = now or timezone.now()
    return (
        Connection.objects.finished()
        .filter(
            provider__in=refreshable_providers(),
            token_expires_at__isnull=False,
        )
        .exclude(status__in=[Connection.Status.DISABLED, Connection.Status.NEEDS_RECONNECT])
        .filter(
            Q(token_expires_at__lte=now + REFRESH_AHEAD)
            | Q(token_refreshed_at__isnull=True)
            | Q(token_refreshed_at__lte=now - REFRESH_AT_LEAST_EVERY)
        )
    )


def connection_token_refresh(*, connection_id: int) -> str:
    """Refresh one connection's token now. Returns "refreshed", "skipped" or "failed"."""
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None or connection.status == Connection.Status.DISABLED:
        return "skipped"
    refresh = refresher(connection.provider)
    credentials = connection.get_credentials()
    if refresh is None or "refresh_token" not in credentials:
        return "skipped"
    try:
        # Passing the current token as "rejected" forces a refresh even though it has not
        # expired yet, unless another process replaced it meanwhile (then that one stands).
        refresh(connection, rejected_token=credentials.get("access_token", ""))
    except AuthError as error:
        _record_failure(connection, error, refused=True)
        return "failed"
    except IntegrationError as error:
        _record_failure(connection, error, refused=False)
        return "failed"
    Connection.objects.filter(pk=connection.pk).update(
        token_refreshed_at=timezone.now(), refresh_failures=0
    )
    alert_resolve(connection=connection, kind=Alert.Kind.TOKEN_REFRESH_FAILED)
    return "refreshed"


@transaction.atomic
def _record_failure(connection: Connection, error: IntegrationError, *, refused: bool) -> None:
    locked = Connection.objects.select_for_update().get(pk=connection.pk)
    locked.refresh_failures += 1
    if refused:
        locked.status = Connection.Status.NEEDS_RECONNECT
        locked.last_error = str(error)
    locked.save(update_fields=["refresh_failures", "status", "last_error", "updated_at"])
    if refused:
        message = (
            f"{get_provider(locked.provider).name} refused to refresh the token of "
            f"“{locked.name}”: "
            f"{error} Reconnect it to resume syncing."
        )
    elif locked.refresh_failures >= TRANSIENT_FAILURES_BEFORE_ALERT:
        message = (
            f"The token of “{locked.name}” could not be refreshed {locked.refresh_failures} "
            f"times in a row ({error}). It expires at {locked.token_expires_at:%Y-%m-%d %H:%M} "
            "UTC; retrying every 15 minutes."
        )
    else:
        return
    alert_raise(connection=locked, kind=Alert.Kind.TOKEN_REFRESH_FAILED, message=message)


def token_health(connection: Connection) -> dict | None:
    """What the connection page shows about an OAuth token; None for other credentials."""
    if connection.token_expires_at is None:
        return None
    now = timezone.now()
    return {
        "expires_at": connection.token_expires_at,
        "expired": connection.token_expires_at <= now,
        "last_refreshed_at": connection.last_refreshed_at,
        "refresh_failures": connection.refresh_failures,
        "scopes": connection.scopes,
        "next_refresh_by": min(
            connection.token_expires_at - REFRESH_AHEAD,
            (connection.last_refreshed_at or now) + REFRESH_AT_LEAST_EVERY,
        ),
    }
