from django.urls import path

from facilities import views

urlpatterns = [
    path("followup/", views.followup_queue, name="followup"),
    path("followup/<int:request_id>/", views.followup_detail, name="request"),
    path(
        "followup/<int:request_id>/<str:action>/",
        views.change_request,
        name="request-change",
    ),
    path("followup/sources/<str:name>/request/", views.request_followup, name="request-create"),
    path("telescopes/", views.telescopes, name="telescopes"),
    path("instruments/<int:instrument_id>/", views.instrument_detail, name="instrument"),
    path("allocations/", views.allocations, name="allocations"),
]
