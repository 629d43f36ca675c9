from django.apps import AppConfig
from django.conf import settings


class SandboxesConfig(AppConfig):
    name = "sandboxes"
    verbose_name = "Sandboxes"

    def ready(self):
        # The only place the sandboxes meet the app: each registers with the provider it
        # imitates, so "Use sandbox" can offer it. Off unless SANDBOX_ENABLED.
        if not settings.SANDBOX_ENABLED:
            return
        from integrations.providers.base import SandboxEntry
        from integrations.providers.registry import register_sandbox
        from sandboxes.catalogue import SANDBOXES

        for key, sandbox in SANDBOXES.items():
            register_sandbox(key, SandboxEntry(sandbox.app_class, sandbox.connection_values))
