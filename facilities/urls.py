from django.urls import path

from facilities import api
from facilities.urls_pages import urlpatterns as page_patterns

app_name = "facilities"

urlpatterns = [
    *page_patterns,
    path("api/instruments", api.InstrumentList.as_view(), name="api-instruments"),
    path("api/allocations", api.AllocationList.as_view(), name="api-allocations"),
    path(
        "api/allocations/<int:allocation_id>/robot_token",
        api.RobotTokenCreate.as_view(),
        name="api-robot-token",
    ),
    path("api/followup_requests", api.FollowupRequestList.as_view(), name="api-requests"),
    path(
        "api/followup_requests/<int:request_id>",
        api.FollowupRequestDetail.as_view(),
        name="api-request",
    ),
    path(
        "api/followup_requests/<int:request_id>/cancel",
        api.FollowupRequestCancel.as_view(),
        name="api-request-cancel",
    ),
    path(
        "api/followup_requests/<int:request_id>/resubmit",
        api.FollowupRequestResubmit.as_view(),
        name="api-request-resubmit",
    ),
    path(
        "api/facility_queue/<int:allocation_id>/requests",
        api.QueueRequests.as_view(),
        name="api-queue",
    ),
    path(
        "api/facility_queue/requests/<int:request_id>",
        api.QueueRequestUpdate.as_view(),
        name="api-queue-request",
    ),
    path(
        "api/facility_queue/requests/<int:request_id>/photometry",
        api.QueueRequestPhotometry.as_view(),
        name="api-queue-photometry",
    ),
    path(
        "api/facility_queue/requests/<int:request_id>/spectra",
        api.QueueRequestSpectrum.as_view(),
        name="api-queue-spectra",
    ),
]
