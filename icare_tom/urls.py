from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from icare_tom import views

urlpatterns = [
    path("health", views.health, name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("sources.urls")),
    path("", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("api/objects/", include("sources.urls_api_objects")),
    path("cutouts/", include("sources.urls_cutouts")),
    path("", include("brokers.urls")),
    path("api/gcn_events/", include("gcn.urls_api")),
    path("gcn/", include("gcn.urls")),
    path("", include("facilities.urls")),
    path("", include("tom_common.urls")),
]
