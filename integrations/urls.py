from django.urls import path

from integrations import oauth_views, scope_views, views, webhooks, wizard

app_name = "integrations"
C = "w/<int:workspace_id>/connections/<int:connection_id>"
urlpatterns = [
    path("webhooks/<str:provider>/", webhooks.receive, name="webhook-receive"),
    # One fixed callback per provider: it is the redirect URI registered with the provider's app.
    path("oauth/<str:provider>/callback/", oauth_views.oauth_callback, name="oauth-callback"),
    path("w/<int:workspace_id>/connections/", views.connection_list, name="connection-list"),
    path("w/<int:workspace_id>/connections/new/", wizard.connection_new, name="connection-new"),
    path(f"{C}/", views.connection_detail, name="connection-detail"),
    path(f"{C}/setup/", wizard.connection_setup, name="connection-setup"),
    path(f"{C}/access/", wizard.connection_access, name="connection-access"),
    path(f"{C}/finish/", wizard.connection_finish, name="connection-finish"),
    path(f"{C}/test/", views.connection_test, name="connection-test"),
    path(f"{C}/edit/", views.connection_edit, name="connection-edit"),
    path(f"{C}/toggle/", views.connection_toggle, name="connection-toggle"),
    path(f"{C}/capture/", views.connection_capture, name="connection-capture"),
    path(f"{C}/reconnect/", views.connection_reconnect, name="connection-reconnect"),
    path(
        f"{C}/reconnect-scope/",
        scope_views.connection_reconnect_scope,
        name="connection-reconnect-scope",
    ),
    path(f"{C}/delete/", views.connection_delete_confirm, name="connection-delete"),
    path(f"{C}/explorer/", views.connection_explorer, name="connection-explorer"),
    path(f"{C}/explorer/send/", views.connection_explorer_send, name="connection-explorer-send"),
]
