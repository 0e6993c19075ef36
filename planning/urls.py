from django.urls import path

from planning import views

app_name = "planning"

urlpatterns = [
    path("", views.PlanListPage.as_view(), name="plans"),
    path("request/<str:key>/", views.RequestPlanPage.as_view(), name="request"),
    path("defaults/", views.DefaultPlansPage.as_view(), name="defaults"),
    path(
        "defaults/<str:default_id>/<str:action>/",
        views.DefaultPlanActionPage.as_view(),
        name="default-action",
    ),
    path("<str:plan_id>/status/", views.PlanStatusFragment.as_view(), name="status"),
    path("<str:plan_id>/download/<str:kind>/", views.PlanDownload.as_view(), name="download"),
    path("<str:plan_id>/<str:action>/", views.PlanActionPage.as_view(), name="action"),
]
