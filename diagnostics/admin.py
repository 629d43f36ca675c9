from django.contrib import admin

from diagnostics.models import (
    AlertDelivery,
    AlertIncident,
    AlertRule,
    ApiCall,
    ApiCallHour,
    WorkerHeartbeat,
)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "last_seen_at", "beats"]
    readonly_fields = ["hostname", "last_seen_at", "beats"]


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    list_display = ["at", "provider", "method", "endpoint", "status", "latency_ms", "error_kind"]
    list_filter = ["provider", "error_kind"]
    readonly_fields = [field.name for field in ApiCall._meta.fields]


@admin.register(ApiCallHour)
class ApiCallHourAdmin(admin.ModelAdmin):
    list_display = ["hour", "provider", "method", "endpoint", "calls"]
    readonly_fields = [field.name for field in ApiCallHour._meta.fields]


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["workspace", "kind", "threshold", "enabled"]
    # The webhook signing secret is encrypted and never shown here.
    exclude = ["webhook_secret_encrypted"]


@admin.register(AlertIncident)
class AlertIncidentAdmin(admin.ModelAdmin):
    list_display = ["rule", "subject", "level", "opened_at", "resolved_at"]
    readonly_fields = ["opened_at", "last_seen_at"]


@admin.register(AlertDelivery)
class AlertDeliveryAdmin(admin.ModelAdmin):
    list_display = ["incident", "channel", "event", "status", "attempts", "sent_at"]
