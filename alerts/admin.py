from django.contrib import admin

from alerts.models import Alert


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "workspace", "connection", "kind", "resolved_at"]
    list_filter = ["kind", "resolved_at"]
    readonly_fields = ["created_at"]
