from django.urls import path

from sources.cutouts import cutout_view

app_name = "cutouts"

urlpatterns = [
    path("<int:alert_id>/<str:kind>.png", cutout_view, name="png"),
]
