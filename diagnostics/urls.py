from django.urls import path

from diagnostics import alert_views, views

app_name = "diagnostics"
W = "w/<int:workspace_id>/diagnostics/"
urlpatterns = [
    path(W, views.dashboard, name="dashboard"),
    path(W + "performance/", views.performance, name="performance"),
    path(W + "runs/", views.runs, name="runs"),
    path(W + "calls/", views.calls, name="calls"),
    path(W + "inbox/", views.inbox, name="inbox"),
    path(W + "alerts/", alert_views.alert_list, name="alerts"),
    path(W + "alerts/new/", alert_views.alert_new, name="alert-new"),
    path(W + "alerts/<int:alert_rule_id>/edit/", alert_views.alert_edit, name="alert-edit"),
    path(W + "alerts/<int:alert_rule_id>/delete/", alert_views.alert_delete, name="alert-delete"),
    path(W + "alerts/<int:alert_rule_id>/rotate/", alert_views.alert_rotate, name="alert-rotate"),
]
