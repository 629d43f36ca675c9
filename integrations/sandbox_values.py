""" "Use sandbox": the running sandbox's own credentials, fetched from its `/_describe` page.

Only in development and tests (settings.SANDBOX_ENABLED, and only where the `sandboxes`
package is installed and has registered itself), and only through `integrations.http` like
every other outbound call. Each sandbox turns the described values into a connection's
credentials and settings with its `connection_values(described)`.
"""

from django.conf import settings

from integrations import http
from integrations.errors import ConfigError, IntegrationError
from integrations.providers.base import Provider, SandboxEntry
from integrations.providers.registry import get_provider, sandbox_for


class SandboxUnavailable(ConfigError):
    pass


def enabled() -> bool:
    return bool(settings.SANDBOX_ENABLED)


def sandbox_entry(provider: Provider) -> SandboxEntry | None:
    return sandbox_for(provider.key) if enabled() else None


def offers_credentials(provider: Provider) -> bool:
    """Whether "Use sandbox" can fill the credentials form for this provider."""
    return sandbox_entry(provider) is not None


def offers_oauth(provider: Provider) -> bool:
    return sandbox_entry(provider) is not None


def describe(provider: Provider) -> dict:
    if not enabled():
        raise SandboxUnavailable("The sandboxes are not enabled here (SANDBOX_ENABLED is off).")
    url = f"{settings.SANDBOX_URL}/{provider.key}/_describe"
    try:
        response = http.build_session({"Accept": "application/json"}).get(url)
        http.raise_for_status(response, service=f"The {provider.name} sandbox")
        return response.json()
    except (IntegrationError, ValueError) as error:
        raise SandboxUnavailable(
            f"The {provider.name} sandbox did not answer at {settings.SANDBOX_URL} ({error}). "
            "Start it with `make run` or `python manage.py sandbox`."
        ) from None


def credential_values(provider: Provider, described: dict | None = None) -> tuple[dict, dict]:
    """(credentials, settings) for a connection to the running sandbox."""
    entry = sandbox_entry(provider)
    if entry is None:
        raise SandboxUnavailable(f"{provider.name} has no sandbox here.")
    described = describe(provider) if described is None else described
    credentials, connection_settings = entry.connection_values(described)
    return dict(credentials), dict(connection_settings)


def is_sandbox_connection(connection) -> bool:
    """Whether the connection talks to the local sandbox: its API or store address is the
    sandbox's own. Only such a connection's page may offer to show the sandbox's values."""
    provider = get_provider(connection.provider)
    if sandbox_entry(provider) is None:
        return False
    root = f"{settings.SANDBOX_URL.rstrip('/')}/{provider.key}"
    addresses = [str(connection.settings.get(key) or "") for key in ("base_url", "store_url")]
    return any(url == root or url.startswith(root + "/") for url in addresses)


def issued_values(provider: Provider) -> list[tuple[str, str]]:
    """What the running sandbox issued, as (label, value) in the forms' words: test values
    of a local sandbox, fetched from it now, never a connection's stored credentials."""
    described = describe(provider)
    credentials, connection_settings = credential_values(provider, described)
    rows = [
        (spec.label, str(values[spec.key]))
        for fields, values in (
            (provider.setting_fields, connection_settings),
            (provider.credential_fields, credentials),
        )
        for spec in fields
        if values.get(spec.key)
    ]
    if provider.oauth is not None:  # the OAuth app, for the sign-in tab
        for key, label in (("client_id", "OAuth client ID"), ("client_secret", "Client secret")):
            value = str(described.get(key) or "")
            if value and value not in {shown for _, shown in rows}:
                rows.append((label, value))
    return rows
