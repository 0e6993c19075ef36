from django.urls import path

from brokers import views

urlpatterns = [
    path("alerts/<int:alert_id>/raw/", views.raw_alert, name="raw-alert"),
]
