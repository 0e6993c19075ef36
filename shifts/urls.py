from django.urls import path

from shifts import views

app_name = "shifts"

urlpatterns = [
    path("shifts/", views.calendar, name="calendar"),
    path("shifts/groups/<int:group_id>/", views.group_calendar, name="group-calendar"),
    path("shifts/groups/<int:group_id>/new/", views.create, name="create"),
    path("shifts/<int:shift_id>/", views.detail, name="detail"),
    path("shifts/<int:shift_id>/edit/", views.edit, name="edit"),
    path("shifts/<int:shift_id>/delete/", views.delete, name="delete"),
    path("shifts/<int:shift_id>/join/", views.join, name="join"),
    path("shifts/<int:shift_id>/leave/", views.leave, name="leave"),
    path("shifts/<int:shift_id>/replacement/", views.replacement, name="replacement"),
    path("shifts/<int:shift_id>/replacement/<int:request_id>/take/", views.take, name="take"),
    path("shifts/<int:shift_id>/summary/", views.summary, name="summary"),
    path(
        "shifts/<int:shift_id>/summary.<str:fmt>",
        views.summary_download,
        name="summary-download",
    ),
    path("shifts/calendar-feed/", views.feed_page, name="feed"),
    path("shifts/ical/<str:token>.ics", views.ical, name="ical"),
]
