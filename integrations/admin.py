from django.contrib import admin

from integrations.models import (
    Connection,
    ConnectionAudit,
    RateBudget,
    WebhookEvent,
    WebhookEventTarget,
    WebhookRejection,
)


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    """Credentials are never shown or editable here: only whether some are stored."""

    list_display = ["name", "provider", "workspace", "status", "last_tested_at"]
    list_filter = ["provider", "status"]
    search_fields = ["name", "workspace__name"]
    exclude = ["credentials_encrypted"]
    readonly_fields = ["credentials_stored", "created_at", "updated_at"]

    @admin.display(boolean=True, description="Credentials stored")
    def credentials_stored(self, obj: Connection) -> bool:
        return obj.has_credentials


class WebhookEventTargetInline(admin.TabularInline):
    model = WebhookEventTarget
    extra = 0
    fields = ["connection", "status", "attempts", "last_error", "not_before", "processed_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["provider", "event_type", "event_id", "status", "received_at"]
    list_filter = ["provider", "status", "event_type"]
    search_fields = ["event_id"]
    readonly_fields = ["received_at", "processed_at"]
    inlines = [WebhookEventTargetInline]


@admin.register(WebhookEventTarget)
class WebhookEventTargetAdmin(admin.ModelAdmin):
    list_display = ["event", "connection", "status", "attempts", "not_before", "processed_at"]
    list_filter = ["status", "event__provider"]
    list_select_related = ["event", "connection"]
    readonly_fields = ["event", "connection", "confirmed_payload", "created_at", "processed_at"]


@admin.register(WebhookRejection)
class WebhookRejectionAdmin(admin.ModelAdmin):
    list_display = ["provider", "reason", "count", "last_at"]


@admin.register(RateBudget)
class RateBudgetAdmin(admin.ModelAdmin):
    list_display = ["key", "blocked_until", "daily_remaining", "updated_at"]


@admin.register(ConnectionAudit)
class ConnectionAuditAdmin(admin.ModelAdmin):
    """History is evidence: readable here, never editable."""

    list_display = ["created_at", "connection_name", "action", "actor", "workspace"]
    list_filter = ["action"]
    search_fields = ["connection_name", "actor__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
