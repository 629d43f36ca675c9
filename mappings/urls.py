from django.urls import path

from mappings import preview_views, views

app_name = "mappings"
M = "w/<int:workspace_id>/mappings/<int:mapping_id>/"
urlpatterns = [
    path("w/<int:workspace_id>/mappings/", views.mapping_list, name="mapping-list"),
    path("w/<int:workspace_id>/mappings/new/", views.mapping_new, name="mapping-new"),
    path(M, views.mapping_detail, name="mapping-detail"),
    path(M + "settings/", views.mapping_settings, name="mapping-settings"),
    path(M + "delete/", views.mapping_delete, name="mapping-delete"),
    path(M + "export/", views.mapping_export, name="mapping-export"),
    path(M + "versions/", views.mapping_versions, name="mapping-versions"),
    path(M + "versions/<int:number>/restore/", views.mapping_restore, name="mapping-restore"),
    path(M + "check/", preview_views.mapping_recheck, name="mapping-recheck"),
    path(M + "rules/new/", views.rule_new, name="rule-new"),
    path(M + "rules/transform-row/", views.rule_transform_row, name="rule-transform-row"),
    path(M + "rules/condition-row/", views.rule_condition_row, name="rule-condition-row"),
    path(M + "rules/<str:rule_id>/", views.rule_edit, name="rule-edit"),
    path(M + "rules/<str:rule_id>/move/", views.rule_move, name="rule-move"),
    path(M + "rules/<str:rule_id>/delete/", views.rule_delete, name="rule-delete"),
    path(M + "record-condition/", views.record_condition, name="record-condition"),
    path(M + "preview/", preview_views.preview, name="mapping-preview"),
    path(M + "samples/", preview_views.sample_new, name="sample-new"),
    path(M + "samples/<int:sample_id>/delete/", preview_views.sample_delete, name="sample-delete"),
    path(M + "tests/", preview_views.test_new, name="test-new"),
    path(M + "tests/<int:test_id>/delete/", preview_views.test_delete, name="test-delete"),
]
