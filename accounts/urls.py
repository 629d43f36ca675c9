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
    path(
        "w/<int:workspace_id>/workspace/invitations/<int:invitation_id>/cancel/",
        views.invite_cancel,
        name="invitation-cancel",
    ),
    path("invitations/<str:token>/", views.invitation_detail, name="invitation-accept"),
]
