from django.urls import path

from mappings import views

app_name = "mappings"
urlpatterns = [
    path("w/<int:workspace_id>/mappings/", views.mapping_list, name="mapping-list"),
]
