from django.urls import path

from integrations import views, webhooks

app_name = "integrations"
urlpatterns = [
    path("webhooks/<str:provider>/", webhooks.receive, name="webhook-receive"),
    path("w/<int:workspace_id>/flows/", views.flow_list, name="flow-list"),
    path("w/<int:workspace_id>/connections/", views.connection_list, name="connection-list"),
    path("w/<int:workspace_id>/connections/new/", views.connection_new, name="connection-new"),
    path(
        "w/<int:workspace_id>/connections/<int:connection_id>/",
        views.connection_detail,
        name="connection-detail",
    ),
    path(
        "w/<int:workspace_id>/connections/<int:connection_id>/edit/",
        views.connection_edit,
        name="connection-edit",
    ),
    path(
        "w/<int:workspace_id>/connections/<int:connection_id>/toggle/",
        views.connection_toggle,
        name="connection-toggle",
    ),
    path(
        "w/<int:workspace_id>/connections/<int:connection_id>/delete/",
        views.connection_delete_confirm,
        name="connection-delete",
    ),
]
