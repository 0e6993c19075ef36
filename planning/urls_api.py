from django.urls import path

from planning import api

app_name = "planning-api"

urlpatterns = [
    path("observation_plans/<str:plan_id>", api.PlanDetailView.as_view(), name="plan"),
    path("observation_plans/<str:plan_id>/cancel", api.PlanCancelView.as_view(), name="cancel"),
    path(
        "observation_plans/<str:plan_id>/queue/<str:action>",
        api.PlanQueueView.as_view(),
        name="queue",
    ),
    path("observations", api.ObservationsView.as_view(), name="observations"),
    path("default_plans", api.DefaultPlansView.as_view(), name="default-plans"),
    path(
        "default_plans/<str:default_id>", api.DefaultPlanDetailView.as_view(), name="default-plan"
    ),
    path(
        "gcn_events/<str:key>/observation_plans",
        api.EventPlansView.as_view(),
        name="event-plans",
    ),
    path("gcn_events/<str:key>/coverage", api.EventCoverageView.as_view(), name="coverage"),
]
