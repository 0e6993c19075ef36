from django.urls import path

from accounts import api, views

app_name = "accounts"

urlpatterns = [
    path("groups/", views.group_list, name="group-list"),
    path("groups/<int:pk>/", views.group_detail, name="group-detail"),
    path("groups/<int:pk>/join/", views.group_join, name="group-join"),
    path("groups/<int:pk>/members/add/", views.member_add, name="member-add"),
    path(
        "groups/<int:pk>/members/<int:user_pk>/remove/", views.member_remove, name="member-remove"
    ),
    path("groups/<int:pk>/members/<int:user_pk>/admin/", views.member_admin, name="member-admin"),
    path(
        "groups/<int:pk>/requests/<int:request_pk>/",
        views.join_request_decide,
        name="join-request-decide",
    ),
    path("profile/token/", views.token_create, name="token-create"),
    path("profile/token/revoke/", views.token_revoke, name="token-revoke"),
    path("notifications/", views.notifications, name="notifications"),
    path("targets/<int:pk>/access/", views.target_access, name="target-access"),
    path("targets/<int:pk>/public-links/", views.public_link_create, name="public-link-create"),
    path("public-links/<int:pk>/revoke/", views.public_link_revoke, name="public-link-revoke"),
    path("public/<str:token>/", views.public_target, name="public-target"),
    path("api/me/", api.MeView.as_view(), name="api-me"),
]
