from django.contrib import admin

from diagnostics.models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "last_seen_at", "beats"]
    readonly_fields = ["hostname", "last_seen_at", "beats"]
