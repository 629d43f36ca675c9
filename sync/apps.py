from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Sync"

    def ready(self) -> None:
        # Webhook changes reach the flows through integrations' listener registry, so
        # integrations never imports sync. Imported here: models are loaded by now.
        from integrations.changes import change_listener_add
        from sync.triggers import changes_received

        change_listener_add(changes_received)
