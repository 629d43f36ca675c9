""" "Use sandbox": the running sandbox's own credentials, fetched from its `/_describe` page.

Only in development and tests (settings.SANDBOX_ENABLED), and only through `integrations.http`
like every other outbound call. Each provider's sandbox package turns the described values
into a connection's credentials and settings with `connection_values(described)`.
"""

from importlib import import_module

from django.conf import settings

from integrations import http
from integrations.errors import ConfigError, IntegrationError
from integrations.providers import ProviderInfo


class SandboxUnavailable(ConfigError):
    pass


def enabled() -> bool:
    return bool(settings.SANDBOX_ENABLED)


def sandbox_module(provider: ProviderInfo):
    if not provider.sandbox:
        return None
    try:
        return import_module(f"integrations.providers.{provider.key}.sandbox")
    except ImportError:
        return None


def offers_credentials(provider: ProviderInfo) -> bool:
    """Whether "Use sandbox" can fill the credentials form for this provider."""
    module = sandbox_module(provider)
    return enabled() and module is not None and hasattr(module, "connection_values")


def offers_oauth(provider: ProviderInfo) -> bool:
    return enabled() and bool(provider.sandbox)


def describe(provider: ProviderInfo) -> dict:
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


def credential_values(provider: ProviderInfo) -> tuple[dict, dict]:
    """(credentials, settings) for a connection to the running sandbox."""
    module = sandbox_module(provider)
    if module is None or not hasattr(module, "connection_values"):
        raise SandboxUnavailable(f"{provider.name} has no sandbox credentials to offer yet.")
    credentials, connection_settings = module.connection_values(describe(provider))
    return dict(credentials), dict(connection_settings)
