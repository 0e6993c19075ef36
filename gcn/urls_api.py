from django.urls import path

from gcn import api, circulars_views

app_name = "gcn-api"

urlpatterns = [
    path("", api.EventListView.as_view(), name="events"),
    path("<str:key>/", api.EventDetailView.as_view(), name="event"),
    path("<str:key>/sources", api.EventSourcesView.as_view(), name="event-sources"),
    path("<str:key>/circulars", circulars_views.CircularCreate.as_view(), name="circulars"),
]
