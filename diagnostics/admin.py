from django.contrib import admin

from diagnostics.models import Alert, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "last_seen_at", "beats"]
    readonly_fields = ["hostname", "last_seen_at", "beats"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "workspace", "connection", "kind", "resolved_at"]
    list_filter = ["kind", "resolved_at"]
    readonly_fields = ["created_at"]
