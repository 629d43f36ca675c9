from django.urls import path

from diagnostics import views

app_name = "diagnostics"
W = "w/<int:workspace_id>/diagnostics/"
urlpatterns = [
    path(W, views.dashboard, name="dashboard"),
    path(W + "performance/", views.performance, name="performance"),
    path(W + "runs/", views.runs, name="runs"),
    path(W + "calls/", views.calls, name="calls"),
    path(W + "inbox/", views.inbox, name="inbox"),
]
