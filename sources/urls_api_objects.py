from django.urls import path

from sources.api_objects import ObjectPhotometryView, ObjectView

app_name = "api-objects"

urlpatterns = [
    path("<path:name>/photometry/", ObjectPhotometryView.as_view(), name="photometry"),
    path("<path:name>/", ObjectView.as_view(), name="detail"),
]
