from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("workspaces/new/", views.workspace_new, name="workspace-new"),
    path("w/<int:workspace_id>/workspace/", views.workspace_detail, name="workspace-detail"),
    path(
        "w/<int:workspace_id>/workspace/members/<int:membership_id>/role/",
        views.member_role,
        name="member-role",
    ),
    path(
        "w/<int:workspace_id>/workspace/members/<int:membership_id>/remove/",
        views.member_remove,
        name="member-remove",
    ),
]
