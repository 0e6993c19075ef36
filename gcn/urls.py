from django.urls import path

from gcn import circulars_views, views

app_name = "gcn"

urlpatterns = [
    path("events/", views.EventListPage.as_view(), name="events"),
    path("events/<str:key>/", views.EventPage.as_view(), name="event"),
    path("plotly.min.js", views.plotly_js, name="plotly-js"),
    *circulars_views.urlpatterns,
]
