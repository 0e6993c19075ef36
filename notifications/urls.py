from django.urls import path

from notifications import api, views

app_name = "notifications"

urlpatterns = [
    path("me/notifications/", views.notice_list, name="list"),
    path("me/notifications/<int:notice_id>/open/", views.notice_open, name="open"),
    path("me/notifications/stream/", views.stream, name="stream"),
    path("me/notifications/preferences/", views.preferences_page, name="preferences"),
    path("me/notifications/deliveries/", views.deliveries, name="deliveries"),
    path("me/notifications/profiles/", views.profiles, name="profiles"),
    path(
        "me/notifications/profiles/<int:profile_id>/delete/",
        views.profile_delete,
        name="profile-delete",
    ),
    path("me/notifications/views/", views.saved_views, name="saved-views"),
    path(
        "me/notifications/views/<int:view_id>/delete/",
        views.saved_view_delete,
        name="saved-view-delete",
    ),
    path("me/notifications/groups/<int:group_id>/slack/", views.group_slack, name="group-slack"),
    path("api/notifications", api.NotificationList.as_view(), name="api-list"),
    path("api/notifications/read", api.NotificationRead.as_view(), name="api-read"),
    path("api/me/notification_preferences", api.Preferences.as_view(), name="api-preferences"),
    path("api/me/notification_channels", api.Channels.as_view(), name="api-channels"),
    path("api/me/gcn_profiles", api.Profiles.as_view(), name="api-profiles"),
    path("api/me/gcn_profiles/<int:profile_id>", api.ProfileDetail.as_view(), name="api-profile"),
    path("api/me/saved_views", api.SavedViews.as_view(), name="api-saved-views"),
    path("api/me/saved_views/<int:view_id>", api.SavedViewDetail.as_view(), name="api-saved-view"),
    path("api/me/deliveries", api.Deliveries.as_view(), name="api-deliveries"),
]
