from django.urls import path

from diagnostics import views

app_name = "diagnostics"
urlpatterns = [
    path("w/<int:workspace_id>/diagnostics/", views.dashboard, name="dashboard"),
]
