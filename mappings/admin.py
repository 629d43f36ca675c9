from django.contrib import admin

from mappings.models import Mapping, MappingSample, MappingTest, MappingVersion


@admin.register(Mapping)
class MappingAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "source_provider", "target_provider", "version"]
    list_filter = ["source_provider", "target_provider"]
    readonly_fields = ["version", "problems", "checked_at"]


@admin.register(MappingVersion)
class MappingVersionAdmin(admin.ModelAdmin):
    list_display = ["mapping", "number", "created_by", "created_at", "summary"]
    readonly_fields = ["mapping", "number", "spec", "created_by", "summary"]


@admin.register(MappingSample)
class MappingSampleAdmin(admin.ModelAdmin):
    list_display = ["mapping", "name", "created_at"]


@admin.register(MappingTest)
class MappingTestAdmin(admin.ModelAdmin):
    list_display = ["mapping", "name", "passed", "last_run_at"]
